import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { DEFAULT_INTAKE_KEY, DEFAULT_TOKEN } from './sekoia';
import { Waiters } from './wait';

/** The compiled entry point, as the container runs it, whether this file runs compiled or from source (jest). */
const PARENT = path.resolve(__dirname, '..');
export const ENTRY_POINT = path.join(PARENT, path.basename(PARENT) === 'dist' ? '' : 'dist', 'main.js');

export interface CollectorLaunch {
  /** Module configuration (the Sekoia "account"). Secret keys may hold a placeholder: see `secrets`. */
  moduleConfiguration: Record<string, unknown>;
  /** Trigger arguments, as the platform writes `trigger_configuration`. */
  triggerConfiguration: Record<string, unknown>;
  /** Platform callback URL; the logs and secrets URLs are derived from it by the shim. */
  callbackUrl: string;
  /** Bearer token for the platform endpoints. */
  token: string;
  /** Data directory (`/symphony_data`); a fresh temporary one when absent. */
  dataDir?: string;
  /** Item to run: `pull_pra_sessions` (default) or `validate_module_configuration`. */
  command?: string;
  /** Extra environment, e.g. to pass configuration as base64. */
  env?: Record<string, string>;
  /** Compiled entry point to run, default `ENTRY_POINT`; the image replay runs its assembled `/app` copy. */
  entryPoint?: string;
  /** Working directory of the child, default this process's: the platform gives no guarantee about it. */
  cwd?: string;
}

/** The two simulators a collector runs between, as far as its configuration needs them. */
export interface SimulatedPlatform {
  pra: { url: string };
  sekoia: { intakeUrl: string; callbackUrl: string };
}

export interface PlatformLaunchOptions extends Partial<
  Omit<CollectorLaunch, 'moduleConfiguration' | 'triggerConfiguration'>
> {
  /** Merged over the module configuration (PRA simulator URL, its client id, a secret placeholder). */
  module?: Record<string, unknown>;
  /** Merged over the trigger arguments (the intake simulator and its key). */
  trigger?: Record<string, unknown>;
}

/**
 * What the Sekoia platform would hand a collector placed between these simulators. The secret is a
 * placeholder, as in production: the shim fetches the real one from the platform's secrets API.
 */
export function platformLaunch(
  { pra, sekoia }: SimulatedPlatform,
  { module, trigger, ...launch }: PlatformLaunchOptions = {},
): CollectorLaunch {
  return {
    moduleConfiguration: {
      base_url: pra.url,
      client_id: 'sim-client',
      client_secret: 'placeholder-replaced-by-the-secrets-api',
      ...module,
    },
    triggerConfiguration: { intake_key: DEFAULT_INTAKE_KEY, intake_server: sekoia.intakeUrl, ...trigger },
    callbackUrl: sekoia.callbackUrl,
    token: DEFAULT_TOKEN,
    ...launch,
  };
}

export interface LogLine {
  level?: string;
  message?: string;
  [key: string]: unknown;
}

/**
 * A collector running as a child process, configured exactly the way the Sekoia platform does it:
 * environment variables for the configuration, one argument naming the item, a data directory.
 */
export class CollectorProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Waiters();

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        resolve({ code, signal });
        this.notify();
      });
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(parseLine(line));
      this.notify();
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      this.notify();
    });
  }

  static start(launch: CollectorLaunch): CollectorProcess {
    const dataDir = launch.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pra-collector-data-'));
    // An empty config directory, so that a /symphony on the host can never leak into a run.
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-collector-config-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SYMPHONY_CONFIG_PATH: configDir,
      SYMPHONY_DATA_PATH: dataDir,
      MODULE_CONFIGURATION: JSON.stringify(launch.moduleConfiguration),
      TRIGGER_CONFIGURATION: JSON.stringify(launch.triggerConfiguration),
      URL_CALLBACK: launch.callbackUrl,
      TOKEN: launch.token,
      LIVENESS_PORT: '0',
      METRICS_PORT: '0',
      ...launch.env,
    };
    const child = spawn(
      process.execPath,
      [launch.entryPoint ?? ENTRY_POINT, launch.command ?? 'pull_pra_sessions'],
      {
        env,
        cwd: launch.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.on('exit', () => fs.rmSync(configDir, { recursive: true, force: true }));
    return new CollectorProcess(child, dataDir);
  }

  get statePath(): string {
    return path.join(this.dataDir, 'context.json');
  }

  /** Resolves once `predicate` holds, re-checked on every output line and at exit. */
  waitFor(predicate: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
    return this.waiters.waitFor(predicate, timeoutMs, what);
  }

  /** Resolves with the first log line matching, waiting for it if needed. */
  async waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine> {
    await this.waitFor(() => this.lines.some(match), timeoutMs, 'a matching log line');
    return this.lines.find(match) as LogLine;
  }

  /** Port of the /health server, announced on stdout at start. */
  async healthPort(): Promise<number> {
    const line = await this.waitForLog(
      (l) => typeof l.port === 'number' && /health/i.test(String(l.message)),
    );
    return line.port as number;
  }

  async metricsPort(): Promise<number> {
    const line = await this.waitForLog(
      (l) => typeof l.port === 'number' && /metrics/i.test(String(l.message)),
    );
    return line.port as number;
  }

  /** Sends `signal` and waits for the exit. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  private notify(): void {
    this.waiters.notify();
  }
}

function parseLine(line: string): LogLine {
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed && typeof parsed === 'object') return parsed as LogLine;
  } catch {
    // Not every line is JSON (e.g. Node's own warnings); keep it as a message.
  }
  return { message: line };
}
