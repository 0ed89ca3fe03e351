import {
  ConfigurationError,
  ModuleConfigurationError,
  TriggerConfigurationError,
} from '@sekoia/automation-sdk-shim';
import {
  CONNECTOR_NAME,
  MODULE_CONFIGURATION,
  SECRET,
  Sandbox,
  makeConnector,
  restoreEnvAfterEach,
} from './helpers';

restoreEnvAfterEach();

let sandbox: Sandbox;
beforeEach(() => (sandbox = new Sandbox()));
afterEach(() => sandbox.cleanup());

describe('configuration loading', () => {
  it('prefers the /symphony file over the environment variable', () => {
    sandbox.config('intake_url', 'https://from-file.example/\n');
    process.env.INTAKE_URL = 'https://from-env.example/';
    expect(sandbox.module().loadConfig('intake_url', 'text')).toBe('https://from-file.example/');
  });

  it('keeps other text files raw, untrimmed', () => {
    sandbox.config('environment', 'prod\n');
    expect(sandbox.module().loadConfig('environment', 'text')).toBe('prod\n');
  });

  it('falls back to the environment variable and treats an empty one as absent', () => {
    process.env.INTAKE_URL = 'https://from-env.example/';
    expect(sandbox.module().loadConfig('intake_url', 'text')).toBe('https://from-env.example/');
    process.env.TOKEN = '';
    const module = sandbox.module();
    expect(module.loadConfig('token', 'text', true)).toBeUndefined();
    expect(() => module.loadConfig('token', 'text')).toThrow(ConfigurationError);
    expect(() => module.loadConfig('token', 'text')).toThrow(/symphony\/token.*TOKEN/);
  });

  it('accepts base64-encoded JSON in the environment', () => {
    process.env.MODULE_CONFIGURATION = Buffer.from(JSON.stringify(MODULE_CONFIGURATION)).toString('base64');
    expect(sandbox.module().configuration).toEqual(MODULE_CONFIGURATION);
  });

  it('rejects an environment value that is neither JSON nor base64 JSON without echoing it', () => {
    process.env.MODULE_CONFIGURATION = '{not json ' + SECRET;
    expect(() => sandbox.module().configuration).toThrow(/MODULE_CONFIGURATION is neither JSON/);
    try {
      void sandbox.module().configuration;
    } catch (error) {
      expect((error as Error).message).not.toContain(SECRET);
    }
  });

  it('resolves the data path with sub_folder', () => {
    sandbox.config('sub_folder', 'tenant-a');
    expect(sandbox.module().dataPath).toBe(`${sandbox.dataDir}/tenant-a`);
  });
});

describe('module configuration validation', () => {
  it('names the field, never the value', () => {
    sandbox.config('module_configuration', { ...MODULE_CONFIGURATION, base_url: `not a uri ${SECRET}` });
    const error = captureError(() => sandbox.module().configuration);
    expect(error).toBeInstanceOf(ModuleConfigurationError);
    expect(error.message).toContain('/base_url must match format "uri"');
    expect(error.message).not.toContain(SECRET);
  });

  it('reports missing required fields', () => {
    sandbox.config('module_configuration', { base_url: 'https://x.example', client_secret: SECRET });
    expect(() => sandbox.module().configuration).toThrow('/client_id is required');
  });
});

describe('trigger configuration', () => {
  it('reads connector_configuration first, applies defaults and ignores unknown keys', () => {
    sandbox
      .config('trigger_configuration', { intake_key: 'from-trigger' })
      .config('connector_configuration', { intake_key: 'from-connector', unknown: 1, frequency: '300' });
    const { connector } = makeConnector(sandbox);
    expect(connector.configuration).toMatchObject({
      intake_key: 'from-connector',
      intake_server: 'https://intake.sekoia.io',
      frequency: 300,
    });
  });

  it('falls back to trigger_configuration', () => {
    sandbox.config('trigger_configuration', { intake_key: 'from-trigger' });
    expect(makeConnector(sandbox).connector.configuration.intake_key).toBe('from-trigger');
  });

  it('throws TriggerConfigurationError naming the field', () => {
    sandbox.config('connector_configuration', { intake_key: 'k-123456', frequency: 'often' });
    const error = captureError(() => makeConnector(sandbox).connector.configuration);
    expect(error).toBeInstanceOf(TriggerConfigurationError);
    expect(error.message).toContain('/frequency must be integer');
    expect(error.message).not.toContain('often');
  });

  it('rejects a null intake_key', () => {
    sandbox.config('connector_configuration', { intake_key: null });
    expect(() => makeConnector(sandbox).connector.configuration).toThrow(TriggerConfigurationError);
  });

  it('finds the item manifest by docker_parameters', () => {
    expect(sandbox.module().itemManifest(CONNECTOR_NAME)?.name).toBe('Test connector');
    expect(sandbox.module().itemManifest('nope')).toBeUndefined();
  });
});

function captureError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
