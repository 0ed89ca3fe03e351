/**
 * The demo's second half: the Vault account activity, Team and Syslog triggers, each against the
 * same simulated PRA tenant and a Sekoia platform of its own, with new activity while they run (a
 * late arrival in a second already reported, identical events in one second, a syslog rotation),
 * then a SIGTERM. What reached each intake is checked against what the simulator says it must hold.
 */
import path from 'node:path';
import { CollectorProcess, platformLaunch } from '../simulator/collector-process';
import { isExact, type DeliveryReport } from '../simulator/delivery-check';
import { checkFeedDelivery, type ActivityFeedReport } from '../simulator/expected-events';
import type { PraSimulator } from '../simulator/pra';
import { startSekoiaSimulator, type SekoiaSimulator } from '../simulator/sekoia';
import { countBy, elapsed, row, say } from './demo-output';

interface DemoFeed {
  command: string;
  title: string;
  report: ActivityFeedReport;
  /** What an event is, for the counts by type. */
  typeOf: (event: string) => string;
  /** New activity in rounds while the collector runs, each saying what it shows. */
  rounds: Array<(pra: PraSimulator) => string>;
}

const jsonType = (event: string): string =>
  (JSON.parse(event) as { event_type?: string }).event_type ?? '(none)';

/** A second the next rounds write in; set by the first round. */
let second = 0;

const FEEDS: DemoFeed[] = [
  {
    command: 'pull_pra_vault_account_activity',
    title: 'Vault account activity',
    report: 'VaultAccountActivity',
    typeOf: jsonType,
    rounds: [
      (pra) => {
        second = pra.currentTime() - 1;
        const use = { timestamp: second, eventType: 'Credentials Used', account: '42' };
        pra.addVaultActivity(use);
        pra.addVaultActivity(use);
        return 'a credential used twice in one second (two events)';
      },
      (pra) => {
        pra.addVaultActivity({ timestamp: second, eventType: 'Password Rotated', account: '42' });
        return 'a rotation PRA reports late, in that second already forwarded';
      },
    ],
  },
  {
    command: 'pull_pra_team',
    title: 'Team activity',
    report: 'Team',
    typeOf: jsonType,
    rounds: [
      (pra) => {
        second = pra.currentTime() - 1;
        pra.addTeamEvent({ timestamp: second, teams: pra.teams.slice(0, 2).map((team) => team.id) });
        return 'a representative event under two teams (two events)';
      },
      (pra) => {
        pra.addTeamEvent({ timestamp: second });
        return 'an event PRA reports late, in that second already forwarded';
      },
    ],
  },
  {
    command: 'pull_pra_syslog',
    title: 'Syslog',
    report: 'Syslog',
    typeOf: (payload) => /(?:^|;)event=([^;]*)/.exec(payload)?.[1] ?? '(no event key)',
    rounds: [
      (pra) => {
        pra.addSyslogRecord({ segmentBytes: 300 });
        return 'a long record written in segments of 300 bytes';
      },
      (pra) => {
        pra.rotateSyslog();
        return 'a rotation: the live file becomes syslog.1.gz, read again and sent nothing twice';
      },
    ],
  },
];

/** Runs each feed's demo; true when every intake holds exactly what PRA holds. */
export async function demoOtherFeeds(pra: PraSimulator, demoDir: string, waitMs: number): Promise<boolean> {
  let ok = true;
  for (const feed of FEEDS) {
    const sekoia = await startSekoiaSimulator({ secrets: { client_secret: 'sim-secret' } });
    try {
      ok = (await demoFeed(pra, sekoia, feed, path.join(demoDir, feed.command), waitMs)) && ok;
    } finally {
      await sekoia.close();
    }
  }
  return ok;
}

async function demoFeed(
  pra: PraSimulator,
  sekoia: SekoiaSimulator,
  feed: DemoFeed,
  dataDir: string,
  waitMs: number,
): Promise<boolean> {
  say();
  say(`${feed.title} (node dist/main.js ${feed.command})`);
  const collector = CollectorProcess.start(
    platformLaunch({ pra, sekoia }, { command: feed.command, trigger: { frequency: 2 }, dataDir }),
  );
  const report = (): DeliveryReport => checkFeedDelivery(feed.report, pra, sekoia.events);
  try {
    await sekoia.waitFor(() => report().lost === 0, waitMs);
    say(`[${elapsed()}] first cycle: ${sekoia.events.length} events forwarded`);
    for (const round of feed.rounds) {
      say(`[${elapsed()}] in PRA now: ${round(pra)}`);
      // The next request of the report shows it; then the intake must hold it.
      const requests = pra.requests.length;
      await pra.waitFor(
        () => pra.requests.slice(requests).some((r) => r.params.generate_report === feed.report),
        waitMs,
      );
      await sekoia.waitFor(() => report().lost === 0, waitMs);
      say(`[${elapsed()}] ${sekoia.events.length} events forwarded in all`);
    }
    const exit = await collector.stop('SIGTERM');
    say(
      `[${elapsed()}] all forwarded; stopped by SIGTERM, exit code ${exit.code ?? `signal ${exit.signal}`}`,
    );
    return summary(pra, sekoia, feed, report(), exit.code);
  } catch (error) {
    for (const line of collector.lines.slice(-10)) console.error(`  collector: ${JSON.stringify(line)}`);
    throw error;
  } finally {
    await collector.stop('SIGKILL');
  }
}

function summary(
  pra: PraSimulator,
  sekoia: SekoiaSimulator,
  feed: DemoFeed,
  check: DeliveryReport,
  exitCode: number | null,
): boolean {
  row(
    'Events forwarded',
    `${sekoia.events.length} in ${sekoia.requests.filter((r) => r.path.endsWith('/batch')).length} intake pushes`,
  );
  for (const [type, count] of countBy(sekoia.events, feed.typeOf))
    say(`    ${String(count).padStart(5)}  ${type}`);
  row('Checked against PRA', `${check.expected} events held by PRA, ${check.delivered} delivered`);
  row('  lost / duplicated', `${check.lost} / ${check.duplicated}`);
  row('  unexpected', check.unexpected);
  row(
    `PRA ${feed.report} requests`,
    pra.requests.filter((r) => r.params.generate_report === feed.report).length,
  );
  const ok = isExact(check) && exitCode === 0;
  say(ok ? `  ${feed.title}: OK, exactly once` : `  ${feed.title}: FAILED`);
  return ok;
}
