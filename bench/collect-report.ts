/** How bench:collect prints its runs: one table per run, then one line comparing them. */
import os from 'node:os';
import type { RunResult } from './collect-run';

/** lsids per AccessSession request, the collector's default (`sessions_per_request`). */
const SESSIONS_PER_REQUEST = 50;
const TARGET_PEAK_RSS_MB = 200;
/** A tenant of many small sessions must run at least this share of the events/s of a few big ones. */
const TARGET_RATIO = 0.5;
/** Requests an hour third parties quote for one API account, all endpoints (see triggers' max_requests_per_hour). */
const HOURLY_BUDGET = 15_000;

const integer = (n: number): string => Math.round(n).toLocaleString('en-US');
const seconds = (s: number): string => `${s.toFixed(1)} s`;
const span = (s: number): string =>
  s >= 86_400 ? `${(s / 86_400).toFixed(2)} days` : `${(s / 3600).toFixed(1)} h`;

function eventsPerSecond(run: RunResult): number {
  return run.delivery.expected / run.wallSeconds;
}

function share(cpuSeconds: number, run: RunResult): string {
  return `${seconds(cpuSeconds)} (${((100 * cpuSeconds) / run.wallSeconds).toFixed(0)} % of a core)`;
}

function collectorRows(run: RunResult): Array<[string, string, string]> {
  const collector = run.collector;
  const samples = run.rssSamples.map((s) => s.rssMb.toFixed(0)).join(' ');
  const sampled: [string, string, string] = [
    'collector RSS at each 10 % of events',
    samples === '' ? 'none' : `${samples} MB`,
    '',
  ];
  if (!collector) return [sampled, ['collector peak RSS, CPU', 'n/a: the process had exited', '']];
  return [
    [
      'collector peak RSS (VmHWM)',
      `${collector.peakRssMb.toFixed(0)} MB (target <= ${TARGET_PEAK_RSS_MB})`,
      '',
    ],
    sampled,
    ['collector CPU', share(collector.cpuSeconds, run), ''],
    [
      'collector CPU per event',
      run.delivery.delivered === 0
        ? 'n/a: no event'
        : `${((collector.cpuSeconds * 1e6) / run.delivery.delivered).toFixed(1)} µs`,
      '',
    ],
  ];
}

function rows(run: RunResult): Array<[string, string, string]> {
  const { delivery, requests, plan } = run;
  const all = requests.listings + requests.details + requests.tokens;
  return [
    ['', 'this collector', 'Python pattern'],
    ['events delivered', `${integer(delivery.delivered)} of ${integer(delivery.expected)}`, ''],
    [
      'lost / duplicated / unexpected',
      `${delivery.lost} / ${delivery.duplicated} / ${delivery.unexpected}` +
        (run.failure || run.settled
          ? ''
          : ' (no whole cycle after the last event: late duplicates unchecked)'),
      '',
    ],
    [
      `wall time (collector start to ${run.failure ? 'failure' : 'last event'})`,
      seconds(run.wallSeconds),
      '',
    ],
    ['events/s', run.failure ? 'n/a: the run failed' : integer(eventsPerSecond(run)), ''],
    ['PRA listing requests', String(requests.listings), '1'],
    [
      'PRA AccessSession requests',
      `${requests.details} (listing and lsids would take ${Math.ceil(plan.sessions / SESSIONS_PER_REQUEST)}: 1 per ${SESSIONS_PER_REQUEST} sessions)`,
      String(plan.sessions),
    ],
    ['PRA token requests', String(requests.tokens), '1'],
    ['PRA requests in all', String(all), String(2 + plan.sessions)],
    [
      'PRA requests in the busiest hour',
      `${integer(run.cost.busiestHourRequests)} (the account's budget: about ${integer(HOURLY_BUDGET)} for all four triggers)`,
      '',
    ],
    [
      'events PRA sent / events forwarded',
      delivery.expected === 0 ? 'n/a' : (run.cost.eventsSent / delivery.expected).toFixed(2),
      '1.00',
    ],
    ...collectorRows(run),
    ['simulators CPU (this process)', share(run.simulatorsCpuSeconds, run), ''],
    ['exactly-once check CPU (this process)', share(run.checkCpuSeconds, run), ''],
  ];
}

export function printRun(run: RunResult): void {
  const { plan } = run;
  console.log(
    `\n== ${plan.name}: ${integer(plan.sessions)} closed sessions, ${integer(run.delivery.expected)} events ` +
      `over the last ${span(plan.historySeconds)}, first_run_lookback_hours ${plan.lookbackHours}; ` +
      `generated in ${seconds(run.generatedSeconds)}, exactly-once judge in ${seconds(run.judgeSeconds)}, ` +
      `bench process RSS ${run.benchRssMb.toFixed(0)} MB`,
  );
  const table = rows(run);
  const widths = [0, 1, 2].map((c) => Math.max(...table.map((r) => r[c].length)));
  for (const row of table) {
    console.log(
      row
        .map((cell, c) => cell.padEnd(widths[c] as number))
        .join('  ')
        .trimEnd(),
    );
  }
  if (run.failure) console.log(`FAILED: ${run.failure}`);
}

/** Each run's events/s against the first run's, with the "at least half" target. */
export function printComparison(runs: RunResult[]): void {
  const [first, ...others] = runs.filter((run) => !run.failure);
  if (!first || others.length === 0) return;
  const base = eventsPerSecond(first);
  const parts = others.map((run) => {
    const ratio = eventsPerSecond(run) / base;
    const verdict = ratio >= TARGET_RATIO ? 'met' : 'NOT met';
    return `${run.plan.name} ${integer(eventsPerSecond(run))} events/s = ${ratio.toFixed(2)} x ${first.plan.name} (${integer(base)}): target >= ${TARGET_RATIO} ${verdict}`;
  });
  console.log(`\nComparison: ${parts.join('; ')}`);
}

export function printContext(nodeOptions: string | undefined): void {
  console.log(
    `\nThe PRA and intake simulators run in this process on the same ${os.availableParallelism()} cores ` +
      'as the collector; their CPU time is time the collector could not use.\n' +
      `Collector NODE_OPTIONS: ${nodeOptions ?? '(none)'}`,
  );
}
