/**
 * The session feed's PRA source against the simulator: the next batch's request is opened while
 * the current reply is read, used when that batch comes, and its failure met in its turn.
 */
import { createParserThread } from '../../../../module/feeds/parser-thread';
import { PraSessionSource } from '../../../../module/feeds/sessions/source';
import { PraClient } from '../../../../module/pra/client';
import { parseBaseUrl } from '../../../../module/pra/url';
import { startPraSimulator, type PraSimulator } from '../../../../simulator/pra';
import { collect } from '../../../support/async';

let pra: PraSimulator;
let source: PraSessionSource;

beforeEach(async () => {
  pra = await startPraSimulator({ closedSessions: 6, openSessions: 0, eventsPerSession: 4 });
  const client = new PraClient(
    { baseUrl: parseBaseUrl(pra.url), clientId: 'sim-client', clientSecret: 'sim-secret' },
    { timeoutMs: 2000, requestsPerSecond: 1000, maxRetryDelayMs: 10 },
  );
  source = new PraSessionSource(client, createParserThread());
});

afterEach(async () => {
  await source.close();
  await pra.close();
});

const detailRequests = (): string[][] =>
  pra.requests.filter((r) => r.params.generate_report === 'AccessSession').map((r) => r.lsids ?? []);

describe('the session source', () => {
  it("opens the next batch's request while the current one is read, and uses it when that batch comes", async () => {
    const lsids = pra.sessions.map((session) => session.lsid);
    const [first, second] = [lsids.slice(0, 3), lsids.slice(3)];
    const current = source.fetch(first);
    source.prefetch(second);
    const items = await collect(current);
    expect(items.filter((item) => item.kind === 'session')).toHaveLength(3);
    // The second request was made before anything asked for its items.
    await pra.waitFor(() => detailRequests().length === 2);
    expect(detailRequests()).toEqual([first, second]);
    const next = await collect(source.fetch(second));
    expect(next.filter((item) => item.kind === 'event')).toHaveLength(3 * 4);
    expect(detailRequests()).toHaveLength(2);
  });

  it('meets the failure of a request opened ahead when its batch is fetched, not before', async () => {
    const [lsid] = pra.sessions.map((session) => session.lsid);
    pra.failSession(lsid as string, 'status');
    source.prefetch([lsid as string]);
    await pra.waitFor(() => detailRequests().length >= 1);
    await expect(collect(source.fetch([lsid as string]))).rejects.toMatchObject({
      kind: 'http',
      status: 500,
    });
  });

  it('opens a fresh request for a batch other than the one expected, and drops the one opened ahead', async () => {
    const lsids = pra.sessions.map((session) => session.lsid);
    source.prefetch(lsids.slice(0, 2));
    const items = await collect(source.fetch(lsids.slice(2, 4)));
    expect(items.filter((item) => item.kind === 'session').map((item) => item.lsid)).toEqual(
      lsids.slice(2, 4),
    );
    source.prefetch([]);
    await pra.waitFor(() => detailRequests().length === 2);
    expect(detailRequests()).toEqual([lsids.slice(0, 2), lsids.slice(2, 4)]);
  });
});
