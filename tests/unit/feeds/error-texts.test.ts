/**
 * PRA's `<error>` texts in a language nobody here knows: "no data" is learned from the tenant
 * itself, a real error stays an error, a missing report is said to be missing, whatever the words.
 */
import { ErrorTexts } from '../../../module/feeds/error-texts';
import { createParserThread } from '../../../module/feeds/parser-thread';
import { listSessions, PraSessionSource } from '../../../module/feeds/sessions/source';
import { vaultFeed } from '../../../module/feeds/vault/feed';
import { PraClient } from '../../../module/pra/client';
import { parseBaseUrl } from '../../../module/pra/url';
import {
  madeUpLanguage,
  startPraSimulator,
  type PraSimulator,
  type PraSimulatorOptions,
} from '../../../simulator/pra';
import { collect } from '../../support/async';

/** PRA's `<error>` document with `text`, as a tenant answers. */
const renderError = (text: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<error>${text}</error>`;

let pra: PraSimulator;
let client: PraClient;

async function tenant(options: PraSimulatorOptions): Promise<void> {
  pra = await startPraSimulator({ closedSessions: 4, openSessions: 0, eventsPerSession: 3, ...options });
  client = new PraClient(
    { baseUrl: parseBaseUrl(pra.url), clientId: 'sim-client', clientSecret: 'sim-secret' },
    { timeoutMs: 2000, requestsPerSecond: 1000, maxRetryDelayMs: 10 },
  );
}

afterEach(async () => {
  await pra.close();
});

const reportRequests = (report: string): number =>
  pra.requests.filter((request) => request.params.generate_report === report).length;

/** A window in which the simulator holds nothing: a second in the future of its data. */
function emptyWindow(): { field: 'end'; from: number; to: number } {
  const now = pra.currentTime();
  return { field: 'end', from: now + 100, to: now + 101 };
}

describe('no-data replies in a language the module has never seen', () => {
  it('reads an empty listing as empty, learning the text once with a few requests', async () => {
    await tenant({ locale: madeUpLanguage(11) });
    expect(await listSessions(client, emptyWindow())).toEqual([]);
    const afterLesson = pra.requests.length;
    expect(await listSessions(client, emptyWindow())).toEqual([]);
    expect(await listSessions(client, emptyWindow())).toEqual([]);
    // The lesson is a handful of requests, then each empty window costs its one request.
    expect(afterLesson).toBeLessThanOrEqual(6);
    expect(pra.requests.length).toBe(afterLesson + 2);
  });

  it("learns each report's own text: an empty AccessSession reply and an empty Vault window", async () => {
    await tenant({ locale: madeUpLanguage(12), vaultActivities: 0 });
    const source = new PraSessionSource(client, createParserThread());
    try {
      expect(await collect(source.fetch(['no-such-session']))).toEqual([]);
    } finally {
      await source.close();
    }
    await expect(vaultFeed.probe(client)).resolves.toBeUndefined();
  });

  it('keeps a real error in that language an error, with its text, and does not learn it', async () => {
    await tenant({ locale: madeUpLanguage(13) });
    const failure = 'Zugriffsfehler beim Erstellen des Berichts, bitte später erneut versuchen.';
    pra.injectFault({ kind: 'body', body: renderError(failure), count: 1, report: 'AccessSessionListing' });
    await expect(listSessions(client, emptyWindow())).rejects.toMatchObject({
      kind: 'api',
      blame: 'request',
      message: expect.stringContaining(failure),
    });
    expect(await listSessions(client, emptyWindow())).toEqual([]);
  });

  it('calls a report that fails every request, right or wrong, unavailable: nothing is charged for it', async () => {
    await tenant({ locale: madeUpLanguage(18) });
    const failure = 'Berichtsdienst vorübergehend außer Betrieb.';
    pra.setReportError('AccessSessionListing', failure);
    await expect(listSessions(client, emptyWindow())).rejects.toMatchObject({
      kind: 'unavailable',
      blame: 'tenant',
      message: expect.stringContaining(failure),
    });
    pra.setReportError('AccessSessionListing', undefined);
    expect(await listSessions(client, emptyWindow())).toEqual([]);
  });

  it('does not take the text PRA gives a refused old window for "no data"', async () => {
    // This tenant refuses every window older than its retention, with its invalid-parameter text.
    await tenant({ locale: madeUpLanguage(14), rejectWindowsOlderThan: 90 * 86_400 });
    expect(await listSessions(client, emptyWindow())).toEqual([]);
    await expect(listSessions(client, { field: 'end', from: 3600, to: 3601 })).rejects.toMatchObject({
      kind: 'api',
    });
  });

  it('learns again when the site changes its language', async () => {
    await tenant({ locale: madeUpLanguage(15) });
    let now = Date.now();
    const texts = new ErrorTexts(client, () => now);
    const listing = { report: 'AccessSessionListing', windows: true };
    await expect(texts.meaning(listing, madeUpLanguage(15).noData.AccessSessionListing)).resolves.toBe(
      'no_data',
    );
    pra.setLocale(madeUpLanguage(16));
    now += 120_000;
    await expect(texts.meaning(listing, madeUpLanguage(16).noData.AccessSessionListing)).resolves.toBe(
      'no_data',
    );
    await expect(texts.meaning(listing, madeUpLanguage(15).noData.AccessSessionListing)).resolves.toBe(
      'error',
    );
  });
});

describe('a report the appliance does not have', () => {
  it.each([
    ['its unknown-report error', 'error' as const],
    ['HTTP 404', 404 as const],
  ])('is unavailable, blaming the tenant, when it answers %s', async (_what, reply) => {
    await tenant({ locale: madeUpLanguage(17), missingReports: { VaultAccountActivity: reply } });
    await expect(vaultFeed.probe(client)).rejects.toMatchObject({ kind: 'unavailable', blame: 'tenant' });
    expect(await listSessions(client, emptyWindow())).toEqual([]);
  });

  it('is unavailable in English too, without asking anything more', async () => {
    await tenant({ missingReports: { VaultAccountActivity: 'error' } });
    await expect(vaultFeed.probe(client)).rejects.toMatchObject({ kind: 'unavailable' });
    expect(reportRequests('VaultAccountActivity')).toBe(1);
  });
});
