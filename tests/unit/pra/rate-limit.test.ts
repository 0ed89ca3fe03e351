/** The client's two request limits, per second and per hour, on a clock the test moves. */
import { RateLimiter } from '../../../module/pra/rate-limit';
import { ManualClock } from '../../support/manual-clock';

/** Acquires `count` slots at once and says which have been granted so far. */
function reserve(
  limiter: RateLimiter,
  count: number,
  signal?: AbortSignal,
): { granted: () => number; results: Promise<boolean[]> } {
  let granted = 0;
  const results = Promise.all(
    Array.from({ length: count }, () =>
      limiter.acquire(signal).then((ok) => {
        if (ok) granted += 1;
        return ok;
      }),
    ),
  );
  return { granted: () => granted, results };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the rate limiter', () => {
  it('lets a burst of the per-second rate go at once, then one request per interval', async () => {
    const clock = new ManualClock();
    const { granted } = reserve(new RateLimiter({ perSecond: 10 }, clock), 12);
    await settle();
    expect(granted()).toBe(10);
    clock.advance(100);
    await settle();
    expect(granted()).toBe(11);
    clock.advance(100);
    await settle();
    expect(granted()).toBe(12);
  });

  it('keeps to its hourly ceiling over any hour, and says once that the budget is spent', async () => {
    const clock = new ManualClock();
    const spent: Array<{ perHour: number; waitMs: number }> = [];
    const limiter = new RateLimiter(
      { perSecond: 1000, perHour: 5, onHourSpent: (info) => spent.push(info) },
      clock,
    );
    const { granted } = reserve(limiter, 8);
    await settle();
    expect(granted()).toBe(5);
    expect(spent).toEqual([{ perHour: 5, waitMs: 3_600_000 }]);
    clock.advance(3_599_999);
    await settle();
    expect(granted()).toBe(5);
    clock.advance(1);
    await settle();
    expect(granted()).toBe(8);
    // The next hour's budget is spent again: said again, once.
    reserve(limiter, 3);
    await settle();
    expect(spent).toHaveLength(2);
  });

  it('answers false at once when stopped while waiting', async () => {
    const clock = new ManualClock();
    const stop = new AbortController();
    const limiter = new RateLimiter({ perSecond: 1, perHour: 1 }, clock);
    const { results } = reserve(limiter, 2, stop.signal);
    stop.abort();
    expect(await results).toEqual([true, false]);
  });
});
