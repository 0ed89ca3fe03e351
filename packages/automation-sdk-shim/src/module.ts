import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigLoader, type ConfigKind } from './config';
import { CommandNotFoundError, ConfigurationError, ModuleConfigurationError, describeError } from './errors';
import { SecretMasker } from './logs';
import { isPlainObject, unknownKeys, validateConfiguration, type JsonObject } from './schema';
import type { TriggerOptions } from './timings';

export interface ModuleOptions {
  /** Where manifest.json and the item JSON files live; default process.cwd(). */
  rootDir?: string;
  /** Default process.env.SYMPHONY_CONFIG_PATH || '/symphony'. */
  configPath?: string;
  /** Default process.env.SYMPHONY_DATA_PATH || '/symphony_data', then + the `sub_folder` configuration. */
  dataPath?: string;
}

export type ItemClass = new (
  module: Module,
  name: string,
  options?: TriggerOptions,
) => { execute(): Promise<void> };

export const ACCOUNT_VALIDATOR_COMMAND = 'validate_module_configuration';

/** Files at the root that are JSON but never item manifests. */
const NON_ITEM_ROOT_FILES = /^(manifest|package|package-lock|tsconfig.*|\..*)\.json$/;
const ITEM_DIRECTORIES = ['triggers', 'connectors', 'actions', '.'];

/** The module as the Python SDK's Module: manifest, configuration, data path and the registry of runnable items. */
export class Module {
  readonly manifest: Record<string, unknown>;
  /** Masks secret values (module secrets, intake keys, the platform token) in everything written out. */
  readonly masker = new SecretMasker();
  readonly rootDir: string;
  private readonly config: ConfigLoader;
  private readonly baseDataPath: string;
  private readonly items = new Map<string, ItemClass>();
  /** Other commands that run a registered item, under its own name. */
  private readonly aliases = new Map<string, string>();
  private rawConfiguration: JsonObject | undefined;
  private validConfiguration: JsonObject | undefined;
  private itemManifests: Map<string, JsonObject> | undefined;

  constructor(options: ModuleOptions = {}) {
    this.rootDir = path.resolve(options.rootDir ?? process.cwd());
    this.config = new ConfigLoader(options.configPath ?? (process.env.SYMPHONY_CONFIG_PATH || '/symphony'));
    this.baseDataPath = options.dataPath ?? (process.env.SYMPHONY_DATA_PATH || '/symphony_data');
    this.manifest = readManifest(path.join(this.rootDir, 'manifest.json'));
  }

  /** `module_configuration`, validated against manifest `configuration` with defaults applied. */
  get configuration(): Record<string, unknown> {
    if (!this.validConfiguration) {
      const raw = this.loadRawConfiguration();
      this.validConfiguration = this.validate(raw);
    }
    return this.validConfiguration;
  }

  /** Keys of `module_configuration` the manifest does not declare (before any secret is merged). */
  get unknownConfigurationKeys(): string[] {
    return unknownKeys(this.loadRawConfiguration(), this.manifest.configuration);
  }

  /** Names listed in manifest `configuration.secrets`. */
  get secretNames(): string[] {
    const configuration = this.manifest.configuration;
    const secrets = isPlainObject(configuration) ? configuration.secrets : undefined;
    return Array.isArray(secrets) ? secrets.filter((s): s is string => typeof s === 'string') : [];
  }

  get dataPath(): string {
    const fileBackend = this.config.text('file_backend');
    if (fileBackend && fileBackend.trim().toLowerCase() === 's3') {
      throw new ConfigurationError('file_backend S3 is not supported by this runtime: only local storage is');
    }
    const subFolder = this.config.text('sub_folder');
    return subFolder ? path.join(this.baseDataPath, subFolder) : this.baseDataPath;
  }

  loadConfig(name: string, kind: ConfigKind, optional = false): unknown {
    const value = this.config.load(name, kind, optional);
    if (name === 'token') this.masker.add(value);
    return value;
  }

  /**
   * Merges secret values (from the secrets API or the account-validation reply) into the module
   * configuration, then re-validates it (every key is merged, not only those the manifest lists, as the SDK does).
   */
  setSecrets(values: Record<string, unknown>): void {
    for (const value of Object.values(values)) this.masker.add(value);
    const merged = { ...this.loadRawConfiguration(), ...values };
    this.rawConfiguration = merged;
    this.validConfiguration = undefined;
    this.validConfiguration = this.validate(merged);
  }

  /**
   * `aliases`: other commands the platform may start the item with (the names of a module this one
   * replaces). The item runs under `name` whichever was used, so it finds its own item JSON.
   */
  register(itemClass: ItemClass, name: string, aliases: readonly string[] = []): void {
    this.items.set(name, itemClass);
    for (const alias of aliases) this.aliases.set(alias, name);
  }

  registerAccountValidator(itemClass: ItemClass): void {
    this.register(itemClass, ACCOUNT_VALIDATOR_COMMAND);
  }

  /** The item JSON whose `docker_parameters` equals `name`, searched in triggers/, connectors/, actions/, then the root. */
  itemManifest(name: string): Record<string, unknown> | undefined {
    this.itemManifests ??= this.scanItemManifests();
    return this.itemManifests.get(name);
  }

  /** Runs the item named by argv[0] and resolves the process exit code. */
  async run(argv: string[] = process.argv.slice(2)): Promise<number> {
    const requested = argv[0] ?? '';
    const command = this.aliases.get(requested) ?? requested;
    const itemClass = this.items.get(command);
    if (!itemClass) {
      const known = [...this.items.keys(), ...this.aliases.keys()].map((k) => `'${k}'`).join(', ') || 'none';
      process.stderr.write(`${new CommandNotFoundError(requested).message} (registered: ${known})\n`);
      return 1;
    }
    try {
      const item = new itemClass(this, command);
      await item.execute();
      const exitCode = (item as { exitCode?: unknown }).exitCode;
      return typeof exitCode === 'number' ? exitCode : 0;
    } catch (error) {
      process.stderr.write(`${this.masker.mask(describeError(error))}\n`);
      return 1;
    }
  }

  private loadRawConfiguration(): JsonObject {
    if (!this.rawConfiguration) {
      const raw = this.config.load('module_configuration', 'json');
      if (!isPlainObject(raw))
        throw new ModuleConfigurationError('Module configuration must be a JSON object');
      for (const name of this.secretNames) this.masker.add(raw[name]);
      this.rawConfiguration = raw;
    }
    return this.rawConfiguration;
  }

  private validate(raw: JsonObject): JsonObject {
    const result = validateConfiguration(raw, this.manifest.configuration);
    if (!result.ok)
      throw new ModuleConfigurationError(`Module configuration is invalid: ${result.problems.join('; ')}`);
    return result.value;
  }

  private scanItemManifests(): Map<string, JsonObject> {
    const found = new Map<string, JsonObject>();
    for (const directory of ITEM_DIRECTORIES) {
      const dir = path.join(this.rootDir, directory);
      let files: string[];
      try {
        files = fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .sort();
      } catch {
        continue;
      }
      for (const file of files) {
        if (directory === '.' && NON_ITEM_ROOT_FILES.test(file)) continue;
        const content = readJsonFile(path.join(dir, file));
        const name = isPlainObject(content) ? content.docker_parameters : undefined;
        if (typeof name === 'string' && isPlainObject(content) && !found.has(name)) found.set(name, content);
      }
    }
    return found;
  }
}

function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function readManifest(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) return {};
  const content = readJsonFile(file);
  if (!isPlainObject(content)) throw new ConfigurationError(`Manifest ${file} is not a JSON object`);
  return content;
}
