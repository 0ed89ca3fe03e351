import { parseAccessSessionReport } from '../../../../../module/feeds/sessions/report-parser';
import { collect } from '../../../../support/async';
import { chunked, fixture, items, randomSizes, stream } from '../../../../support/parsing';

// Non-ASCII in text and attributes (2-, 3- and 4-byte UTF-8) so that splits fall inside sequences.
const MULTIBYTE = Buffer.from(
  `<session_list xmlns="http://www.beyondtrust.com/namespaces/API/reporting"><session lsid="ü1">
  <jump_group type="shared">Équipe 東京 🚀🚀</jump_group>
  <session_details><event timestamp="1" event_type="Chat Message"><body>é€𝄞 ${'ß東🚀'.repeat(50)}</body>
  <data><value name="ключ" value="значение 🚀 &amp; &#x1F680;"/></data></event></session_details></session></session_list>`,
  'utf8',
);

describe('chunk boundaries', () => {
  it.each([
    ['all-event-types.xml', fixture('all-event-types.xml')],
    ['multibyte text', MULTIBYTE],
  ])('%s: 1-byte chunks and random chunk sizes give the same items as one chunk', async (_name, data) => {
    const whole = await items(data);
    expect(whole.length).toBeGreaterThan(1);
    expect(await items(data, undefined, () => 1)).toStrictEqual(whole);
    for (let seed = 1; seed <= 20; seed++) {
      expect(await items(data, undefined, randomSizes(seed, 97))).toStrictEqual(whole);
    }
  });

  it('decodes a 4-byte sequence split across chunks, not as replacement characters', async () => {
    const [event] = (await items(MULTIBYTE, undefined, () => 1)).flatMap((item) =>
      item.kind === 'event' ? [item.event] : [],
    );
    expect(event.jump_group?.name).toBe('Équipe 東京 🚀🚀');
    expect(event.data).toStrictEqual({ ключ: 'значение 🚀 & 🚀' });
    expect(JSON.stringify(event)).not.toContain('\uFFFD');
  });

  it('accepts string chunks as well as Buffers', async () => {
    const text = fixture('all-event-types.xml').toString('utf8');
    const pieces = text.match(/[\s\S]{1,50}/gu) ?? [];
    expect(await collect(parseAccessSessionReport(stream(...pieces)))).toStrictEqual(await items(text));
  });
});

describe('backpressure and streaming', () => {
  it('does not read further input while the consumer has not pulled the pending items', async () => {
    const data = fixture('all-event-types.xml');
    let pulled = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of chunked(data, () => 256)) {
        pulled++;
        yield chunk;
      }
    }
    const iterator = parseAccessSessionReport(counted(), { maxBufferedEvents: 0 })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toMatchObject({ kind: 'event', index: 0 });
    const pulledAtFirst = pulled;
    // Nothing is read while the consumer waits.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pulled).toBe(pulledAtFirst);
    expect(pulledAtFirst).toBeLessThan(Math.ceil(data.length / 256));
    await iterator.return?.();
  });

  it('yields the first session before the rest of the document has arrived', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow(): AsyncGenerator<string> {
      yield '<session_list><session lsid="a"><session_details><event timestamp="1"/></session_details></session>';
      await gate;
      yield '<session lsid="b"/></session_list>';
    }
    const iterator = parseAccessSessionReport(slow())[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ kind: 'event', lsid: 'a' });
    expect((await iterator.next()).value).toMatchObject({ kind: 'session', lsid: 'a', eventCount: 1 });
    release();
    expect((await iterator.next()).value).toMatchObject({ kind: 'session', lsid: 'b', eventCount: 0 });
    expect((await iterator.next()).done).toBe(true);
  });
});
