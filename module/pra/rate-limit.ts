import { abortableSleep } from '@sekoia/automation-sdk-shim';

/**
 * Generic cell rate algorithm, i.e. a token bucket of `rate` tokens refilled at `rate` per second.
 * Each caller reserves its slot synchronously, so concurrent callers queue without a lock. PRA
 * documents no rate limit; this keeps a burst of retries or of small requests polite anyway.
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private theoreticalArrival = 0;

  constructor(rate: number) {
    this.intervalMs = 1000 / rate;
    this.toleranceMs = (Math.max(1, rate) - 1) * this.intervalMs;
  }

  /** Resolves false if `signal` aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<boolean> {
    const now = performance.now();
    const start = Math.max(this.theoreticalArrival, now);
    this.theoreticalArrival = start + this.intervalMs;
    const waitMs = start - this.toleranceMs - now;
    if (waitMs <= 0) return Promise.resolve(!signal?.aborted);
    return abortableSleep(waitMs, signal);
  }
}
