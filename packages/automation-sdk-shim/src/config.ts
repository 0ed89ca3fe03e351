import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError } from './errors';

export type ConfigKind = 'json' | 'text';

/**
 * Text items that are identifiers or URLs: trimmed, because a trailing newline in a `/symphony` file would
 * break the Bearer header or the URL (the platform probably writes none, so trimming is harmless).
 * Everything else is returned raw, as the SDK does.
 */
const TRIMMED_TEXT = new Set([
  'token',
  'url_callback',
  'url_logs',
  'url_secrets',
  'intake_url',
  'sub_folder',
]);

/**
 * As the SDK reads configuration: `<configPath>/<name>` when it is a regular file, else env `<NAME>` (empty = absent,
 * JSON may be base64), else missing. Values are cached after the first read, like the SDK.
 */
export class ConfigLoader {
  private readonly cache = new Map<string, unknown>();

  constructor(readonly configPath: string) {}

  load(name: string, kind: ConfigKind, optional = false): unknown {
    const key = `${kind}:${name}`;
    if (this.cache.has(key)) return this.cache.get(key);
    const value = this.read(name, kind);
    if (value === undefined) {
      if (optional) return undefined;
      throw new ConfigurationError(
        `Configuration '${name}' is missing: neither the file ${this.filePath(name)} nor the environment variable ${envName(name)} is set`,
      );
    }
    this.cache.set(key, value);
    return value;
  }

  /** Optional text item, trimmed-empty treated as absent. */
  text(name: string): string | undefined {
    const value = this.load(name, 'text', true);
    return typeof value === 'string' && value.trim() !== '' ? value : undefined;
  }

  filePath(name: string): string {
    return path.join(this.configPath, name);
  }

  private read(name: string, kind: ConfigKind): unknown {
    const file = this.filePath(name);
    const raw = readRegularFile(file);
    if (raw !== undefined) {
      if (kind === 'text') return TRIMMED_TEXT.has(name) ? raw.trim() : raw;
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        throw new ConfigurationError(`Configuration file ${file} is not valid JSON`);
      }
    }
    const variable = envName(name);
    const env = process.env[variable];
    if (env === undefined || env === '') return undefined;
    if (kind === 'text') return TRIMMED_TEXT.has(name) ? env.trim() : env;
    return parseJsonOrBase64(env, variable);
  }
}

export function envName(name: string): string {
  return name.toUpperCase();
}

function readRegularFile(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isFile()) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigurationError(`Configuration file ${file} cannot be read (${code})`);
  }
}

function parseJsonOrBase64(raw: string, variable: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    // The SDK falls back to base64 for JSON passed through environments that mangle quotes.
  }
  try {
    return JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as unknown;
  } catch {
    throw new ConfigurationError(`Environment variable ${variable} is neither JSON nor base64-encoded JSON`);
  }
}
