/**
 * When a running session is asked for again. PRA has no filter on events: each AccessSession reply
 * holds the whole session so far, so fetching a running session every cycle makes PRA send about
 * (its length ÷ 2 × frequency) times its final size. Fetched again after a third of its age
 * instead, a session costs a few times its final size (the sizes fetched shrink geometrically),
 * and no event waits longer than max(two cycles, a third of its session's age when it was written),
 * nor longer than the bound, so that a long session is still seen while it runs. A session that
 * ends is fetched at the next cycle: its closed listing says so.
 *
 * Held in memory: after a restart every running session is fetched once, then scheduled again.
 */
export class RunningSchedule {
  private readonly fetches = new Map<string, { startTime: number; fetchedAt: number }>();

  constructor(
    private readonly cycleSeconds: number,
    /** The longest an event of a running session may wait: 0 fetches running sessions every cycle. */
    private readonly maxDelaySeconds: number,
  ) {}

  /**
   * The wait between two fetches of a session `age` seconds old. The fetch itself comes at the
   * first cycle after it, up to one cycle later, hence the cycle taken off.
   */
  delay(age: number): number {
    const allowed = Math.min(this.maxDelaySeconds, Math.max(0, age) / 3);
    return Math.max(this.cycleSeconds, allowed - this.cycleSeconds);
  }

  /** A reply showed the session still running at `now` (its start, when the reply had one). */
  fetched(lsid: string, startTime: number | null, now: number): void {
    this.fetches.set(lsid, { startTime: startTime ?? now, fetchedAt: now });
  }

  /** The session ended, or is no longer followed. */
  forget(lsid: string): void {
    this.fetches.delete(lsid);
  }

  /** Whether the session is to be asked for at `now`: never fetched yet, or its delay is over. */
  isDue(lsid: string, now: number): boolean {
    const fetch = this.fetches.get(lsid);
    if (fetch === undefined || this.maxDelaySeconds === 0) return true;
    return now - fetch.fetchedAt >= this.delay(fetch.fetchedAt - fetch.startTime);
  }
}
