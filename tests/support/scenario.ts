import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StateFileContent } from '../../module/feeds/sessions/state';
import {
  CollectorProcess,
  platformLaunch,
  type CollectorLaunch,
  type LogLine,
} from '../../simulator/collector-process';
import type { DeliveryReport } from '../../simulator/delivery-check';
import { checkSessionDelivery, expectedSessionJsons } from '../../simulator/expected-session-events';
import { startPraSimulator, type PraSimulator, type PraSimulatorOptions } from '../../simulator/pra';
import {
  startSekoiaSimulator,
  type SekoiaSimulator,
  type SekoiaSimulatorOptions,
} from '../../simulator/sekoia';

export interface ScenarioOptions {
  pra?: PraSimulatorOptions;
  /** Platform simulator options; by default its secrets API returns the PRA simulator's secret. */
  sekoia?: SekoiaSimulatorOptions;
  /** Merged over a working module configuration, whose secret comes from the secrets API. */
  module?: Record<string, unknown>;
  /** Merged over working trigger arguments (one cycle a second). */
  trigger?: Record<string, unknown>;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * A PRA tenant, the Sekoia platform and a data directory, with the real entry point run against
 * them as a child process, across restarts if a test wants, and readers for what it leaves behind:
 * intake events, logs, health, metrics, state.
 */
export class Scenario {
  readonly collectors: CollectorProcess[] = [];
  private closed = false;

  private constructor(
    readonly pra: PraSimulator,
    readonly sekoia: SekoiaSimulator,
    readonly dataDir: string,
    private readonly options: ScenarioOptions,
  ) {}

  static async start(options: ScenarioOptions = {}): Promise<Scenario> {
    const pra = await startPraSimulator({
      closedSessions: 3,
      openSessions: 0,
      eventsPerSession: 5,
      ...options.pra,
    });
    const sekoia = await startSekoiaSimulator({
      secrets: { client_secret: options.pra?.clientSecret ?? 'sim-secret' },
      ...options.sekoia,
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-scenario-'));
    return new Scenario(pra, sekoia, dataDir, options);
  }

  /** Starts the simulators and one collector at once. */
  static async run(options: ScenarioOptions = {}): Promise<Scenario> {
    const scenario = await Scenario.start(options);
    scenario.launch();
    return scenario;
  }

  launch(overrides: Partial<CollectorLaunch> = {}): CollectorProcess {
    // A simulator started with its own client id, intake key or token gets a launch that matches it.
    const { pra, sekoia } = this.options;
    const collector = CollectorProcess.start(
      platformLaunch(this, {
        module: { ...(pra?.clientId && { client_id: pra.clientId }), ...this.options.module },
        trigger: {
          ...(sekoia?.intakeKey && { intake_key: sekoia.intakeKey }),
          frequency: 1,
          request_timeout: 5,
          ...this.options.trigger,
        },
        ...(sekoia?.token && { token: sekoia.token }),
        dataDir: this.dataDir,
        ...overrides,
      }),
    );
    this.collectors.push(collector);
    return collector;
  }

  /** The collector launched last. */
  get collector(): CollectorProcess {
    const last = this.collectors.at(-1);
    if (!last) throw new Error('no collector launched in this scenario');
    return last;
  }

  /** The session events PRA shows now of `lsids` (default all), stated from the simulator's data. */
  async expected(lsids?: string[]): Promise<string[]> {
    return expectedSessionJsons(this.pra, lsids);
  }

  /** The intake's session events against `expected`: lost, duplicated, unexpected. */
  report(expected: readonly string[]): DeliveryReport {
    return checkSessionDelivery(this.pra, expected, this.sekoia.events);
  }

  /** Waits until every expected event reached the intake at least once. */
  async delivered(expected: readonly string[], timeoutMs = 30_000): Promise<void> {
    await this.nothingLost(() => this.report(expected), timeoutMs);
  }

  /** Waits until `report` (the intake's events against a feed's expected ones) has nothing lost. */
  async nothingLost(report: () => DeliveryReport, timeoutMs = 30_000): Promise<DeliveryReport> {
    await this.sekoia
      .waitFor(() => report().lost === 0, timeoutMs)
      .catch((error: unknown) => {
        throw new Error(`${String(error)}; delivery: ${JSON.stringify(report())}`);
      });
    return report();
  }

  /** Waits for `cycles` more AccessSessionListing calls, i.e. that many more cycles began. */
  async moreCycles(cycles: number, timeoutMs = 20_000): Promise<void> {
    const listingsPerCycle = this.options.trigger?.live_sessions === false ? 1 : 2;
    await this.moreRequests('AccessSessionListing', cycles * listingsPerCycle, timeoutMs);
  }

  /** Waits until `count` more requests of `report` reached PRA. */
  async moreRequests(report: string, count: number, timeoutMs = 20_000): Promise<void> {
    const target = this.requestsOf(report) + count;
    await this.pra.waitFor(() => this.requestsOf(report) >= target, timeoutMs);
  }

  requestsOf(report: string): number {
    return this.pra.requests.filter((r) => r.params.generate_report === report).length;
  }

  openLsids(): string[] {
    return this.pra.sessions.filter((s) => s.endTime === null).map((s) => s.lsid);
  }

  /** Intake events, parsed. */
  get events(): Array<Record<string, unknown>> {
    return this.sekoia.events.map((event) => JSON.parse(event) as Record<string, unknown>);
  }

  /** Stdout log lines of the current collector whose message matches. */
  logs(pattern: RegExp): LogLine[] {
    return this.collector.lines.filter((line) => pattern.test(String(line.message)));
  }

  async waitForLogs(pattern: RegExp, count = 1, timeoutMs = 20_000): Promise<void> {
    await this.collector.waitFor(
      () => this.logs(pattern).length >= count,
      timeoutMs,
      `${count} × ${pattern}`,
    );
  }

  async health(): Promise<{ status: number; body: string }> {
    const port = await this.collector.healthPort();
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    return { status: res.status, body: await res.text() };
  }

  async metrics(): Promise<string> {
    const port = await this.collector.metricsPort();
    return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  }

  /** The state file, parsed: a JSON error here is a test failure, which is the point. */
  state(): StateFileContent {
    return JSON.parse(fs.readFileSync(path.join(this.dataDir, 'context.json'), 'utf8')) as StateFileContent;
  }

  /** SIGTERM to the current collector, then everything is closed; resolves with its exit. */
  async stop(): Promise<Exit> {
    const exit = await this.collector.stop('SIGTERM');
    await this.close();
    return exit;
  }

  /** Kills any collector still running and closes the simulators; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.collectors.map((collector) => collector.stop('SIGKILL')));
    await Promise.all([this.pra.close(), this.sekoia.close()]);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
