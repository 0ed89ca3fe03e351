/**
 * The soak: the real entry point collects from the PRA simulator into the Sekoia simulator while a
 * seeded schedule injects PRA faults, intake faults and SIGTERM/SIGKILL restarts, with sessions
 * starting, growing and ending all along. At the end it checks the intake against every event PRA
 * holds. Everything random comes from one seed, so a failing run is replayed with the same seed
 * (the timing of the child process still varies, so a replay is close, not identical).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CollectorProcess, platformLaunch } from '../simulator/collector-process';
import { ExactlyOnce, type DeliveryReport } from '../simulator/delivery-check';
import { SessionEventKeys, sessionViews, viewEvents } from '../simulator/expected-session-events';
import { startPraSimulator, type PraSimulator } from '../simulator/pra';
import { Rng } from '../simulator/pra/data';
import { startSekoiaSimulator, type AcceptedBatch, type SekoiaSimulator } from '../simulator/sekoia';
import { Waiters } from '../simulator/wait';

export interface SoakOptions {
  /** How long faults and restarts go on; the drain comes on top. */
  durationMs: number;
  seed: number;
  /** Longest wait, once faults stop, for the intake to hold every event. Default 90 s. */
  drainTimeoutMs?: number;
  /** Compiled entry point; default the one next to the compiled simulator (dist/main.js). */
  entryPoint?: string;
  /** Progress lines; default none. */
  log?: (line: string) => void;
}

export type FaultKind =
  | 'pra_429'
  | 'pra_5xx'
  | 'pra_reset'
  | 'pra_slow'
  | 'pra_token_eviction'
  | 'intake_5xx'
  | 'intake_timeout'
  | 'intake_slow';

export interface SoakReport {
  seed: number;
  durationMs: number;
  sessions: number;
  produced: number;
  delivered: number;
  lost: number;
  duplicated: number;
  /** Extra copies whose first copy was in flight when a SIGKILL hit (allowed: one push per kill). */
  duplicatedAfterSigkill: number;
  /** Extra copies of a push abandoned at SIGTERM after the grace period (intake slower than it). */
  duplicatedAfterAbandonedStop: number;
  /** Extra copies nothing explains: a bug. */
  duplicatedUnexplained: number;
  /** Kills or abandoned stops followed by duplicates from more than one push: a bug. */
  allowanceExceeded: number;
  /** Delivered events PRA does not hold, or with file counters no report of theirs showed (must be 0). */
  unexpected: number;
  /**
   * Events delivered while their session ran whose file counters have grown since: each event
   * carries its session's counters as of the report.
   */
  staleSessionFields: number;
  restarts: { sigterm: number; sigkill: number; unexpectedExits: number };
  faults: Record<FaultKind, number>;
  /** Longest time from an event's creation in a running session to its arrival at the intake. */
  worstLiveDelayMs: number;
  p99LiveDelayMs: number;
  /** Collector log lines at warning level or above (not failures by themselves). */
  warnings: number;
  drained: boolean;
  lostSamples: string[];
  /** Why the run failed; empty when it passed. */
  problems: string[];
  /** Where the collector logs were kept, on failure only. */
  logDir?: string;
}

const TRIGGER_CONFIGURATION = {
  frequency: 1,
  live_sessions: true,
  overlap_seconds: 30,
  sessions_per_request: 50,
  max_session_failures: 100,
  // Small, so that slow-reply faults turn into timeouts well within the run.
  request_timeout: 5,
  requests_per_second: 50,
  first_run_lookback_hours: 1,
};
const WORKLOAD_TICK_MS = 300;
const MAX_OPEN_SESSIONS = 8;

interface Incarnation {
  process: CollectorProcess;
  startedAt: number;
  endedAt?: number;
  ending?: 'SIGTERM' | 'SIGKILL' | 'final' | 'unexpected';
}

interface Arrival {
  batch: number;
  receivedAt: number;
  acceptedAt: number;
}

/** An expected event: its key for the judge, where it sits in the simulator, and its JSON now. */
interface ExpectedEvent {
  key: string;
  /** `lsid#index`, as `Workload.createdAt` knows it. */
  position: string;
  json: string;
}

/**
 * Every intake batch, and once the run is over and the tenant no longer changes, the judge of them
 * against what PRA holds: batches that came before are judged then, later ones as they come.
 */
class Deliveries {
  readonly all: Array<{ json: string; arrival: Arrival }> = [];
  /** First arrival of each expected event, by key. */
  readonly firstArrival = new Map<string, Arrival>();
  /** Each extra copy of an expected event, with the arrival of its first copy. */
  readonly duplicates: Array<{ key: string; first: Arrival; later: Arrival }> = [];
  readonly waiters = new Waiters();
  private batches = 0;
  private judge?: { exactlyOnce: ExactlyOnce; keys: SessionEventKeys };

  accept(batch: AcceptedBatch): void {
    const arrival = { batch: this.batches++, receivedAt: batch.receivedAt, acceptedAt: batch.acceptedAt };
    for (const json of batch.jsons) {
      this.all.push({ json, arrival });
      this.account(json, arrival);
    }
    this.waiters.notify();
  }

  /** States what PRA holds now as expected, and judges every batch so far against it. */
  expect(pra: PraSimulator): ExpectedEvent[] {
    const exactlyOnce = new ExactlyOnce();
    const events = sessionViews(pra).map((view) => ({ lsid: view.session.lsid, events: viewEvents(view) }));
    const keys = new SessionEventKeys(pra, {
      isExpected: (key) => exactlyOnce.has(key),
      expected: () => events.flatMap((session) => session.events),
    });
    const expected = events.flatMap(({ lsid, events: sessionEvents }) =>
      sessionEvents.map((event, i) => {
        const key = keys.ofEvent(event);
        exactlyOnce.expect(key);
        return { key, position: `${lsid}#${i}`, json: JSON.stringify(event) };
      }),
    );
    this.judge = { exactlyOnce, keys };
    for (const { json, arrival } of this.all) this.account(json, arrival);
    return expected;
  }

  /** Every expected event arrived (false before `expect`). */
  get complete(): boolean {
    return this.judge !== undefined && this.judge.exactlyOnce.matched === this.judge.exactlyOnce.expected;
  }

  report(): DeliveryReport {
    if (!this.judge) throw new Error('Deliveries.report() before expect()');
    return this.judge.exactlyOnce.report();
  }

  private account(json: string, arrival: Arrival): void {
    if (!this.judge) return;
    const key = this.judge.keys.ofJson(json);
    const outcome = this.judge.exactlyOnce.deliverKey(key);
    if (key === undefined) return;
    if (outcome === 'matched' && !this.firstArrival.has(key)) this.firstArrival.set(key, arrival);
    const first = this.firstArrival.get(key);
    if (outcome === 'duplicated' && first) this.duplicates.push({ key, first, later: arrival });
  }
}

/** Keeps one collector running on one data directory, restarting it the way the platform would. */
class Supervisor {
  readonly incarnations: Incarnation[] = [];
  readonly restarts = { sigterm: 0, sigkill: 0, unexpectedExits: 0 };
  private stopping = false;

  constructor(
    private readonly launch: Parameters<typeof CollectorProcess.start>[0],
    private readonly log: (line: string) => void,
  ) {}

  get current(): Incarnation {
    return this.incarnations[this.incarnations.length - 1] as Incarnation;
  }

  start(): void {
    const incarnation: Incarnation = { process: CollectorProcess.start(this.launch), startedAt: Date.now() };
    this.incarnations.push(incarnation);
    void incarnation.process.exited.then(({ code, signal }) => {
      incarnation.endedAt ??= Date.now();
      if (incarnation.ending !== undefined || this.stopping) return;
      // Not asked for: a crash. Counted, logged, and replaced as the platform would.
      incarnation.ending = 'unexpected';
      this.restarts.unexpectedExits++;
      this.log(`collector exited on its own (code ${code}, signal ${signal}); restarting`);
      this.start();
    });
  }

  async restart(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const incarnation = this.current;
    if (incarnation.ending !== undefined) return;
    incarnation.ending = signal;
    await incarnation.process.stop(signal);
    incarnation.endedAt = Date.now();
    if (signal === 'SIGKILL') this.restarts.sigkill++;
    else this.restarts.sigterm++;
    if (!this.stopping) this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const incarnation = this.current;
    incarnation.ending ??= 'final';
    await incarnation.process.stop('SIGTERM');
    incarnation.endedAt ??= Date.now();
  }

  /** Last resort on failure paths: no child outlives the run. */
  async kill(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.incarnations.map((i) => i.process.stop('SIGKILL')));
  }

  /** The run that sent a request whose body arrived at `at`. */
  senderAt(at: number): Incarnation | undefined {
    for (let i = this.incarnations.length - 1; i >= 0; i--) {
      const incarnation = this.incarnations[i] as Incarnation;
      if (incarnation.startedAt <= at) return incarnation;
    }
    return undefined;
  }
}

/** Sessions starting, growing and ending on a timer, remembering when each event was created. */
class Workload {
  /** `lsid#index` → Date.now() when the event was created in a running session. */
  readonly createdAt = new Map<string, number>();

  constructor(
    private readonly pra: PraSimulator,
    private readonly rng: Rng,
  ) {
    for (const session of pra.sessions) {
      if (session.endTime === null) this.noteCreated(session.lsid, 0, session.events.length);
    }
  }

  tick(): void {
    const open = this.pra.sessions.filter((s) => s.endTime === null);
    for (const session of open) {
      const added = this.pra.growSession(session.lsid, this.rng.int(0, 3));
      this.noteCreated(session.lsid, session.events.length - added.length, added.length);
    }
    if (open.length < MAX_OPEN_SESSIONS && this.rng.chance(0.1)) {
      const session = this.pra.addSession({ events: this.rng.int(2, 12) });
      this.noteCreated(session.lsid, 0, session.events.length);
    }
    if (open.length > 2 && this.rng.chance(0.06)) {
      this.pra.endSession(this.rng.pick(open).lsid);
    }
  }

  endAll(): void {
    for (const session of this.pra.sessions) {
      if (session.endTime === null) this.pra.endSession(session.lsid);
    }
  }

  private noteCreated(lsid: string, from: number, count: number): void {
    const now = Date.now();
    for (let i = from; i < from + count; i++) this.createdAt.set(`${lsid}#${i}`, now);
  }
}

/**
 * Queued faults are consumed only by requests, and a collector waiting in a backoff sends none: left
 * alone, faults would pile up into one long outage. So a fault is queued only once the previous one
 * on the same simulator has been consumed (requests seen since it reached its count).
 */
class FaultInjector {
  readonly injected: Record<FaultKind, number> = {
    pra_429: 0,
    pra_5xx: 0,
    pra_reset: 0,
    pra_slow: 0,
    pra_token_eviction: 0,
    intake_5xx: 0,
    intake_timeout: 0,
    intake_slow: 0,
  };
  private praFreeAt = 0;
  private intakeFreeAt = 0;

  constructor(
    private readonly rng: Rng,
    private readonly pra: PraSimulator,
    private readonly sekoia: SekoiaSimulator,
  ) {}

  private get intakeRequests(): number {
    return this.sekoia.requests.filter((r) => r.path.endsWith('/batch')).length;
  }

  inject(): void {
    const { rng, pra, sekoia } = this;
    const kind = rng.pick(Object.keys(this.injected) as FaultKind[]);
    const count = rng.int(1, 3);
    if (kind.startsWith('pra_') && kind !== 'pra_token_eviction') {
      if (pra.requests.length < this.praFreeAt) return;
      this.praFreeAt = pra.requests.length + count;
    }
    if (kind.startsWith('intake_')) {
      if (this.intakeRequests < this.intakeFreeAt) return;
      this.intakeFreeAt = this.intakeRequests + count;
    }
    switch (kind) {
      case 'pra_429':
        pra.injectFault({ kind: 'status', status: 429, retryAfter: rng.int(1, 2), count });
        break;
      case 'pra_5xx':
        pra.injectFault({ kind: 'status', status: rng.pick([500, 502, 503]), count });
        break;
      case 'pra_reset':
        // Before any byte, or mid-report (headers sent, body cut).
        pra.injectFault({
          kind: 'reset',
          count,
          afterBytes: rng.chance(0.5) ? undefined : rng.int(200, 20_000),
        });
        break;
      case 'pra_slow':
        // Beyond request_timeout (5 s) about a third of the time.
        pra.injectFault({ kind: 'slow', delayMs: rng.int(500, 7500), count });
        break;
      case 'pra_token_eviction':
        pra.evictTokens();
        break;
      case 'intake_5xx':
        sekoia.injectIntakeFault({ status: rng.pick([500, 502, 503]), count });
        break;
      case 'intake_timeout':
        // A gateway giving up: a long wait, then 504, nothing stored.
        sekoia.injectIntakeFault({ status: 504, delayMs: rng.int(1000, 5000), count });
        break;
      case 'intake_slow':
        sekoia.injectIntakeFault({ delayMs: rng.int(500, 5000), count });
        break;
    }
    this.injected[kind]++;
  }
}

/** Repeats `action` after delays drawn from `nextDelayMs` until stopped; one action at a time. */
function schedule(nextDelayMs: () => number, action: () => Promise<void> | void): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const arm = (): void => {
    timer = setTimeout(() => {
      running = Promise.resolve(action()).finally(() => {
        if (!stopped) arm();
      });
    }, nextDelayMs());
  };
  arm();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? ((): void => undefined);
  const rng = new Rng(options.seed);
  const deliveries = new Deliveries();

  const sekoia = await startSekoiaSimulator({
    secrets: { client_secret: 'sim-secret' },
    storeEvents: false,
    onBatch: (batch) => deliveries.accept(batch),
  });
  const pra = await startPraSimulator({
    seed: options.seed,
    closedSessions: 20,
    openSessions: 3,
    eventsPerSession: 60,
    historySeconds: 1800,
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-soak-'));
  const supervisor = new Supervisor(
    platformLaunch(
      { pra, sekoia },
      { trigger: TRIGGER_CONFIGURATION, dataDir, entryPoint: options.entryPoint },
    ),
    log,
  );
  const faults = new FaultInjector(rng, pra, sekoia);
  const workload = new Workload(pra, rng);
  const stoppers: Array<() => Promise<void>> = [];
  try {
    supervisor.start();
    const started = Date.now();
    stoppers.push(
      schedule(
        () => WORKLOAD_TICK_MS,
        () => workload.tick(),
      ),
      schedule(
        () => rng.int(500, 2500),
        () => faults.inject(),
      ),
      schedule(
        () => rng.int(5000, 12_000),
        async () => {
          const signal = rng.chance(0.4) ? 'SIGKILL' : 'SIGTERM';
          log(`${Math.round((Date.now() - started) / 1000)} s: ${signal} and restart`);
          await supervisor.restart(signal);
        },
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, options.durationMs));
    // Stop the chaos, let every session end, and give the collector a clean run to catch up.
    await Promise.all(stoppers.splice(0).map((stop) => stop()));
    workload.endAll();
    const runEndedAt = Date.now();
    const expected = deliveries.expect(pra);
    log(`faults stopped; waiting for ${expected.length} events at the intake`);
    // Done when every event arrived, or when the collector says it follows nothing any more (then
    // whatever is missing is lost for good, and waiting longer would only hide that).
    const collector = supervisor.current.process;
    const linesBefore = collector.lines.length;
    const drained = await Promise.race([
      deliveries.waiters
        .waitFor(() => deliveries.complete, options.drainTimeoutMs ?? 90_000, 'every event at the intake')
        .then(
          () => true,
          () => false,
        ),
      collector
        .waitFor(
          () =>
            collector.lines
              .slice(linesBefore)
              .some((l) => /Cycle done: .* 0 sessions still followed or pending/.test(String(l.message))),
          options.drainTimeoutMs ?? 90_000,
          'the collector to finish every session',
        )
        .then(
          () => deliveries.complete,
          () => false,
        ),
    ]);
    await supervisor.stop();
    const report = buildReport({
      options,
      pra,
      supervisor,
      workload,
      expected,
      deliveries,
      faults: faults.injected,
      drained,
      runEndedAt,
    });
    if (report.problems.length > 0) report.logDir = keepLogs(supervisor, options.seed);
    return report;
  } finally {
    await Promise.all(stoppers.map((stop) => stop()));
    await supervisor.kill();
    await Promise.all([pra.close(), sekoia.close()]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The collector's stdout of every run, one file per run, to investigate a failure. */
function keepLogs(supervisor: Supervisor, seed: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pra-soak-seed${seed}-logs-`));
  supervisor.incarnations.forEach((incarnation, i) => {
    const lines = incarnation.process.lines.map((line) => JSON.stringify(line));
    lines.push(...incarnation.process.stderr.map((line) => `stderr: ${line}`));
    fs.writeFileSync(path.join(dir, `run-${i + 1}-${incarnation.ending ?? 'running'}.log`), lines.join('\n'));
  });
  return dir;
}

interface ReportInput {
  options: SoakOptions;
  pra: PraSimulator;
  supervisor: Supervisor;
  workload: Workload;
  expected: ExpectedEvent[];
  deliveries: Deliveries;
  faults: Record<FaultKind, number>;
  drained: boolean;
  runEndedAt: number;
}

function buildReport(input: ReportInput): SoakReport {
  const { supervisor, deliveries } = input;
  const delivery = deliveries.report();
  const problems: string[] = [];

  // Each extra copy is explained by how the run that sent the first copy ended.
  let afterKill = 0;
  let afterAbandonedStop = 0;
  let unexplained = 0;
  const pushesRepeated = new Map<Incarnation, Set<number>>();
  for (const { key, first, later } of deliveries.duplicates) {
    const sender = supervisor.senderAt(first.receivedAt);
    const abandoned =
      sender?.ending === 'SIGTERM' &&
      sender.process.lines.some((l) => /before the intake acknowledged/.test(String(l.message)));
    if (sender && sender !== supervisor.senderAt(later.receivedAt) && sender.ending === 'SIGKILL') {
      afterKill++;
    } else if (sender && sender !== supervisor.senderAt(later.receivedAt) && abandoned) {
      afterAbandonedStop++;
    } else {
      unexplained++;
      if (unexplained <= 3) problems.push(`unexplained duplicate: ${key.slice(0, 200)}`);
      continue;
    }
    const pushes = pushesRepeated.get(sender) ?? new Set<number>();
    pushes.add(first.batch);
    pushesRepeated.set(sender, pushes);
  }
  const allowanceExceeded = [...pushesRepeated.values()].filter((pushes) => pushes.size > 1).length;

  // Live delay: creation in a running session to first arrival, for events created before the end.
  const delays: number[] = [];
  for (const { key, position } of input.expected) {
    const created = input.workload.createdAt.get(position);
    const arrived = deliveries.firstArrival.get(key)?.acceptedAt;
    if (created !== undefined && arrived !== undefined && created <= input.runEndedAt) {
      delays.push(arrived - created);
    }
  }
  delays.sort((a, b) => a - b);

  const finalJson = new Set(input.expected.map((e) => e.json));
  const staleSessionFields =
    deliveries.all.filter(({ json }) => !finalJson.has(json)).length - delivery.unexpected;
  const warnings = supervisor.incarnations.reduce(
    (n, i) =>
      n + i.process.lines.filter((l) => /^(warn|warning|error|critical)$/.test(String(l.level))).length,
    0,
  );

  if (!input.drained) problems.push('the intake did not receive every event before the drain timeout');
  if (delivery.lost > 0) problems.push(`${delivery.lost} events lost`);
  if (delivery.unexpected > 0) problems.push(`${delivery.unexpected} delivered events PRA does not hold`);
  if (unexplained > 0)
    problems.push(`${unexplained} duplicates not explained by a SIGKILL or abandoned stop`);
  if (allowanceExceeded > 0) problems.push(`${allowanceExceeded} restarts repeated more than one push`);
  if (supervisor.restarts.unexpectedExits > 0) {
    problems.push(`${supervisor.restarts.unexpectedExits} unexpected collector exits`);
  }
  return {
    seed: input.options.seed,
    durationMs: input.options.durationMs,
    sessions: input.pra.sessions.length,
    produced: delivery.expected,
    delivered: delivery.delivered,
    lost: delivery.lost,
    duplicated: delivery.duplicated,
    duplicatedAfterSigkill: afterKill,
    duplicatedAfterAbandonedStop: afterAbandonedStop,
    duplicatedUnexplained: unexplained,
    allowanceExceeded,
    unexpected: delivery.unexpected,
    staleSessionFields,
    restarts: supervisor.restarts,
    faults: input.faults,
    worstLiveDelayMs: delays.at(-1) ?? 0,
    p99LiveDelayMs: delays[Math.floor(delays.length * 0.99)] ?? 0,
    warnings,
    drained: input.drained,
    lostSamples: delivery.lostSamples,
    problems,
  };
}

export function formatSoakReport(report: SoakReport): string {
  const faults = Object.entries(report.faults)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const total = Object.values(report.faults).reduce((a, b) => a + b, 0);
  const rows: Array<[string, string]> = [
    ['seed', String(report.seed)],
    ['duration (faults on)', `${Math.round(report.durationMs / 1000)} s`],
    ['sessions', String(report.sessions)],
    ['events produced', String(report.produced)],
    ['events delivered', String(report.delivered)],
    ['lost', String(report.lost)],
    ['duplicated', String(report.duplicated)],
    ['  after SIGKILL (allowed: 1 push per kill)', String(report.duplicatedAfterSigkill)],
    ['  after a push abandoned at SIGTERM', String(report.duplicatedAfterAbandonedStop)],
    ['  unexplained (must be 0)', String(report.duplicatedUnexplained)],
    ['restarts repeating > 1 push (must be 0)', String(report.allowanceExceeded)],
    ['unexpected events (must be 0)', String(report.unexpected)],
    ['delivered with since-changed session fields', String(report.staleSessionFields)],
    [
      'restarts',
      `${report.restarts.sigterm + report.restarts.sigkill} (SIGTERM ${report.restarts.sigterm}, SIGKILL ${report.restarts.sigkill}, unexpected exits ${report.restarts.unexpectedExits})`,
    ],
    ['faults injected', `${total} (${faults})`],
    ['worst live-session delay', `${(report.worstLiveDelayMs / 1000).toFixed(1)} s`],
    ['p99 live-session delay', `${(report.p99LiveDelayMs / 1000).toFixed(1)} s`],
    ['collector warnings/errors logged', String(report.warnings)],
    ...(report.logDir ? ([['collector logs', report.logDir]] as Array<[string, string]>) : []),
    ['result', report.problems.length === 0 ? 'PASS' : `FAIL: ${report.problems.join('; ')}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
