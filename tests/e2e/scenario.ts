import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CollectorProcess, type CollectorLaunch } from '../../simulator/collector-process';
import { compareDeliveries, expectedEvents, type DeliveryReport } from '../../simulator/delivery-check';
import { startPraSimulator, type PraSimulator, type PraSimulatorOptions } from '../../simulator/pra';
import {
  DEFAULT_INTAKE_KEY,
  DEFAULT_TOKEN,
  startSekoiaSimulator,
  type SekoiaSimulator,
} from '../../simulator/sekoia';
import type { StateFileContent } from '../../module/state';

export const CLIENT_SECRET = 'sim-secret';

export interface ScenarioOptions {
  pra?: PraSimulatorOptions;
  trigger?: Record<string, unknown>;
  module?: Record<string, unknown>;
  /** What the platform's secrets endpoint returns. */
  secrets?: Record<string, string>;
}

/**
 * A PRA tenant, the Sekoia platform and a data directory, with helpers to run the real entry
 * point against them across restarts.
 */
export class Scenario {
  readonly collectors: CollectorProcess[] = [];

  private constructor(
    readonly pra: PraSimulator,
    readonly sekoia: SekoiaSimulator,
    readonly dataDir: string,
    private readonly options: ScenarioOptions,
  ) {}

  static async start(options: ScenarioOptions = {}): Promise<Scenario> {
    const pra = await startPraSimulator({
      closedSessions: 4,
      openSessions: 1,
      eventsPerSession: 12,
      ...options.pra,
    });
    const sekoia = await startSekoiaSimulator({
      secrets: options.secrets ?? { client_secret: CLIENT_SECRET },
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-e2e-'));
    return new Scenario(pra, sekoia, dataDir, options);
  }

  launch(overrides: Partial<CollectorLaunch> = {}): CollectorProcess {
    const collector = CollectorProcess.start({
      moduleConfiguration: {
        base_url: this.pra.url,
        client_id: 'sim-client',
        client_secret: 'placeholder-replaced-by-the-secrets-api',
        ...this.options.module,
      },
      triggerConfiguration: {
        intake_key: DEFAULT_INTAKE_KEY,
        intake_server: this.sekoia.intakeUrl,
        frequency: 1,
        request_timeout: 10,
        ...this.options.trigger,
      },
      callbackUrl: this.sekoia.callbackUrl,
      token: DEFAULT_TOKEN,
      dataDir: this.dataDir,
      ...overrides,
    });
    this.collectors.push(collector);
    return collector;
  }

  async expected(lsids?: string[]): Promise<string[]> {
    return expectedEvents(this.pra, lsids);
  }

  report(expected: readonly string[]): DeliveryReport {
    return compareDeliveries(expected, this.sekoia.events);
  }

  /** Waits until every expected event reached the intake at least once. */
  async delivered(expected: readonly string[], timeoutMs = 30_000): Promise<void> {
    await this.sekoia
      .waitFor(() => this.report(expected).lost === 0, timeoutMs)
      .catch((error: unknown) => {
        const report = this.report(expected);
        throw new Error(`${String(error)}; delivery: ${JSON.stringify(report)}`);
      });
  }

  /** Waits for `cycles` more AccessSessionListing calls, i.e. that many more cycles began. */
  async moreCycles(cycles: number, timeoutMs = 20_000): Promise<void> {
    const listingsPerCycle = this.options.trigger?.live_sessions === false ? 1 : 2;
    const target = this.listings() + cycles * listingsPerCycle;
    await this.pra.waitFor(() => this.listings() >= target, timeoutMs);
  }

  listings(): number {
    return this.pra.requests.filter((r) => r.params.generate_report === 'AccessSessionListing').length;
  }

  state(): StateFileContent {
    return JSON.parse(fs.readFileSync(path.join(this.dataDir, 'context.json'), 'utf8')) as StateFileContent;
  }

  openLsids(): string[] {
    return this.pra.sessions.filter((s) => s.endTime === null).map((s) => s.lsid);
  }

  async close(): Promise<void> {
    await Promise.all(this.collectors.map((collector) => collector.stop('SIGKILL')));
    await Promise.all([this.pra.close(), this.sekoia.close()]);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
