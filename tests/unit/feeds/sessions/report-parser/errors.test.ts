import { PraError } from '../../../../../module/pra/errors';
import { parseAccessSessionReport } from '../../../../../module/feeds/sessions/report-parser';
import { isNoDataMessage } from '../../../../../module/xml/report-sink';
import { failure, items, report, session } from '../../../../support/parsing';

const NO_DATA = 'No Support report information matching your chosen criteria is available.';
const FRENCH_NO_DATA =
  'Aucune information de rapport d’assistance correspondant à vos critères n’est disponible.';

async function parseError(xml: string | Buffer): Promise<PraError> {
  const err = await failure(items(xml));
  expect(err).toMatchObject({ kind: 'parse' });
  return err as PraError;
}

describe('isNoDataMessage', () => {
  it.each([
    NO_DATA,
    'No Support Team report information matching your chosen criteria is available.',
    'No vault account activity matching your chosen criteria is available',
    'No archives found for the given search criteria.',
    'No Access Session report information matching your chosen criteria is available.',
    `\n  ${NO_DATA}\n`,
  ])('recognises the English %j', (text) => {
    expect(isNoDataMessage(text)).toBe(true);
  });

  it.each([
    FRENCH_NO_DATA,
    "Aucune activité de compte du coffre-fort correspondant à vos critères n'est disponible.",
    'Aucune information correspondant a vos criteres n’est disponible.',
    'AUCUNE INFORMATION CORRESPONDANT À VOS CRITÈRES N‘EST DISPONIBLE.',
    'Aucune information correspondant\u00a0à vos\ncritères n`est disponible.',
    'Aucune information correspondant a\u0300 vos crite\u0300res n’est disponible.',
  ])('recognises the French %j, whatever its accents, apostrophes and case', (text) => {
    expect(isNoDataMessage(text)).toBe(true);
  });

  it.each([
    'Invalid lsid.',
    'No permission to run this report.',
    '',
    `Error: ${NO_DATA}`,
    'Accès refusé : autorisation « Rapports de session d’accès » requise.',
    'Aucune information disponible.',
  ])('rejects %j', (text) => {
    expect(isNoDataMessage(text)).toBe(false);
  });
});

describe('<error> replies', () => {
  it.each([
    ['as root, with a space before >', `<?xml version="1.0"?>\n<error >${NO_DATA}</error>`],
    [
      'as root in the bomgar namespace',
      `<error xmlns="http://www.bomgar.com/namespaces/API/reporting">No archives found for the given search criteria.</error>`,
    ],
    [
      'prefixed',
      `<p:error xmlns:p="https://www.beyondtrust.com/namespaces/API/reporting">${NO_DATA}</p:error>`,
    ],
    ['nested in session_list', report(`<error>${NO_DATA}</error>`)],
    ['in French, as root', `<error>${FRENCH_NO_DATA}</error>`],
    ['in French, nested in session_list', report(`<error>\n ${FRENCH_NO_DATA}\n</error>`)],
  ])('the no-data error %s yields nothing', async (_label, xml) => {
    expect(await items(xml)).toStrictEqual([]);
  });

  it.each([
    ['as root', '<error>Invalid lsid.</error>'],
    [
      'with attributes, in a namespace',
      '<error xmlns="http://www.bomgar.com/namespaces/API/reporting" code="x">\n Invalid lsid.\n</error>',
    ],
    ['nested in session_list', report('<error>Invalid lsid.</error>')],
    [
      'deep inside a session',
      session('<session_details><event><error>Invalid lsid.</error></event></session_details>'),
    ],
  ])('any other error %s fails with an api error with its text', async (_label, xml) => {
    const err = await failure(items(xml));
    expect(err).toMatchObject({ kind: 'api' });
    expect((err as PraError).message).toBe('PRA reporting API answered with an error: Invalid lsid.');
  });

  it('reads the whole text of an error, child elements included', async () => {
    const err = await failure(items('<error><message>Report</message> failed</error>'));
    expect((err as PraError).message).toBe('PRA reporting API answered with an error: Report failed');
  });
});

describe('malformed input', () => {
  it('reports the reason with line and column', async () => {
    const err = await parseError(
      '<session_list>\n <session lsid="a">\n  <x a=1/>\n </session>\n</session_list>',
    );
    expect(err.line).toBe(3);
    expect(err.column).toBeGreaterThan(1);
    expect(err.message).toMatch(/unquoted attribute value.*\(line 3, column \d+\)$/);
  });

  it('reports a mismatched closing tag', async () => {
    const err = await parseError('<session_list><session lsid="a"></sessions></session_list>');
    expect(err.message).toMatch(/line 1/);
  });

  it.each([
    ['inside a tag', '<session_list><session lsid="a"><session_det'],
    [
      'inside an element',
      session('<session_details><event timestamp="1">').replace('</session></session_list>', ''),
    ],
    ['after the root opened', '<session_list>'],
    ['with nothing at all', ''],
  ])('truncated %s → "unexpected end of document" with a position', async (_label, xml) => {
    const err = await parseError(xml);
    expect(err.message).toMatch(/^unexpected end of document/);
    expect(err.line).toBeGreaterThanOrEqual(1);
    expect(err.column).toBeGreaterThanOrEqual(1);
  });

  it('rejects text that is not XML at all', async () => {
    await parseError('{"message":"Unauthorized"}');
    await parseError('<html><body>Login</body></html>'.replace('<html>', '<!DOCTYPE html><html>'));
  });

  it('rejects an unexpected root instead of reading it as "no sessions"', async () => {
    expect((await parseError('<html><body>Login</body></html>')).message).toMatch(
      /unexpected root element <html>/,
    );
    expect((await parseError('<session_summary_list/>')).message).toMatch(/expected <session_list>/);
  });

  it('rejects a session without lsid', async () => {
    expect((await parseError(report('<session><session_details/></session>'))).message).toMatch(
      /session without lsid/,
    );
    await parseError(report('<session lsid=""/>'));
  });

  it('rejects undefined entities', async () => {
    await parseError(session('<jump_group>&nbsp;</jump_group>'));
  });

  it('turns invalid UTF-8 into U+FFFD instead of failing', async () => {
    const xml = Buffer.concat([
      Buffer.from('<session_list><session lsid="a"><jump_group>a'),
      Buffer.from([0xff, 0xc3]),
      Buffer.from('b</jump_group><session_details><event/></session_details></session></session_list>'),
    ]);
    const [first] = await items(xml);
    expect(first.kind === 'event' && first.event.jump_group).toStrictEqual({ name: 'a\uFFFD\uFFFDb' });
  });
});

describe('hostile input', () => {
  const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE session_list [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<session_list><session lsid="a"><jump_group>&lol9;</jump_group></session></session_list>`;
  const XXE = `<?xml version="1.0"?>
<!DOCTYPE session_list [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<session_list><session lsid="a"><jump_group>&xxe;</jump_group></session></session_list>`;

  it.each([
    ['billion laughs', BILLION_LAUGHS],
    ['an external SYSTEM entity', XXE],
    ['a plain DOCTYPE', '<!DOCTYPE session_list><session_list/>'],
  ])('refuses a DOCTYPE (%s) before any entity is used', async (_label, xml) => {
    const err = await parseError(xml);
    expect(err.message).toMatch(/^DOCTYPE is not allowed in a PRA report/);
    expect(err.line).toBeLessThanOrEqual(8);
  });

  it('refuses elements nested deeper than 64 levels', async () => {
    const deep = '<a>'.repeat(70) + '</a>'.repeat(70);
    const err = await parseError(report(`<session lsid="x">${deep}</session>`));
    expect(err.message).toMatch(/nested deeper than 64/);
    // 64 levels are fine.
    await expect(
      items(report(`<session lsid="x">${'<a>'.repeat(62)}${'</a>'.repeat(62)}</session>`)),
    ).resolves.toHaveLength(1);
  });

  it('refuses a too large attribute, text or tag without holding all of it', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    expect((await parseError(session(`<jump_group type="${big}">g</jump_group>`))).message).toMatch(
      /too large/,
    );
    expect((await parseError(session(`<jump_group>${big}</jump_group>`))).message).toMatch(/too large/);
    expect((await parseError(session(`<!--${big}-->`))).message).toMatch(/too large/);
  });

  it('refuses an element text over the limit even when comments cut it into small runs', async () => {
    const run = 'x'.repeat(600 * 1024);
    const err = await parseError(session(`<jump_group>${run}<!---->${run}</jump_group>`));
    expect(err.message).toMatch(/^element text too large/);
  });

  it('fails on an endless text long before reading all of it', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<string> {
      yield '<session_list><session lsid="a"><jump_group>';
      for (;;) {
        pulled++;
        yield 'y'.repeat(64 * 1024);
      }
    }
    const err = await failure(
      (async () => {
        for await (const item of parseAccessSessionReport(endless())) void item;
      })(),
    );
    expect(err).toMatchObject({ kind: 'parse' });
    expect(pulled).toBeLessThan(20);
  });
});
