import { PraError } from '../../../module/pra/errors';
import { EventSerializer } from '../../../module/feeds/sessions/event-json';
import type { SerializedItem } from '../../../module/feeds/sessions/events';
import { parseAccessSessionReport } from '../../../module/feeds/sessions/report-parser';
import { createParserThread } from '../../../module/feeds/parser-thread';
import type { ParserThread } from '../../../module/xml/thread';
import { startPraSimulator } from '../../../simulator/pra';
import { chunked, failure, fixture, report, session } from '../../support/parsing';
import { collect } from '../../support/async';

/** What the collector would forward with an in-thread parse: the reference output. */
async function inThread(data: Buffer): Promise<SerializedItem[]> {
  const serializer = new EventSerializer();
  const out: SerializedItem[] = [];
  for await (const item of parseAccessSessionReport(chunked(data))) out.push(serializer.serializeItem(item));
  return out;
}

describe('the parse thread', () => {
  let thread: ParserThread;
  beforeEach(() => {
    thread = createParserThread();
  });
  afterEach(() => thread.close());

  it('gives the in-thread parse and serialisation, item for item, whatever the chunking', async () => {
    const pra = await startPraSimulator({ closedSessions: 20, openSessions: 2, eventsPerSession: 200 });
    const generated = Buffer.from(pra.renderAccessSession(pra.sessions.map((s) => s.lsid)));
    await pra.close();
    let events = 0;
    for (const data of [fixture('all-event-types.xml'), fixture('contract-example.xml'), generated]) {
      const expected = await inThread(data);
      events += expected.filter((item) => item.kind === 'event').length;
      let size = 0;
      // Small growing sizes cut UTF-8 sequences, tags and values everywhere; 64 KiB is the network's.
      expect(
        await collect(
          thread.parse<SerializedItem>(
            'AccessSession',
            chunked(data, () => (size = (size % 97) + 1)),
          ),
        ),
      ).toEqual(expected);
      expect(
        await collect(
          thread.parse<SerializedItem>(
            'AccessSession',
            chunked(data, () => 64 * 1024),
          ),
        ),
      ).toEqual(expected);
    }
    expect(events).toBeGreaterThan(4000);
  });

  it('hands out the items read before a malformed part, then the parse error with its position', async () => {
    const good = session(
      '<session_details><event timestamp="1" event_type="Session Start"/></session_details>',
      'a',
    );
    const data = Buffer.from(
      `${good.slice(0, good.lastIndexOf('</session_list>'))}<session lsid="b"><oops></session_list>`,
    );
    const expected = await failure(inThread(data));
    const items: SerializedItem[] = [];
    const error = await failure(
      collect(
        thread.parse<SerializedItem>(
          'AccessSession',
          chunked(data, () => 16),
        ),
        items,
      ),
    );
    expect(error).toMatchObject({ kind: 'parse' });
    expect(error).toMatchObject({
      message: (expected as PraError).message,
      line: (expected as PraError).line,
      column: (expected as PraError).column,
    });
    expect(items.map((item) => item.kind)).toEqual(['event', 'session']);
  });

  it('turns an <error> reply into an api error, and the no-data reply into no items', async () => {
    const error = await failure(
      collect(
        thread.parse<SerializedItem>(
          'AccessSession',
          chunked(Buffer.from(report('<error>Internal failure</error>'))),
        ),
      ),
    );
    expect(error).toMatchObject({ kind: 'api' });
    expect((error as PraError).message).toBe('PRA reporting API answered with an error: Internal failure');
    const noData = '<error>No Session report information matching your chosen criteria is available.</error>';
    expect(
      await collect(thread.parse<SerializedItem>('AccessSession', chunked(Buffer.from(noData)))),
    ).toEqual([]);
  });

  it('passes on a failure of the input after the items of what was read before it', async () => {
    const data = fixture('all-event-types.xml');
    const cut = data.indexOf('</session>') + '</session>'.length;
    const broken = new Error('connection reset');
    async function* input(): AsyncGenerator<Buffer> {
      yield data.subarray(0, cut);
      throw broken;
    }
    const items: SerializedItem[] = [];
    expect(await failure(collect(thread.parse<SerializedItem>('AccessSession', input()), items))).toBe(
      broken,
    );
    const expected = await inThread(data);
    const firstSession = expected.findIndex((item) => item.kind === 'session');
    expect(items).toEqual(expected.slice(0, firstSession + 1));
  });

  it('parses the next report cleanly after one was abandoned half way', async () => {
    const data = fixture('all-event-types.xml');
    for await (const item of thread.parse<SerializedItem>(
      'AccessSession',
      chunked(data, () => 200),
    )) {
      if (item.kind === 'event') break;
    }
    expect(
      await collect(
        thread.parse<SerializedItem>(
          'AccessSession',
          chunked(data, () => 300),
        ),
      ),
    ).toEqual(await inThread(data));
  });

  it('fails the report in progress when the worker dies, and starts a new worker for the next', async () => {
    const data = fixture('all-event-types.xml');
    const cut = data.indexOf('</session>') + '</session>'.length;
    // The rest of the report never comes, so the worker cannot finish before it is stopped.
    async function* stalled(): AsyncGenerator<Buffer> {
      yield data.subarray(0, cut);
      await new Promise(() => undefined);
    }
    const items: SerializedItem[] = [];
    const error = await failure(
      (async () => {
        for await (const item of thread.parse<SerializedItem>('AccessSession', stalled())) {
          items.push(item);
          if (items.length === 1) await thread.close();
        }
      })(),
    );
    expect((error as Error).message).toMatch(/report parser thread exited/);
    expect(items.length).toBeGreaterThan(0);
    expect(await collect(thread.parse<SerializedItem>('AccessSession', chunked(data)))).toEqual(
      await inThread(data),
    );
  });
});
