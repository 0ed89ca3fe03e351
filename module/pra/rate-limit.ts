import { sleepOn, type Clock } from './clock';

const HOUR_MS = 3_600_000;

export interface RateLimits {
  /** Requests a second: a burst of retries or of small requests stays polite. */
  perSecond: number;
  /**
   * Requests an hour. BeyondTrust documents no limit; third parties quote 15,000 an hour per API
   * account, all endpoints, and the four triggers share one account, so each keeps to its share.
   */
  perHour?: number;
  /** The hourly budget is spent: the next request waits `waitMs`. Said once per time it runs out. */
  onHourSpent?: (info: { perHour: number; waitMs: number }) => void;
}

/**
 * Both limits of the client's requests. Each caller reserves its slot synchronously, so concurrent
 * callers queue without a lock. Per second: the generic cell rate algorithm (a token bucket of
 * `perSecond` tokens refilled at that rate). Per hour: a request may go once the request
 * `perHour` before it is an hour old (a sliding hour, never more than the ceiling in any hour).
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private theoreticalArrival = -Infinity;
  /** When each of the last `perHour` requests went, as a ring. */
  private readonly hour: number[];
  private granted = 0;
  private spentUntil = -Infinity;

  constructor(
    private readonly limits: RateLimits,
    private readonly clock: Clock,
  ) {
    this.intervalMs = 1000 / limits.perSecond;
    this.toleranceMs = (Math.max(1, limits.perSecond) - 1) * this.intervalMs;
    this.hour = limits.perHour === undefined ? [] : new Array<number>(limits.perHour).fill(-Infinity);
  }

  /** Resolves false if `signal` aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<boolean> {
    const now = this.clock.now();
    const hourSlot = this.reserveHour(now);
    const start = Math.max(this.theoreticalArrival, hourSlot);
    this.theoreticalArrival = start + this.intervalMs;
    const waitMs = Math.max(hourSlot - now, start - this.toleranceMs - now);
    if (waitMs <= 0) return Promise.resolve(!signal?.aborted);
    return sleepOn(this.clock, waitMs, signal);
  }

  /** The earliest time the hourly ceiling lets the next request go, reserved for it. */
  private reserveHour(now: number): number {
    const { perHour, onHourSpent } = this.limits;
    if (perHour === undefined || this.hour.length === 0) return now;
    const index = this.granted % perHour;
    this.granted += 1;
    const slot = Math.max(now, this.hour[index] + HOUR_MS);
    this.hour[index] = slot;
    if (slot > now && now >= this.spentUntil) onHourSpent?.({ perHour, waitMs: slot - now });
    if (slot > now) this.spentUntil = slot;
    return slot;
  }
}
