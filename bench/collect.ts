/**
 * `npm run bench:collect`: the real entry point moves a tenant of closed sessions from the PRA
 * simulator to the intake simulator, one collector process per shape, one shape after the other.
 * By default the same 500,000 events two ways, few big sessions then many small ones, so that
 * what the number of sessions costs shows side by side. `--catch-up` runs a 90-day backlog of a
 * million one-event sessions instead, and `--running` sessions followed while they run (time-compressed:
 * 2 and 8 hours at the default cycle and delay bound). Each run prints what it cost PRA: requests,
 * the busiest hour's, and the events PRA sent against those forwarded. Every run checks that each event arrived exactly once; the
 * bench exits non-zero when one was lost or duplicated, never because of a speed.
 */
import { Command, InvalidArgumentError } from 'commander';
import { isExact } from '../simulator/delivery-check';
import { printComparison, printContext, printRun } from './collect-report';
import { runCollection, type RunPlan, type RunResult } from './collect-run';
import { IMAGE_NODE_OPTIONS, positiveInteger } from './options';
import { printRunning, runRunningSessions, TIME_COMPRESSION } from './running-run';

interface Shape {
  sessions: number;
  eventsPerSession: number;
}

const DEFAULT_SHAPES: Shape[] = [
  { sessions: 2000, eventsPerSession: 250 },
  { sessions: 100_000, eventsPerSession: 5 },
];
/** What `--sessions` or `--events` alone runs with for the other one. */
const SINGLE_SHAPE: Shape = { sessions: 2000, eventsPerSession: 500 };
const HOUR = 3600;
/** PRA keeps 90 days of sessions, and the collector can look back as far on its first run. */
const RETENTION_HOURS = 2160;
/**
 * The catch-up history stops this far short of the retention, so that its oldest sessions are
 * still inside PRA's 90 days when the collector lists them, after a generation that can take a
 * minute on a loaded machine.
 */
const RETENTION_MARGIN_SECONDS = HOUR;

interface Options {
  shapes: Shape[];
  sessions?: number;
  events?: number;
  catchUp?: boolean;
  running?: boolean;
  catchUpSessions?: number;
  nodeOptions?: string;
  entryPoint?: string;
}

/** How every run of this invocation starts its collector. */
type Launch = Pick<RunPlan, 'nodeOptions' | 'entryPoint'>;

function shapes(value: string): Shape[] {
  return value.split(',').map((shape) => {
    const match = /^(\d+)x(\d+)$/.exec(shape.trim());
    if (!match) throw new InvalidArgumentError(`"${shape}" is not SESSIONSxEVENTS, e.g. 2000x250`);
    return { sessions: positiveInteger(match[1]), eventsPerSession: positiveInteger(match[2]) };
  });
}

function shapePlan({ sessions, eventsPerSession }: Shape, launch: Launch): RunPlan {
  return {
    name: `${sessions}x${eventsPerSession}`,
    sessions,
    eventsPerSession,
    historySeconds: HOUR,
    lookbackHours: 2,
    ...launch,
  };
}

function plans(opts: Options): RunPlan[] {
  const launch: Launch = { nodeOptions: opts.nodeOptions, entryPoint: opts.entryPoint };
  if (opts.catchUp || opts.catchUpSessions !== undefined) {
    const sessions = opts.catchUpSessions ?? 1_000_000;
    return [
      {
        name: `catch-up ${sessions}x1`,
        sessions,
        eventsPerSession: 1,
        historySeconds: RETENTION_HOURS * HOUR - RETENTION_MARGIN_SECONDS,
        lookbackHours: RETENTION_HOURS,
        ...launch,
      },
    ];
  }
  if (opts.sessions !== undefined || opts.events !== undefined) {
    const shape = {
      sessions: opts.sessions ?? SINGLE_SHAPE.sessions,
      eventsPerSession: opts.events ?? SINGLE_SHAPE.eventsPerSession,
    };
    return [shapePlan(shape, launch)];
  }
  return opts.shapes.map((shape) => shapePlan(shape, launch));
}

async function main(): Promise<void> {
  const opts = new Command('bench:collect')
    .description('End-to-end collection: throughput, PRA requests, collector memory and CPU, exactly-once')
    .option('--shapes <list>', 'SESSIONSxEVENTS,... : one run per shape, same order', shapes, DEFAULT_SHAPES)
    .option('--sessions <n>', `one run of N sessions (default ${SINGLE_SHAPE.sessions})`, positiveInteger)
    .option(
      '--events <n>',
      `events per session of that run (default ${SINGLE_SHAPE.eventsPerSession})`,
      positiveInteger,
    )
    .option('--catch-up', `a first run over ${RETENTION_HOURS} h of 1,000,000 one-event sessions`)
    .option('--catch-up-sessions <n>', 'sessions of the catch-up run (implies --catch-up)', positiveInteger)
    .option(
      '--running',
      '50 running sessions followed for the equivalent of 2 h, then of 8 h (about 10 minutes)',
    )
    .option(
      '--node-options <flags>',
      'NODE_OPTIONS for the collector (default: the image\'s, from the Dockerfile), e.g. "--require ./profile-hook.js"',
      IMAGE_NODE_OPTIONS,
    )
    .option(
      '--entry-point <file>',
      "another build's dist/main.js, to compare builds run alternately on one machine",
    )
    .parse()
    .opts<Options>();

  if (opts.running) {
    await benchRunning();
    return;
  }
  const runs: RunResult[] = [];
  for (const plan of plans(opts)) {
    const run = await runCollection(plan);
    printRun(run);
    runs.push(run);
  }
  printComparison(runs);
  printContext(opts.nodeOptions);
  const broken = runs.filter((r) => !isExact(r.delivery));
  if (broken.length > 0) {
    console.error(
      `\nbench:collect: events lost or duplicated in ${broken.map((r) => r.plan.name).join(', ')}`,
    );
    process.exitCode = 1;
  }
}

/** Running sessions: 2 h and 8 h of the default trigger, compressed (see running-run.ts). */
async function benchRunning(): Promise<void> {
  const hours = [2, 8];
  for (const hour of hours) {
    const lengthSeconds = (hour * 3600) / TIME_COMPRESSION;
    const run = await runRunningSessions({ sessions: 50, lengthSeconds, events: lengthSeconds / 2 });
    printRunning(run);
    if (!isExact(run.delivery) || run.late > 0) process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(`bench:collect: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
