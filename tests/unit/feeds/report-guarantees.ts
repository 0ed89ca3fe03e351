/**
 * What every streaming PRA report parser promises, whatever its report: the same events whatever
 * the namespace or the chunking, `<error>` handled at any depth, a wrong root or a DOCTYPE refused,
 * bytes decoded as UTF-8, and each event handed out as soon as it is complete.
 */
import { PraError } from '../../../module/pra/errors';
import type { IncrementalXmlParser } from '../../../module/xml/reader';
import { failure, parseAll, randomSizes } from '../../support/parsing';
import { collect } from '../../support/async';

export interface ReportUnderTest<T> {
  parse(input: AsyncIterable<Buffer | string>): AsyncIterable<T>;
  createParser(): IncrementalXmlParser<T>;
  /** The report's root element. */
  root: string;
  /** A report in the live tenants' namespace, with non-ASCII text, entities and CDATA. */
  report: Buffer;
  /** The closing tag of the report's events: the report is cut right after the first one. */
  eventEnd: string;
  /** The English "no data" text PRA answers this report with. */
  noData: string;
  /** An ASCII text of the report that ends up in an event's JSON, to slip invalid bytes into. */
  asciiValue: string;
  /** Another report's root, which this parser must refuse; default `<session_list/>`. */
  otherReport?: string;
}

const SRA = 'http://www.beyondtrust.com/sra/namespaces/API/reporting';

/** `report`, written in the live tenants' namespace, in every other form PRA's replies take. */
function namespaceVariants(report: string): [string, string][] {
  return [
    ['the docs namespace', report.replace(SRA, 'https://www.beyondtrust.com/namespaces/API/reporting')],
    ['the bomgar namespace', report.replace(SRA, 'http://www.bomgar.com/namespaces/API/reporting')],
    ['no namespace', report.replace(` xmlns="${SRA}"`, '')],
    [
      'a prefix',
      report.replace(` xmlns="${SRA}"`, ` xmlns:pra="${SRA}"`).replace(/<(\/?)(?=[a-z_]+[\s/>])/g, '<$1pra:'),
    ],
  ];
}

export function describeReportGuarantees<T>(subject: ReportUnderTest<T>): void {
  const { parse, root, report, noData } = subject;
  const text = report.toString('utf8');
  const parseError = async (xml: string | Buffer): Promise<PraError> => {
    const err = await failure(parseAll(parse, xml));
    expect(err).toMatchObject({ kind: 'parse' });
    return err as PraError;
  };

  describe('namespaces', () => {
    it.each(namespaceVariants(text))(
      '%s gives the same events as the live namespace',
      async (_label, xml) => {
        expect(xml).not.toBe(text);
        const expected = await parseAll(parse, report);
        expect(expected.length).toBeGreaterThan(1);
        expect(await parseAll(parse, xml)).toStrictEqual(expected);
      },
    );
  });

  describe('chunk boundaries', () => {
    it('gives the same events fed one byte at a time and in random chunk sizes', async () => {
      const whole = await parseAll(parse, report);
      expect(await parseAll(parse, report, () => 1)).toStrictEqual(whole);
      for (let seed = 1; seed <= 20; seed++) {
        expect(await parseAll(parse, report, randomSizes(seed, 97))).toStrictEqual(whole);
      }
    });

    it('gives the same events from string chunks and from the synchronous parser', async () => {
      const whole = await parseAll(parse, report);
      async function* strings(): AsyncGenerator<string> {
        yield* text.match(/[\s\S]{1,50}/gu) ?? [];
      }
      expect(await collect(parse(strings()))).toStrictEqual(whole);

      const parser = subject.createParser();
      const fromParser: T[] = [];
      for (let start = 0; start < report.length; start += 7) {
        fromParser.push(...parser.write(report.subarray(start, start + 7)));
      }
      fromParser.push(...parser.end());
      expect(fromParser).toStrictEqual(whole);
    });

    it('turns invalid UTF-8 into U+FFFD instead of failing', async () => {
      const at = report.indexOf(subject.asciiValue) + 2;
      expect(at).toBeGreaterThan(1);
      const broken = Buffer.concat([report.subarray(0, at), Buffer.from([0xff, 0xc3]), report.subarray(at)]);
      const value = subject.asciiValue;
      const expected = `${value.slice(0, 2)}\uFFFD\uFFFD${value.slice(2)}`;
      expect(JSON.stringify(await parseAll(parse, broken, () => 1))).toContain(expected);
    });
  });

  describe('streaming', () => {
    it('hands out the first event before reading the rest of the report', async () => {
      const cut = text.indexOf(subject.eventEnd) + subject.eventEnd.length;
      let restRead = false;
      async function* twoPieces(): AsyncGenerator<string> {
        yield text.slice(0, cut);
        restRead = true;
        yield text.slice(cut);
      }
      const iterator = parse(twoPieces())[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.value).toStrictEqual((await parseAll(parse, report))[0]);
      expect(restRead).toBe(false);
      await iterator.return?.();
    });
  });

  describe('<error> replies', () => {
    const FRENCH = 'Aucune information correspondant à vos critères n’est disponible.';
    it.each([
      ['in English, as the root', `<?xml version="1.0"?>\n<error >${noData}</error>`],
      ['in French, as the root', `<error xmlns="${SRA}">${FRENCH}</error>`],
      ['in English, inside the list', `<${root} xmlns="${SRA}"><error>${noData}</error></${root}>`],
      [
        'in French, prefixed, inside the list',
        `<p:${root} xmlns:p="${SRA}"><p:error>${FRENCH}</p:error></p:${root}>`,
      ],
    ])('the no-data reply %s yields no event', async (_label, xml) => {
      expect(await parseAll(parse, xml)).toStrictEqual([]);
    });

    it.each([
      ['as the root', '<error>Invalid start_time.</error>'],
      ['inside the list', `<${root} xmlns="${SRA}"><error>Invalid start_time.</error></${root}>`],
      [
        'after the first event',
        text.replace(subject.eventEnd, `${subject.eventEnd}<error>Invalid start_time.</error>`),
      ],
    ])('any other error %s fails with an api error with its text', async (_label, xml) => {
      const err = await failure(parseAll(parse, xml));
      expect(err).toMatchObject({ kind: 'api' });
      expect((err as PraError).message).toBe('PRA reporting API answered with an error: Invalid start_time.');
    });
  });

  describe('refused documents', () => {
    it.each([
      ['an HTML page', '<html><body>Login</body></html>'],
      ['another report', subject.otherReport ?? '<session_list/>'],
    ])('a wrong root (%s) is a parse error, never "no data"', async (_label, xml) => {
      expect((await parseError(xml)).message).toMatch(new RegExp(`expected <${root}>`));
    });

    it('refuses a DOCTYPE before any entity is used', async () => {
      const xml = `<!DOCTYPE ${root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><${root}>&xxe;</${root}>`;
      expect((await parseError(xml)).message).toMatch(/^DOCTYPE is not allowed/);
    });

    it('reports a truncated report with its position', async () => {
      const err = await parseError(report.subarray(0, report.length - 40));
      expect(err.message).toMatch(/^unexpected end of document/);
      expect(err.line).toBeGreaterThan(1);
    });
  });
}
