/**
 * `npm run bench:collect [-- --sessions N --events M]`: the real entry point moves N closed sessions
 * of M events from the PRA simulator to the intake simulator. Prints wall time, events/s, PRA
 * requests (with what the Python collector's one-call-per-session pattern would need on the same
 * data), the collector's peak RSS, and how the CPU splits between the collector and the simulators,
 * which run in this process and compete with it for the same cores. Prints numbers; never fails on them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { CollectorProcess, platformLaunch } from '../simulator/collector-process';
import { startPraSimulator } from '../simulator/pra';
import { startSekoiaSimulator } from '../simulator/sekoia';
import { imageEnvironment } from '../scripts/image-replay';

const TARGET_EVENTS_PER_SECOND = 50_000;
const TARGET_PEAK_RSS_MB = 200;
/** lsids per AccessSession request, the collector's default (`sessions_per_request`). */
const SESSIONS_PER_REQUEST = 50;
const CLOCK_TICKS_PER_SECOND = 100;

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be an integer >= 1');
  return parsed;
}

/** VmHWM (peak resident set) of a live process, in MB. */
function peakRssMb(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM for process ${pid}`);
  return Number(match[1]) / 1024;
}

/** User + system CPU seconds used so far by a live process. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Measure the collector as the image runs it. */
const IMAGE_NODE_OPTIONS = imageEnvironment(
  fs.readFileSync(path.join(__dirname, '..', '..', 'Dockerfile'), 'utf8'),
).NODE_OPTIONS;

async function main(): Promise<void> {
  const opts = new Command('bench:collect')
    .description('End-to-end collection throughput, PRA requests and peak memory')
    .option('--sessions <n>', 'closed sessions on the PRA tenant', positiveInteger, 2000)
    .option('--events <n>', 'events per session', positiveInteger, 500)
    .option(
      '--node-options <flags>',
      'NODE_OPTIONS for the collector (default: the image\'s, from the Dockerfile), e.g. "--require ./profile-hook.js"',
      IMAGE_NODE_OPTIONS,
    )
    .parse()
    .opts<{ sessions: number; events: number; nodeOptions?: string }>();

  const generating = Date.now();
  const pra = await startPraSimulator({
    closedSessions: opts.sessions,
    openSessions: 0,
    eventsPerSession: opts.events,
    historySeconds: 3600,
  });
  const sekoia = await startSekoiaSimulator({ secrets: { client_secret: 'sim-secret' }, storeEvents: false });
  const total = pra.sessions.reduce((n, s) => n + s.events.length, 0);
  console.log(
    `bench:collect: ${opts.sessions} sessions, ${total} events generated in ${((Date.now() - generating) / 1000).toFixed(1)} s`,
  );

  let collector: CollectorProcess | undefined;
  try {
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    collector = CollectorProcess.start(
      platformLaunch(
        { pra, sekoia },
        {
          trigger: { frequency: 1, first_run_lookback_hours: 2, requests_per_second: 100 },
          env: opts.nodeOptions === undefined ? undefined : { NODE_OPTIONS: opts.nodeOptions },
        },
      ),
    );
    const pid = collector.child.pid as number;
    const running = collector;
    // A collector that dies (bad --node-options, crash) would otherwise leave this waiting for nothing.
    await Promise.race([
      sekoia.waitFor(() => sekoia.eventCount >= total, 600_000),
      running.exited.then(({ code, signal }) => {
        throw new Error(
          `the collector exited (code ${code}, signal ${signal}) after ${sekoia.eventCount} events: ${running.stderr.join(' ').slice(0, 500)}`,
        );
      }),
    ]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rssMb = peakRssMb(pid);
    const collectorCpu = cpuSeconds(pid);
    const benchCpu = process.cpuUsage(cpuBefore);
    const simulatorsCpu = (benchCpu.user + benchCpu.system) / 1e6;
    await collector.stop('SIGTERM');

    const reporting = pra.requests.filter((r) => r.path === '/api/reporting');
    const listings = reporting.filter((r) => r.params.generate_report === 'AccessSessionListing').length;
    const details = reporting.filter((r) => r.params.generate_report === 'AccessSession').length;
    const tokens = pra.requests.filter((r) => r.path === '/oauth2/token').length;
    const detailBound = Math.ceil(opts.sessions / SESSIONS_PER_REQUEST);
    const rows: Array<[string, string, string]> = [
      ['', 'this collector', 'Python pattern'],
      ['events delivered', String(sekoia.eventCount), String(total)],
      ['wall time (process start to last event)', `${seconds.toFixed(1)} s`, ''],
      ['events/s', `${Math.round(total / seconds)} (target >= ${TARGET_EVENTS_PER_SECOND})`, ''],
      ['PRA listing requests', String(listings), '1'],
      [
        'PRA AccessSession requests',
        `${details} (bound ${detailBound}: 1 per ${SESSIONS_PER_REQUEST} sessions)`,
        String(opts.sessions),
      ],
      ['PRA token requests', String(tokens), '1'],
      ['PRA requests in all', String(listings + details + tokens), String(2 + opts.sessions)],
      ['collector peak RSS (VmHWM)', `${rssMb.toFixed(0)} MB (target <= ${TARGET_PEAK_RSS_MB})`, ''],
      [
        'collector CPU',
        `${collectorCpu.toFixed(1)} s (${((100 * collectorCpu) / seconds).toFixed(0)} % of a core)`,
        '',
      ],
      [
        'simulators CPU (same machine)',
        `${simulatorsCpu.toFixed(1)} s (${((100 * simulatorsCpu) / seconds).toFixed(0)} % of a core)`,
        '',
      ],
    ];
    const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
    for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c] as number)).join('  '));
    console.log(
      `\nThe PRA and intake simulators run in this process on the same ${os.availableParallelism()} cores; ` +
        'their CPU time above is time the collector could not use.\n' +
        `Collector NODE_OPTIONS: ${opts.nodeOptions ?? '(none)'}`,
    );
  } finally {
    await collector?.stop('SIGKILL');
    await Promise.all([pra.close(), sekoia.close()]);
  }
}

main().catch((error: unknown) => {
  console.error(`bench:collect: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  // The simulator's pending waitFor timer would keep the process up for its whole timeout.
  process.exit(1);
});
