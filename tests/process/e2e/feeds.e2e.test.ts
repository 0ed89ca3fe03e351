/**
 * The Vault account activity, Team and Syslog triggers end to end: the real entry point as a child
 * process between the PRA and Sekoia simulators, under PRA faults, intake faults and restarts.
 * What reached the intake is checked against the simulator's own statement of the expected events.
 */
import { checkFeedDelivery, type ActivityFeedReport } from '../../../simulator/expected-events';
import type { DeliveryReport } from '../../../simulator/delivery-check';
import type { PraSimulator } from '../../../simulator/pra';
import { Scenario } from '../../support/scenario';

interface FeedCase {
  command: string;
  report: ActivityFeedReport;
  /** New activity while the collector runs, a late arrival in a second already reported among it. */
  grow: (pra: PraSimulator) => void;
}

const FEEDS: FeedCase[] = [
  {
    command: 'pull_pra_vault_account_activity',
    report: 'VaultAccountActivity',
    grow: (pra) => {
      const now = pra.currentTime();
      pra.addVaultActivity({ timestamp: now });
      pra.addVaultActivity({ timestamp: now - 2 });
    },
  },
  {
    command: 'pull_pra_team',
    report: 'Team',
    grow: (pra) => {
      const now = pra.currentTime();
      pra.addTeamEvent({ timestamp: now, teams: pra.teams.slice(0, 2).map((team) => team.id) });
      pra.addTeamEvent({ timestamp: now - 2 });
    },
  },
  {
    command: 'pull_pra_syslog',
    report: 'Syslog',
    grow: (pra) => {
      pra.addSyslogRecord();
      pra.rotateSyslog();
      pra.addSyslogRecord({ segmentBytes: 200 });
    },
  },
];

let scenario: Scenario | undefined;

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

async function start(feed: FeedCase): Promise<Scenario> {
  scenario = await Scenario.start({ pra: { closedSessions: 0, openSessions: 0 } });
  scenario.launch({ command: feed.command });
  return scenario;
}

/** Waits until nothing expected is missing from the intake. */
function delivered(feed: FeedCase, running: Scenario): Promise<DeliveryReport> {
  return running.nothingLost(() => checkFeedDelivery(feed.report, running.pra, running.sekoia.events));
}

/** Waits until `count` more requests of the feed's report reached PRA: that many more cycles began. */
function moreRequests(feed: FeedCase, running: Scenario, count: number): Promise<void> {
  return running.moreRequests(feed.report, count);
}

describe.each(FEEDS)('$command end to end', (feed) => {
  it('delivers every event once through PRA 500s and 429s, a revoked token and intake 503s', async () => {
    const running = await start(feed);
    running.pra.injectFault({ kind: 'status', status: 500, count: 2, report: feed.report });
    running.pra.injectFault({ kind: 'status', status: 429, retryAfter: 1, count: 1, report: feed.report });
    running.sekoia.injectIntakeFault({ status: 503, count: 2 });
    await delivered(feed, running);
    running.pra.evictTokens();
    feed.grow(running.pra);
    await moreRequests(feed, running, 1);
    await delivered(feed, running);
    // Two more cycles ask again for what was already forwarded: it is not sent twice. (Each Syslog
    // download logs a record of its own, so what is expected grows with them.)
    await moreRequests(feed, running, 2);
    const report = await delivered(feed, running);
    expect(report).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    expect(report.expected).toBeGreaterThan(0);
    expect(running.pra.requests.some((r) => r.status === 429)).toBe(true);
    expect(running.pra.tokensIssued).toBeGreaterThanOrEqual(2);
  });

  it('repeats nothing after a SIGTERM during a push, and loses nothing', async () => {
    const running = await start(feed);
    // The intake holds the first push a second: the stop comes while it is in flight, within the grace.
    running.sekoia.injectIntakeFault({ delayMs: 1000, count: 1 });
    await running.sekoia.waitFor(() => running.sekoia.batchesReceived === 1);
    const exit = await running.collector.stop('SIGTERM');
    expect(exit.code).toBe(0);
    feed.grow(running.pra);
    running.launch({ command: feed.command });
    await delivered(feed, running);
    await moreRequests(feed, running, 2);
    expect(await delivered(feed, running)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
  });

  it('after a SIGKILL during a push, repeats at most that push and loses nothing', async () => {
    const running = await start(feed);
    running.sekoia.injectIntakeFault({ delayMs: 5000, count: 1 });
    await running.sekoia.waitFor(() => running.sekoia.batchesReceived === 1);
    await running.collector.stop('SIGKILL');
    // The intake still accepts the push it held: its events arrive once from the killed collector.
    await running.sekoia.waitFor(() => running.sekoia.events.length > 0, 10_000);
    const firstPush = running.sekoia.events.length;
    feed.grow(running.pra);
    running.launch({ command: feed.command });
    const report = await delivered(feed, running);
    expect(report.unexpected).toBe(0);
    expect(report.duplicated).toBeLessThanOrEqual(firstPush);
  });
});
