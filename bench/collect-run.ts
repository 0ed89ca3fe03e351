/**
 * One bench:collect run: a PRA tenant of closed sessions, the intake, and the real entry point as a
 * child process between them, run until every event has arrived (or the run cannot finish), and
 * measured from outside the collector.
 */
import { CollectorProcess, platformLaunch, type SimulatedPlatform } from '../simulator/collector-process';
import { startPraSimulator, type PraSimulator } from '../simulator/pra';
import { startSekoiaSimulator } from '../simulator/sekoia';
import type { DeliveryCount, ExactlyOnce } from '../simulator/delivery-check';
import { sessionJudge } from '../simulator/expected-session-events';
import { DeliveryWatch, type RssSample } from './delivery-watch';
import { praCost, type PraCost } from './pra-cost';
import { cpuSeconds, peakRssMb } from './proc-stats';

export interface RunPlan {
  /** How the run is named in the output, e.g. `2000x250`. */
  name: string;
  sessions: number;
  eventsPerSession: number;
  /** The closed sessions' ends are spread over this many seconds before now. */
  historySeconds: number;
  /** The collector's first_run_lookback_hours; must cover the history. */
  lookbackHours: number;
  /** NODE_OPTIONS of the collector; its own environment's when undefined. */
  nodeOptions?: string;
  /** Another build's compiled entry point (its dist/main.js), to compare two builds on one machine. */
  entryPoint?: string;
}

export interface RunResult {
  plan: RunPlan;
  generatedSeconds: number;
  /** Time to state every expected event for the exactly-once judge. */
  judgeSeconds: number;
  /** This process's resident set once the tenant and the judge exist. */
  benchRssMb: number;
  delivery: DeliveryCount;
  /** Collector start to the last expected event, or to the failure. */
  wallSeconds: number;
  requests: { listings: number; details: number; tokens: number };
  /** What the run cost PRA, up to the last event. */
  cost: PraCost;
  /** Undefined when the collector was gone before it could be measured. */
  collector?: { peakRssMb: number; cpuSeconds: number };
  rssSamples: RssSample[];
  /** CPU of this process while the collector ran, the exactly-once check apart. */
  simulatorsCpuSeconds: number;
  checkCpuSeconds: number;
  /** Why the run stopped before every event arrived. */
  failure?: string;
  /** Whether a whole collection cycle ran after the last event, so that late duplicates were seen. */
  settled: boolean;
}

/**
 * Listing requests to wait for after the last event: four guarantee one whole cycle after it,
 * whether a cycle lists once (closed sessions) or twice (closed, then running ones).
 */
const SETTLE_LISTINGS = 4;
const SETTLE_TIMEOUT_MS = 60_000;

function requestCounts(pra: PraSimulator): RunResult['requests'] {
  const counts = { listings: 0, details: 0, tokens: 0 };
  for (const request of pra.requests) {
    if (request.path === '/oauth2/token') counts.tokens++;
    else if (request.params.generate_report === 'AccessSessionListing') counts.listings++;
    else if (request.params.generate_report === 'AccessSession') counts.details++;
  }
  return counts;
}

function collectorStats(pid: number): RunResult['collector'] {
  try {
    return { peakRssMb: peakRssMb(pid), cpuSeconds: cpuSeconds(pid) };
  } catch {
    // The process has exited: /proc no longer knows it.
    return undefined;
  }
}

async function settle(pra: PraSimulator): Promise<boolean> {
  const listings = (): number => requestCounts(pra).listings;
  const target = listings() + SETTLE_LISTINGS;
  return pra
    .waitFor(() => listings() >= target, SETTLE_TIMEOUT_MS)
    .then(
      () => true,
      () => false,
    );
}

/** The tenant, and the judge of what it must deliver, timed apart. */
async function tenant(plan: RunPlan): Promise<{ pra: PraSimulator; judge: ExactlyOnce; seconds: number[] }> {
  const generating = performance.now();
  const pra = await startPraSimulator({
    closedSessions: plan.sessions,
    openSessions: 0,
    eventsPerSession: plan.eventsPerSession,
    historySeconds: plan.historySeconds,
  });
  const counting = performance.now();
  // Digests: the judge of a million events then takes tens of MB, not the events' JSON.
  const judge = sessionJudge(pra, { digest: true });
  return {
    pra,
    judge,
    seconds: [counting - generating, performance.now() - counting].map((ms) => ms / 1000),
  };
}

/** The collector as the platform starts it, one cycle a second, looking back over the whole tenant. */
function startCollector(plan: RunPlan, platform: SimulatedPlatform): CollectorProcess {
  return CollectorProcess.start(
    platformLaunch(platform, {
      trigger: { frequency: 1, first_run_lookback_hours: plan.lookbackHours, requests_per_second: 100 },
      env: plan.nodeOptions === undefined ? undefined : { NODE_OPTIONS: plan.nodeOptions },
      entryPoint: plan.entryPoint,
    }),
  );
}

export async function runCollection(plan: RunPlan): Promise<RunResult> {
  const { pra, judge, seconds } = await tenant(plan);
  const watch = new DeliveryWatch(judge);
  const sekoia = await startSekoiaSimulator({
    secrets: { client_secret: 'sim-secret' },
    storeEvents: false,
    onBatch: (batch) => watch.accept(batch),
  });
  let collector: CollectorProcess | undefined;
  try {
    const benchRssMb = process.memoryUsage().rss / 2 ** 20;
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    collector = startCollector(plan, { pra, sekoia });
    const pid = collector.child.pid as number;
    const failure = await watch.outcome(collector);
    const wallSeconds = ((watch.completedAt ?? Date.now()) - started) / 1000;
    const stats = collectorStats(pid);
    const benchCpu = process.cpuUsage(cpuBefore);
    const checkCpuSeconds = watch.checkCpuSeconds;
    // Requests counted at the last event: the settling cycles below are not part of the work.
    const requests = requestCounts(pra);
    const cost = praCost(pra);
    const settled = failure === undefined && (await settle(pra));
    await collector.stop('SIGTERM');
    return {
      plan,
      generatedSeconds: seconds[0],
      judgeSeconds: seconds[1],
      benchRssMb,
      delivery: judge.count(),
      wallSeconds,
      requests,
      cost,
      collector: stats,
      rssSamples: watch.rssSamples,
      simulatorsCpuSeconds: (benchCpu.user + benchCpu.system) / 1e6 - checkCpuSeconds,
      checkCpuSeconds,
      failure,
      settled,
    };
  } finally {
    await collector?.stop('SIGKILL');
    await Promise.all([pra.close(), sekoia.close()]);
  }
}
