/**
 * The collector child process between a PRA simulator and a Sekoia platform simulator, as the
 * hostile and secret-hygiene tests drive it, with what they read back: logs, health, metrics, state.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StateFileContent } from '../../module/state';
import { CollectorProcess, type LogLine } from '../../simulator/collector-process';
import { startPraSimulator, type PraSimulator, type PraSimulatorOptions } from '../../simulator/pra';
import {
  startSekoiaSimulator,
  type SekoiaSimulator,
  type SekoiaSimulatorOptions,
} from '../../simulator/sekoia';

export interface StackOptions {
  pra?: PraSimulatorOptions;
  sekoia?: SekoiaSimulatorOptions;
  /** Merged over a working module configuration; the secret comes from the secrets API. */
  module?: Record<string, unknown>;
  /** Merged over working trigger arguments (frequency 1 s). */
  trigger?: Record<string, unknown>;
}

export class Stack {
  private constructor(
    readonly pra: PraSimulator,
    readonly sekoia: SekoiaSimulator,
    readonly collector: CollectorProcess,
  ) {}

  static async start(options: StackOptions = {}): Promise<Stack> {
    const pra = await startPraSimulator({
      closedSessions: 3,
      openSessions: 0,
      eventsPerSession: 5,
      ...options.pra,
    });
    const intakeKey = options.sekoia?.intakeKey ?? 'hostile-intake-key';
    const token = options.sekoia?.token ?? 'hostile-platform-token';
    const sekoia = await startSekoiaSimulator({
      secrets: { client_secret: 'sim-secret' },
      ...options.sekoia,
      intakeKey,
      token,
    });
    const collector = CollectorProcess.start({
      moduleConfiguration: {
        base_url: pra.url,
        client_id: 'sim-client',
        client_secret: 'placeholder-replaced-by-the-secrets-api',
        ...options.module,
      },
      triggerConfiguration: {
        intake_key: intakeKey,
        intake_server: sekoia.url,
        frequency: 1,
        request_timeout: 5,
        ...options.trigger,
      },
      callbackUrl: sekoia.callbackUrl,
      token,
    });
    return new Stack(pra, sekoia, collector);
  }

  /** Stops the collector (SIGTERM), then the simulators, and removes the data directory. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const exit = await this.collector.stop();
    await Promise.all([this.pra.close(), this.sekoia.close()]);
    fs.rmSync(this.collector.dataDir, { recursive: true, force: true });
    return exit;
  }

  /** Stdout log lines whose message matches. */
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

  /** Parsed intake events. */
  get events(): Array<Record<string, unknown>> {
    return this.sekoia.events.map((event) => JSON.parse(event) as Record<string, unknown>);
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
    return JSON.parse(fs.readFileSync(this.collector.statePath, 'utf8')) as StateFileContent;
  }
}

/** A temporary file holding `content`, removed by the returned function. */
export function tempFile(name: string, content: string): { path: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-hostile-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return { path: file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
