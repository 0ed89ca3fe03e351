import { AccountValidator, type Module } from '@sekoia/automation-sdk-shim';
import { startSekoiaSimulator, type SekoiaSimulator } from '../../../simulator/sekoia';
import { CaptureStream, FAST_TIMINGS, MODULE_CONFIGURATION, SECRET, Sandbox } from './helpers';

let sim: SekoiaSimulator;
let sandbox: Sandbox;
beforeEach(async () => {
  sim = await startSekoiaSimulator();
  sandbox = new Sandbox().platform(sim);
  sandbox.config('module_configuration', { ...MODULE_CONFIGURATION, client_secret: 'encrypted' });
});
afterEach(async () => {
  await sim.close();
  sandbox.cleanup();
});

class Validator extends AccountValidator {
  constructor(
    module: Module,
    private readonly check: (self: Validator) => Promise<boolean>,
  ) {
    super(module, 'validate_module_configuration', { timings: FAST_TIMINGS, logStream: new CaptureStream() });
  }

  validate(): Promise<boolean> {
    return this.check(this);
  }

  detail(key: string, value: unknown): void {
    this.details[key] = value;
  }
}

describe('AccountValidator', () => {
  it('reports running, merges the secrets from the reply, then reports success', async () => {
    sim.setPatchReply({ module_configuration: { value: { client_secret: SECRET } } });
    let seen: unknown;
    const validator = new Validator(sandbox.module(), async (self) => {
      seen = self.module.configuration.client_secret;
      return true;
    });
    await validator.execute();
    expect(seen).toBe(SECRET);
    expect(sim.patches).toEqual([{ status: 'running' }, { status: 'finished', results: { success: true } }]);
    expect(validator.exitCode).toBe(0);
  });

  it('reports failure with the recorded error', async () => {
    const validator = new Validator(sandbox.module(), async (self) => {
      self.error('The API account is disabled');
      return false;
    });
    await validator.execute();
    expect(sim.patches[1]).toEqual({
      status: 'finished',
      results: { success: false },
      error: 'The API account is disabled',
    });
  });

  it('sends its details with the secrets in their values masked, even a secret that JSON escapes or that is also a key', async () => {
    const quoted = 'pa"ss\\word';
    sim.setPatchReply({ module_configuration: { value: { client_secret: quoted, client_id: 'feeds' } } });
    const validator = new Validator(sandbox.module(), async (self) => {
      self.detail('feeds', [{ feed: 'Syslog', readable: true, note: `secret ${quoted}, id feeds` }]);
      return true;
    });
    await validator.execute();
    expect(validator.exitCode).toBe(0);
    expect(sim.patches[1]).toEqual({
      status: 'finished',
      results: { feeds: [{ feed: 'Syslog', readable: true, note: 'secret ***, id ***' }], success: true },
    });
  });

  it('turns an exception into a failure with a masked error text', async () => {
    sim.setPatchReply({ module_configuration: { value: { client_secret: SECRET } } });
    const validator = new Validator(sandbox.module(), async () => {
      throw new Error(`login refused for ${SECRET}`);
    });
    await expect(validator.execute()).resolves.toBeUndefined();
    expect(sim.patches[1]).toEqual({
      status: 'finished',
      results: { success: false },
      error: 'Error: login refused for ***',
    });
  });
});
