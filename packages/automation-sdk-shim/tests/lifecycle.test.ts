import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Module, SendEventError, Trigger } from '@sekoia/automation-sdk-shim';
import { startSekoiaSimulator, type SekoiaSimulator } from '../../../simulator/sekoia';
import {
  CONNECTOR_NAME,
  FAST_TIMINGS,
  MODULE_CONFIGURATION,
  Sandbox,
  TestConnector,
  compiledShim,
  deferred,
  makeConnector,
} from './helpers';

let sim: SekoiaSimulator;
let sandbox: Sandbox;
beforeEach(async () => {
  sim = await startSekoiaSimulator({ secrets: { client_secret: 'fetched-secret-value' } });
  sandbox = new Sandbox().platform(sim);
});
afterEach(async () => {
  await sim.close();
  sandbox.cleanup();
});

describe('run loop and stop', () => {
  it('stop() wakes sleep(60) within a second', async () => {
    const { connector } = makeConnector(sandbox);
    const started = Date.now();
    const sleeping = connector.sleep(60);
    connector.stop();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(connector.running).toBe(false);
    expect(connector.stopSignal.aborted).toBe(true);
  });

  it('calls run() again at once when it returns, until stopped', async () => {
    let calls = 0;
    const { connector } = makeConnector(sandbox, async (self) => {
      calls += 1;
      if (calls === 3) self.stop();
    });
    await connector.execute();
    expect(calls).toBe(3);
    expect(connector.exitCode).toBe(0);
  });

  it('fetches the secrets with the token and merges them before run()', async () => {
    sandbox.config('module_configuration', { ...MODULE_CONFIGURATION, client_secret: 'encrypted' });
    let seen: unknown;
    const { connector } = makeConnector(sandbox, async (self) => {
      seen = self.module.configuration.client_secret;
      self.stop();
    });
    await connector.execute();
    expect(seen).toBe('fetched-secret-value');
    expect(sim.requests.find((r) => r.path === '/secrets')?.headers.authorization).toMatch(/^Bearer /);
  });

  it('sends one critical after 5 counted errors, not for platform-side errors', async () => {
    let calls = 0;
    const { connector } = makeConnector(sandbox, async () => {
      calls += 1;
      if (calls <= 3) throw new SendEventError(503);
      throw new Error(`failure ${calls}`);
    });
    const done = connector.execute();
    await sim.waitFor(() => sim.logs.some((l) => l.level === 'critical'));
    connector.stop();
    await done;
    expect(sim.logs.filter((l) => l.level === 'critical').map((l) => l.message)).toEqual([
      '5 successive uncatched errors',
    ]);
    expect(calls).toBeGreaterThanOrEqual(8);
  });

  it('on a configuration error sends one critical and waits for stop, then exits 1', async () => {
    sandbox.config('connector_configuration', { intake_key: 'key-123456', frequency: 'never' });
    let settled = false;
    const { connector } = makeConnector(sandbox, async (self) => {
      void self.configuration;
    });
    const done = connector.execute().then(() => (settled = true));
    await sim.waitFor(() => sim.logs.some((l) => l.level === 'critical'));
    await connector.flushLogs();
    expect(settled).toBe(false);
    connector.stop();
    await done;
    expect(connector.exitCode).toBe(1);
    const criticals = sim.logs.filter((l) => l.level === 'critical');
    expect(criticals).toHaveLength(1);
    expect(criticals[0].message).toBe(
      'Configuration error: Trigger configuration is invalid: /frequency must be integer',
    );
  });

  it('treats an invalid module configuration the same way, before run()', async () => {
    sandbox.config('module_configuration', { ...MODULE_CONFIGURATION, base_url: 'nope' });
    const run = jest.fn(async () => undefined);
    const { connector } = makeConnector(sandbox, run);
    const done = connector.execute();
    await sim.waitFor(() => sim.logs.some((l) => l.level === 'critical'));
    connector.stop();
    await done;
    expect(run).not.toHaveBeenCalled();
    expect(connector.exitCode).toBe(1);
    expect(sim.logs.find((l) => l.level === 'critical')?.message).toContain(
      '/base_url must match format "uri"',
    );
  });

  it('gives up on the secrets after 10 attempts with a critical, and exits 1 on stop', async () => {
    sandbox.config('url_secrets', `${sim.url}/missing-secrets`);
    const { connector } = makeConnector(sandbox);
    const done = connector.execute();
    await sim.waitFor(() => sim.logs.some((l) => l.level === 'critical'));
    expect(sim.requests.filter((r) => r.path === '/missing-secrets')).toHaveLength(10);
    expect(sim.logs.find((l) => l.level === 'critical')?.message).toMatch(
      /^Failed to fetch the module secrets/,
    );
    connector.stop();
    await done;
    expect(connector.exitCode).toBe(1);
  });

  it('sends playbook events to the callback, and a 4xx is final', async () => {
    const { connector } = makeConnector(sandbox);
    await connector.sendEvent('alert', { id: 1 });
    expect(sim.callbacks).toEqual([{ name: 'alert', event: { id: 1 }, request_id: expect.any(String) }]);
    sandbox.config('url_callback', `${sim.url}/nope`);
    const other = makeConnector(sandbox).connector;
    await expect(other.sendEvent('alert', {})).rejects.toMatchObject({ name: 'SendEventError', status: 404 });
  });
});

describe('Module.run', () => {
  it('exits 1 with a clear message for an unknown command', async () => {
    const module = sandbox.module();
    module.register(
      class extends Trigger {
        async run(): Promise<void> {}
      },
      CONNECTOR_NAME,
    );
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await module.run(['nope'])).toBe(1);
      expect(String(stderr.mock.calls[0][0])).toContain(
        "Could not find any Action or Trigger matching command 'nope' (registered: 'test_connector')",
      );
    } finally {
      stderr.mockRestore();
    }
  });

  it('resolves exit code 1 after a configuration error once stopped', async () => {
    sandbox.config('connector_configuration', { intake_server: sim.intakeUrl });
    const created = deferred<TestConnector>();
    class Captured extends TestConnector {
      constructor(module: Module, name: string) {
        super(
          module,
          name,
          { timings: FAST_TIMINGS, logStream: fs.createWriteStream('/dev/null') },
          async (self) => {
            void self.configuration;
          },
        );
        created.resolve(this);
      }
    }
    const module = sandbox.module();
    module.register(Captured, CONNECTOR_NAME);
    const exit = module.run([CONNECTOR_NAME]);
    const connector = await created.promise;
    await sim.waitFor(() => sim.logs.some((l) => l.message.includes('/intake_key is required')));
    connector.stop();
    expect(await exit).toBe(1);
  });
});

describe('SIGTERM in a real process', () => {
  it('exits within a second of SIGTERM while run() sleeps 60 s', async () => {
    const dir = path.join(sandbox.root, 'child');
    fs.mkdirSync(path.join(dir, 'symphony'), { recursive: true });
    for (const [name, value] of Object.entries({
      module_configuration: '{}',
      trigger_configuration: '{}',
      liveness_port: '0',
      metrics_port: '0',
    })) {
      fs.writeFileSync(path.join(dir, 'symphony', name), value);
    }
    const script = path.join(dir, 'main.js');
    fs.writeFileSync(
      script,
      `const { Module, Trigger } = require(${JSON.stringify(compiledShim)});
class Sleeper extends Trigger {
  async run() {
    this.logger.info('sleeping');
    while (this.running) await this.sleep(60);
  }
}
const sekoiaModule = new Module({ rootDir: __dirname });
sekoiaModule.register(Sleeper, 'sleeper');
sekoiaModule.run(['sleeper']).then((code) => { process.exitCode = code; });
`,
    );
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, SYMPHONY_CONFIG_PATH: path.join(dir, 'symphony'), SYMPHONY_DATA_PATH: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`child exited early with code ${code}`)));
      let out = '';
      child.stdout.on('data', (data: Buffer) => {
        out += data.toString();
        if (out.includes('"message":"sleeping"')) resolve();
      });
    });
    const started = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(1000);
  }, 10_000);
});
