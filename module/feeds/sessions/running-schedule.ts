/**
 * When a running session is asked for again. PRA has no filter on events: each AccessSession reply
 * holds the whole session so far, so fetching a running session every cycle makes PRA send about
 * (its length ÷ 2 × frequency) times its final size. Fetched again after a third of its age
 * instead, a session costs a few times its final size (the sizes fetched shrink geometrically),
 * and no event waits longer than max(a cycle, a third of its session's age when it was written),
 * nor longer than the bound, so that a long session is still seen while it runs. A session that
 * ends is fetched at the next cycle: its closed listing says so.
 *
 * Fetches happen at cycles, so a session is fetched at the last cycle before its wait would pass
 * what is allowed: the next cycle is expected one period later (the frequency and the time the last
 * cycle took). On cycles 60 s apart a session past 30 minutes is fetched every 600 s exactly;
 * cycles that take a while make it a whole number of periods within the bound (9 × 61 s, say).
 *
 * Held in memory: after a restart every running session is fetched once, then scheduled again.
 */
export class RunningSchedule {
  private readonly fetches = new Map<string, { startTime: number; fetchedAt: number }>();
  /** Seconds from one cycle's start to the next, as last measured. */
  private period: number;
  private lastCycleAt: number | undefined;

  constructor(
    private readonly cycleSeconds: number,
    /** The longest an event of a running session may wait: 0 fetches running sessions every cycle. */
    private readonly maxDelaySeconds: number,
  ) {
    this.period = cycleSeconds;
  }

  /** A cycle starts at `now`: the time since the last one is the period the next is expected in. */
  cycleStarts(now: number): void {
    if (this.lastCycleAt !== undefined && now > this.lastCycleAt) {
      this.period = Math.max(this.cycleSeconds, now - this.lastCycleAt);
    }
    this.lastCycleAt = now;
  }

  /** The longest an event of a session `age` seconds old may wait. */
  private allowedWait(age: number): number {
    return Math.min(this.maxDelaySeconds, Math.max(0, age) / 3);
  }

  /** A reply showed the session still running at `now` (its start, when the reply had one). */
  fetched(lsid: string, startTime: number | null, now: number): void {
    this.fetches.set(lsid, { startTime: startTime ?? now, fetchedAt: now });
  }

  /** The session ended, or is no longer followed. */
  forget(lsid: string): void {
    this.fetches.delete(lsid);
  }

  /**
   * Whether the session is to be asked for at `now`: never fetched yet, or waiting for the next
   * cycle would make the events written since its last fetch wait longer than allowed.
   */
  isDue(lsid: string, now: number): boolean {
    const fetch = this.fetches.get(lsid);
    if (fetch === undefined || this.maxDelaySeconds === 0) return true;
    const waitAtNextCycle = now - fetch.fetchedAt + this.period;
    return waitAtNextCycle > this.allowedWait(fetch.fetchedAt - fetch.startTime);
  }
}
