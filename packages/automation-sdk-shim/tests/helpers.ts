import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import {
  Connector,
  Module,
  Trigger,
  type TriggerOptions,
  type TriggerTimings,
} from '@sekoia/automation-sdk-shim';
import {
  DEFAULT_INTAKE_KEY,
  DEFAULT_TOKEN,
  startSekoiaSimulator,
  type SekoiaSimulator,
} from '../../../simulator/sekoia';

export const SECRET = 'S3cr3t-client-value';
export const CONNECTOR_NAME = 'test_connector';

export const FAST_TIMINGS: Partial<TriggerTimings> = {
  logFlushIntervalMs: 60_000,
  criticalStopWaitMs: 50,
  criticalUptimeGraceMs: 0,
  secretsRetryMaxDelayMs: 2,
  pushRetryMaxElapsedMs: 2000,
  pushRetryMaxDelayMs: 2,
  httpTimeoutMs: 3000,
  logsRetryMaxDelayMs: 2,
  sendEventRetryMaxDelayMs: 2,
};

export const MANIFEST = {
  name: 'Test module',
  slug: 'test',
  configuration: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: {
      base_url: { type: 'string', format: 'uri' },
      client_id: { type: 'string' },
      client_secret: { type: 'string' },
    },
    required: ['base_url', 'client_id', 'client_secret'],
    secrets: ['client_secret'],
  },
};

export const CONNECTOR_MANIFEST = {
  name: 'Test connector',
  docker_parameters: CONNECTOR_NAME,
  arguments: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: {
      intake_key: { type: 'string' },
      intake_server: { type: 'string', default: 'https://intake.sekoia.io' },
      frequency: { type: 'integer', default: 60 },
    },
    required: ['intake_key'],
  },
};

export const MODULE_CONFIGURATION = {
  base_url: 'https://pra.example.com',
  client_id: 'cid',
  client_secret: SECRET,
};

/** A temp module root (manifest + item JSON), a /symphony-like config dir and a data dir. */
export class Sandbox {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'shim-test-'));
  readonly configDir = path.join(this.root, 'symphony');
  readonly dataDir = path.join(this.root, 'data');

  constructor(manifest: object | undefined = MANIFEST) {
    fs.mkdirSync(this.configDir);
    fs.mkdirSync(path.join(this.root, 'triggers'));
    if (manifest) this.writeJson('manifest.json', manifest);
    this.writeJson(`triggers/${CONNECTOR_NAME}.json`, CONNECTOR_MANIFEST);
  }

  writeJson(relative: string, value: unknown): void {
    fs.writeFileSync(path.join(this.root, relative), JSON.stringify(value));
  }

  config(name: string, value: string | object): this {
    fs.writeFileSync(
      path.join(this.configDir, name),
      typeof value === 'string' ? value : JSON.stringify(value),
    );
    return this;
  }

  /** Platform wiring: token, callback URL (logs/secrets derived), ephemeral health/metrics ports. */
  platform(sim: SekoiaSimulator, connectorConfiguration: object = {}): this {
    return this.config('token', DEFAULT_TOKEN)
      .config('url_callback', sim.callbackUrl)
      .config('liveness_port', '0')
      .config('metrics_port', '0')
      .config('module_configuration', MODULE_CONFIGURATION)
      .config('connector_configuration', {
        intake_key: DEFAULT_INTAKE_KEY,
        intake_server: sim.intakeUrl,
        ...connectorConfiguration,
      });
  }

  module(): Module {
    return new Module({ rootDir: this.root, configPath: this.configDir, dataPath: this.dataDir });
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Collects the JSON lines the stdout logger writes. */
export class CaptureStream extends Writable {
  readonly text: string[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text.push(chunk.toString('utf8'));
    callback();
  }

  get lines(): Array<Record<string, unknown>> {
    return this.text
      .join('')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

type RunBody<T> = (self: T) => Promise<void>;

/** A connector whose run() is given by the test. */
export class TestConnector extends Connector {
  constructor(
    module: Module,
    name: string,
    options: TriggerOptions | undefined,
    private readonly body: RunBody<TestConnector>,
  ) {
    super(module, name, options);
  }

  async run(): Promise<void> {
    await this.body(this);
  }

  setHeartbeatThreshold(seconds: number): void {
    this.lastHeartbeatThreshold = seconds;
  }
}

export class TestTrigger extends Trigger {
  constructor(
    module: Module,
    name: string,
    options: TriggerOptions | undefined,
    private readonly body: RunBody<TestTrigger>,
  ) {
    super(module, name, options);
  }

  async run(): Promise<void> {
    await this.body(this);
  }
}

export function makeConnector(
  sandbox: Sandbox,
  body: RunBody<TestConnector> = waitForStop,
  timings: Partial<TriggerTimings> = {},
): { connector: TestConnector; stdout: CaptureStream } {
  const stdout = new CaptureStream();
  const connector = new TestConnector(
    sandbox.module(),
    CONNECTOR_NAME,
    { timings: { ...FAST_TIMINGS, ...timings }, logStream: stdout },
    body,
  );
  return { connector, stdout };
}

export async function waitForStop(self: Pick<Trigger, 'running' | 'sleep'>): Promise<void> {
  while (self.running) await self.sleep(60);
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Restores process.env after each test of the file that calls it. */
export function restoreEnvAfterEach(): void {
  let saved: NodeJS.ProcessEnv;
  beforeEach(() => {
    saved = { ...process.env };
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });
}

/** The shim as built (`npx tsc -b`), for tests that run it in a child process. */
export const compiledShim = path.join(__dirname, '..', 'dist', 'index.js');

/** A Sekoia simulator and a sandbox wired to it, fresh for each test of the calling file. */
export function usePlatformSandbox(): { readonly sim: SekoiaSimulator; readonly sandbox: Sandbox } {
  const platform = {} as { sim: SekoiaSimulator; sandbox: Sandbox };
  beforeEach(async () => {
    platform.sim = await startSekoiaSimulator();
    platform.sandbox = new Sandbox().platform(platform.sim);
  });
  afterEach(async () => {
    await platform.sim.close();
    platform.sandbox.cleanup();
  });
  return platform;
}
