/**
 * `npm run demo`: the real collector against a simulated PRA tenant and a simulated Sekoia platform,
 * both on loopback, for about forty seconds, every feed in turn. Sessions first: closed sessions are
 * forwarded on the first cycle, live sessions grow while the collector follows them, then end; the
 * collector is stopped as the platform stops it (SIGTERM), and what reached the intake is checked
 * against what PRA holds. Then the Vault, Team and Syslog triggers (demo-feeds.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { CollectorProcess, platformLaunch } from '../simulator/collector-process';
import { isExact } from '../simulator/delivery-check';
import { checkSessionDelivery, expectedSessionJsons } from '../simulator/expected-session-events';
import { startPraSimulator, type PraSimulator, type SimSession } from '../simulator/pra';
import { startSekoiaSimulator, type SekoiaSimulator } from '../simulator/sekoia';
import { demoOtherFeeds } from './demo-feeds';
import { countBy, elapsed, row, say } from './demo-output';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Under the repository (git-ignored) rather than a temp dir, so the state can be opened after the run. */
const DEMO_DIR = path.join(REPO_ROOT, '.demo');
const DATA_DIR = path.join(DEMO_DIR, 'data');
const FREQUENCY_SECONDS = 2;
/**
 * The longest a running session's new events may wait. The default (600 s) spaces the requests for
 * a running session by a third of its age, longer than the demo lasts; this bound shows it.
 */
const RUNNING_MAX_DELAY_SECONDS = 6;
const CLOSED_SESSIONS = 5;
const GROWTH_ROUNDS = 5;
const EVENTS_PER_GROWTH = 3;
/** Round at which a second live session starts, to show sessions that begin while the collector runs. */
const SECOND_LIVE_ROUND = 2;
/** Bound on every wait: a few cycles. Past it the demo fails instead of hanging. */
const WAIT_MS = 15_000;

const short = (lsid: string): string => `${lsid.slice(0, 8)}…`;

interface ForwardedEvent {
  session_id: string;
  event_type?: string;
}

function delivered(sekoia: SekoiaSimulator): ForwardedEvent[] {
  return sekoia.events.map((json) => JSON.parse(json) as ForwardedEvent);
}

function forwardedFor(sekoia: SekoiaSimulator, lsid: string): number {
  return delivered(sekoia).filter((event) => event.session_id === lsid).length;
}

/**
 * What the demo shows of the collector's state file. Read as the file it is, not through the
 * module's type: the watermarks have changed shape between versions (one `watermark`, or a closed
 * and a started one), and the demo shows whichever the file holds.
 */
interface DemoState {
  most_recent_date_seen: string;
  watermark?: number;
  closed_watermark?: number;
  started_watermark?: number;
  tracked: Record<string, { forwarded?: number }>;
  seen: Record<string, unknown>;
  set_aside: Record<string, unknown>;
}

function readState(file: string): DemoState | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DemoState;
  } catch {
    // Not written yet: the collector saves it after its first listing.
    return undefined;
  }
}

/** Events of a session the collector recorded as accepted by the intake (`tracked[lsid].forwarded`). */
function committed(collector: CollectorProcess, lsid: string): number {
  return readState(collector.statePath)?.tracked[lsid]?.forwarded ?? 0;
}

async function main(): Promise<number> {
  fs.rmSync(DEMO_DIR, { recursive: true, force: true });
  fs.mkdirSync(DATA_DIR, { recursive: true });

  const pra = await startPraSimulator({ closedSessions: CLOSED_SESSIONS, openSessions: 1 });
  const sekoia = await startSekoiaSimulator({ secrets: { client_secret: 'sim-secret' } });
  let collector: CollectorProcess | undefined;
  try {
    collector = CollectorProcess.start(
      platformLaunch(
        { pra, sekoia },
        {
          trigger: {
            frequency: FREQUENCY_SECONDS,
            running_session_max_delay_seconds: RUNNING_MAX_DELAY_SECONDS,
          },
          dataDir: DATA_DIR,
        },
      ),
    );
    const sessionsOk = (await run(pra, sekoia, collector)) === 0;
    const othersOk = await demoOtherFeeds(pra, DEMO_DIR, WAIT_MS);
    say();
    say(
      sessionsOk && othersOk
        ? 'Result: OK, every feed forwarded every PRA event exactly once'
        : 'Result: FAILED (see above)',
    );
    return sessionsOk && othersOk ? 0 : 1;
  } catch (error) {
    // What the collector said last is usually why the demo failed.
    for (const line of collector?.lines.slice(-15) ?? [])
      console.error(`  collector: ${JSON.stringify(line)}`);
    for (const line of collector?.stderr.slice(-15) ?? []) console.error(`  collector stderr: ${line}`);
    throw error;
  } finally {
    // On success the collector has already exited; this only matters when the demo failed midway.
    await collector?.stop('SIGKILL');
    await pra.close();
    await sekoia.close();
  }
}

async function run(pra: PraSimulator, sekoia: SekoiaSimulator, collector: CollectorProcess): Promise<number> {
  const closed = pra.sessions.filter((s) => s.endTime !== null);
  const live: SimSession[] = pra.sessions.filter((s) => s.endTime === null);

  say('BeyondTrust PRA collector: demo of the four feeds');
  say();
  say('Session events (node dist/main.js pull_pra_sessions)');
  say();
  row('PRA tenant (simulated)', `${pra.url}  ${closed.length} closed sessions, ${live.length} running`);
  row('Sekoia platform (sim.)', sekoia.url);
  row(
    'Collector',
    `node dist/main.js pull_pra_sessions (pid ${collector.child.pid}), every ${FREQUENCY_SECONDS} s, ` +
      `running sessions asked again within ${RUNNING_MAX_DELAY_SECONDS} s`,
  );
  row('Data directory', DATA_DIR);
  say();

  const closedEvents = expectedSessionJsons(
    pra,
    closed.map((s) => s.lsid),
  );
  await sekoia.waitFor(() => checkSessionDelivery(pra, closedEvents, sekoia.events).lost === 0, WAIT_MS);
  say(
    `[${elapsed()}] closed sessions: all ${closedEvents.length} events of ${closed.length} sessions forwarded`,
  );

  for (let round = 1; round <= GROWTH_ROUNDS; round++) {
    const roundStart = Date.now();
    if (round === SECOND_LIVE_ROUND) {
      const added = pra.addSession();
      live.push(added);
      say(`[${elapsed()}] live session ${short(added.lsid)} starts in PRA`);
    }
    for (const session of live) pra.growSession(session.lsid, EVENTS_PER_GROWTH);
    // Wait until the collector has committed every event PRA now holds for the live sessions (its
    // state counts them, re-read on each PRA request), then show what actually reached the intake.
    await pra.waitFor(() => live.every((s) => committed(collector, s.lsid) >= s.events.length), WAIT_MS);
    for (const session of live) {
      const forwarded = forwardedFor(sekoia, session.lsid);
      const missing = session.events.length - forwarded;
      say(
        `[${elapsed()}] live session ${short(session.lsid)}: ${forwarded} events forwarded so far, ` +
          `still running${missing > 0 ? ` (PRA holds ${missing} more)` : ''}`,
      );
    }
    // Pacing only, so that growth spans several collector cycles; nothing waits on it to be correct.
    await delay(Math.max(0, FREQUENCY_SECONDS * 1000 - (Date.now() - roundStart)));
  }

  for (const session of live) pra.endSession(session.lsid);
  say(`[${elapsed()}] live sessions end in PRA (Session End events)`);
  // A session leaves `tracked` only once the intake accepted all its events and the state is saved,
  // so an empty `tracked` means the collector has sent everything; its next PRA request re-checks.
  await pra.waitFor(() => {
    const tracked = readState(collector.statePath)?.tracked;
    return tracked !== undefined && Object.keys(tracked).length === 0;
  }, WAIT_MS);
  for (const session of live) {
    say(
      `[${elapsed()}] live session ${short(session.lsid)}: ${forwardedFor(sekoia, session.lsid)} events ` +
        'forwarded, finished',
    );
  }

  const stopAt = Date.now();
  const exit = await collector.stop('SIGTERM');
  const stopMs = Date.now() - stopAt;
  say(
    `[${elapsed()}] collector stopped by SIGTERM in ${stopMs} ms, exit code ${exit.code ?? `signal ${exit.signal}`}`,
  );

  return summary(pra, sekoia, collector, {
    closed,
    live,
    expected: expectedSessionJsons(pra),
    exitCode: exit.code,
  });
}

function summary(
  pra: PraSimulator,
  sekoia: SekoiaSimulator,
  collector: CollectorProcess,
  run: { closed: SimSession[]; live: SimSession[]; expected: string[]; exitCode: number | null },
): number {
  const events = delivered(sekoia);
  // Live sessions' events carry the file counters of their moment: the judge accepts those.
  const check = checkSessionDelivery(pra, run.expected, sekoia.events);

  say();
  say('Summary');
  say();
  row(
    'Sessions',
    `${run.closed.length + run.live.length}: ${run.closed.length} closed, ${run.live.length} live (followed while running, then ended)`,
  );
  row(
    'Events forwarded',
    `${events.length} in ${sekoia.requests.filter((r) => r.path.endsWith('/batch')).length} intake pushes`,
  );
  for (const [type, count] of countBy(events, (e) => e.event_type ?? '(none)')) {
    say(`    ${String(count).padStart(5)}  ${type}`);
  }
  row('Checked against PRA', `${check.expected} events held by PRA, ${check.delivered} delivered`);
  row('  lost', check.lost);
  row('  duplicated', check.duplicated);
  row('  unexpected', check.unexpected);

  const byReport = countBy(pra.requests, (r) =>
    r.path === '/oauth2/token' ? 'OAuth token' : (r.params.generate_report ?? r.path),
  );
  row('PRA requests', pra.requests.length);
  for (const [report, count] of byReport) row(`  ${report}`, count);
  const detail = pra.requests.filter((r) => r.params.generate_report === 'AccessSession');
  const fetches = detail.reduce((sum, r) => sum + (r.lsids?.length ?? 0), 0);
  row('  session fetches', `${fetches}, in ${detail.length} AccessSession requests (lsids batches)`);
  row('  Python collector (N+1)', `one AccessSession request per session fetch: ${fetches} requests`);

  row(
    'Logs to Sekoia logs API',
    `${sekoia.logs.length} (${countBy(sekoia.logs, (l) => l.level)
      .map(([l, n]) => `${n} ${l}`)
      .join(', ')})`,
  );
  for (const log of sekoia.logs) say(`    ${log.level.padEnd(8)} ${log.message}`);

  const state = readState(collector.statePath);
  row('State file', collector.statePath);
  if (state) {
    row('  most_recent_date_seen', state.most_recent_date_seen);
    if (state.watermark !== undefined) row('  watermark', state.watermark);
    else row('  closed / started mark', `${state.closed_watermark} / ${state.started_watermark}`);
    row(
      '  tracked / seen / aside',
      `${Object.keys(state.tracked).length} / ${Object.keys(state.seen).length} / ${Object.keys(state.set_aside).length}`,
    );
  }

  const ok = isExact(check) && run.exitCode === 0;
  say();
  say(ok ? '  Sessions: OK, every PRA event reached the intake exactly once' : '  Sessions: FAILED');
  if (!ok) for (const sample of check.lostSamples) say(`  lost: ${sample}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
