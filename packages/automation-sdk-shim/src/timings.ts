import type { Writable } from 'node:stream';

/** Every duration the runtime waits on, in ms. Defaults are the contract's values; tests shrink them. */
export interface TriggerTimings {
  logFlushIntervalMs: number;
  logMuteMs: number;
  logBatchSize: number;
  criticalStopWaitMs: number;
  criticalUptimeGraceMs: number;
  /** Cap of the secrets fetch backoff (waits 1, 2, 4, 8, 10, 10... s over 10 attempts). */
  secretsRetryMaxDelayMs: number;
  pushRetryMaxElapsedMs: number;
  pushRetryMaxDelayMs: number;
  httpTimeoutMs: number;
  /** Cap of the logs API flush backoff (10 attempts). */
  logsRetryMaxDelayMs: number;
  /** Cap of the callback backoff: the SDK waits 2^attempt s (2, 4, ... 512) over 10 attempts. */
  sendEventRetryMaxDelayMs: number;
}

export const DEFAULT_TIMINGS: Readonly<TriggerTimings> = Object.freeze({
  logFlushIntervalMs: 5000,
  logMuteMs: 60000,
  logBatchSize: 50,
  criticalStopWaitMs: 120000,
  criticalUptimeGraceMs: 1800000,
  secretsRetryMaxDelayMs: 10000,
  pushRetryMaxElapsedMs: 3600000,
  pushRetryMaxDelayMs: 10000,
  httpTimeoutMs: 30000,
  logsRetryMaxDelayMs: 10000,
  sendEventRetryMaxDelayMs: 512000,
});

export interface TriggerOptions {
  timings?: Partial<TriggerTimings>;
  /** Where the JSON-line logger writes; default process.stdout. For tests and embedding. */
  logStream?: Writable;
}

export function resolveTimings(options?: TriggerOptions): TriggerTimings {
  return { ...DEFAULT_TIMINGS, ...options?.timings };
}
