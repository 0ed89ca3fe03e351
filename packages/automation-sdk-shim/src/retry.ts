/**
 * One retry mechanism for every outbound call (intake, logs API, secrets, a vendor API).
 * Hand-written rather than taken from a library because the policies we need combine things the
 * usual packages do not: a per-error decision (Retry-After, non-retryable statuses), a total time
 * budget, and an AbortSignal that cuts both the wait and the retry loop short on SIGTERM.
 */

export class RetryAbortedError extends Error {
  constructor(readonly lastError: unknown) {
    super('Retries stopped because the operation was aborted');
    this.name = 'RetryAbortedError';
  }
}

export interface RetryOptions {
  /** Attempts in all, the first included. Default: unlimited (bounded by maxElapsedMs). */
  maxAttempts?: number;
  /** No new attempt starts once this much time has passed since the first one. */
  maxElapsedMs?: number;
  /**
   * Wait before the next attempt, in ms, after `attempt` (1-based) failed with `error`.
   * Return undefined when the error is not worth retrying: it is rethrown at once.
   */
  delayMs: (attempt: number, error: unknown) => number | undefined;
  signal?: AbortSignal;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** How a wait is slept (abortableSleep by default): a caller with a clock of its own passes it. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. Never rejects. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.signal?.aborted) throw new RetryAbortedError(error);
      const delay = options.delayMs(attempt, error);
      const outOfAttempts = options.maxAttempts !== undefined && attempt >= options.maxAttempts;
      const outOfTime =
        options.maxElapsedMs !== undefined && Date.now() - started + (delay ?? 0) > options.maxElapsedMs;
      if (delay === undefined || outOfAttempts || outOfTime) throw error;
      options.onRetry?.(error, attempt, delay);
      const sleep = options.sleep ?? abortableSleep;
      if (!(await sleep(delay, options.signal))) throw new RetryAbortedError(error);
    }
  }
}

/**
 * Exponential backoff: base * 2^(attempt-1), capped. With `jitter`, a uniform draw in
 * [delay/2, delay] so that many clients do not retry in step.
 */
export function exponentialBackoff(
  baseMs: number,
  maxMs: number,
  jitter = false,
): (attempt: number) => number {
  return (attempt) => {
    const delay = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
    return jitter ? delay / 2 + Math.random() * (delay / 2) : delay;
  };
}
