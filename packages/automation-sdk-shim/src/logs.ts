import axios from 'axios';
import type { Writable } from 'node:stream';
import * as winston from 'winston';
import { describeError } from './errors';
import { exponentialBackoff, retry } from './retry';
import { naiveUtcIso } from './time';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'critical';

export interface LogEntry {
  date: string;
  level: LogLevel;
  message: string;
}

const MASK = '***';

/**
 * Values that stand in a secret field without being a secret: what the platform may write there
 * before the real value is fetched (the SDK's own tests use "encrypted"). Masking them protects
 * nothing and hides ordinary words ("skipped syslog.1: encrypted"). Only these exact values are
 * skipped: a rule on length or shape would also skip a short real secret, and leak it.
 */
const PLACEHOLDERS: ReadonlySet<string> = new Set(['encrypted']);

/**
 * Replaces every known secret value by `***` in any text that leaves the process. Values may be
 * added at any time (an access token issued at run time): every text masked afterwards hides them.
 */
export class SecretMasker {
  private secrets: string[] = [];

  /**
   * Masks `value` from now on. Anything but a string, an empty or blank one (masking it would
   * shred every message and hide nothing) and the platform's placeholders are ignored.
   */
  add(value: unknown): void {
    if (typeof value !== 'string' || value.trim() === '' || PLACEHOLDERS.has(value)) return;
    if (this.secrets.includes(value)) return;
    // Longest first, so that a secret containing another one is masked whole.
    this.secrets = [...this.secrets, value].sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join(MASK);
    return result;
  }

  /**
   * A copy of a JSON-like value with every string in it masked, at any depth. Masking the value's
   * JSON text instead would miss a secret that JSON escapes (one with `"` or `\`) and would break
   * the structure when a secret is also a key or a literal (`true`, `feeds`).
   */
  maskValues(value: unknown): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (Array.isArray(value)) return value.map((item) => this.maskValues(item));
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.maskValues(item)]));
  }
}

/**
 * Winston levels: the contract's five plus npm's names, so that every method typed on `winston.Logger`
 * (`warn`, `http`, `verbose`, `silly`) exists at run time.
 */
const WINSTON_LEVELS = {
  critical: 0,
  error: 1,
  warning: 2,
  warn: 2,
  info: 3,
  http: 4,
  verbose: 5,
  debug: 6,
  silly: 7,
};

/**
 * JSON lines on stdout: `{"timestamp","level","logger","message"}` plus any metadata, every string field masked.
 * Level threshold from env LOG_LEVEL (default info).
 */
export function createStdoutLogger(name: string, masker: SecretMasker, stream?: Writable): winston.Logger {
  const mask = winston.format((info) => {
    for (const key of Object.keys(info)) {
      const value = info[key];
      if (typeof value === 'string') info[key] = masker.mask(value);
    }
    if (info.level === 'warn') info.level = 'warning';
    return info;
  });
  const envLevel = process.env.LOG_LEVEL?.toLowerCase();
  return winston.createLogger({
    levels: WINSTON_LEVELS,
    level: envLevel && envLevel in WINSTON_LEVELS ? envLevel : 'info',
    defaultMeta: { logger: name },
    format: winston.format.combine(
      mask(),
      winston.format.timestamp({ format: () => naiveUtcIso() }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Stream({ stream: stream ?? process.stdout })],
  });
}

export interface LogsApiTarget {
  url: string;
  token: string;
}

export interface LogsApiOptions {
  /** Resolved lazily: the URL and token may only become readable after construction. Undefined = stdout only. */
  target: () => LogsApiTarget | undefined;
  masker: SecretMasker;
  stdout: winston.Logger;
  batchSize: number;
  muteMs: number;
  flushIntervalMs: number;
  retryMaxDelayMs: number;
  timeoutMs: number;
}

const MUTE_CACHE_SIZE = 4096;
const FLUSH_ATTEMPTS = 10;

/**
 * The platform's logs API, as the Python SDK feeds it: buffered entries flushed at `batchSize`, on a timer, at once for error and
 * critical, and on demand. Only one critical ever; repeated `level:message` muted for `muteMs`.
 * A failed flush is retried, then dropped with a stdout error: logging never throws into the caller
 * (the SDK lets the exception reach log()'s caller, which in its timer thread silently ends the flushing).
 */
export class LogsApiClient {
  private buffer: LogEntry[] = [];
  private readonly muted = new Map<string, number>();
  private criticalSent = false;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LogsApiOptions) {}

  get hasSentCritical(): boolean {
    return this.criticalSent;
  }

  /** Queues one entry; returns the level actually used (a second critical becomes an error). */
  add(level: LogLevel, message: string): LogLevel {
    let effective = level;
    if (level === 'critical') {
      if (this.criticalSent) effective = 'error';
      this.criticalSent = true;
    }
    if (effective !== 'critical' && this.isMuted(`${effective}:${message}`)) return effective;
    this.buffer.push({ date: naiveUtcIso(), level: effective, message: this.options.masker.mask(message) });
    if (effective === 'error' || effective === 'critical' || this.buffer.length >= this.options.batchSize) {
      void this.flush();
    }
    return effective;
  }

  startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sends everything buffered so far; resolves once sent or given up. Never rejects. */
  flush(): Promise<void> {
    this.chain = this.chain.then(() => this.sendBuffered());
    return this.chain;
  }

  private isMuted(key: string): boolean {
    const now = Date.now();
    const last = this.muted.get(key);
    if (last !== undefined && now - last < this.options.muteMs) return true;
    // Re-insert so the Map's insertion order doubles as LRU order for eviction.
    this.muted.delete(key);
    this.muted.set(key, now);
    if (this.muted.size > MUTE_CACHE_SIZE) this.muted.delete(this.muted.keys().next().value as string);
    return false;
  }

  private async sendBuffered(): Promise<void> {
    if (this.buffer.length === 0) return;
    const logs = this.buffer;
    this.buffer = [];
    try {
      const target = this.options.target();
      if (!target) return;
      await retry(
        () =>
          axios.post(
            target.url,
            { logs },
            { headers: { Authorization: `Bearer ${target.token}` }, timeout: this.options.timeoutMs },
          ),
        {
          maxAttempts: FLUSH_ATTEMPTS,
          delayMs: exponentialBackoff(1000, this.options.retryMaxDelayMs),
        },
      );
    } catch (error) {
      this.options.stdout.error(
        this.options.masker.mask(
          `Dropped ${logs.length} log entries, the logs API failed: ${describeError(error)}`,
        ),
      );
    }
  }
}
