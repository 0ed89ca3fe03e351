/**
 * The work of one cycle, as requests to PRA: units of work (a batch of sessions, a time window)
 * fetched one after the other, and the policy for the ones that fail, which is the same for every
 * feed: tell a fault of the request from a fault of PRA, narrow a failing request down, and charge
 * only what is left once it cannot be narrowed further.
 */
import { PraError } from '../pra/errors';

/** What a feed tells the queue about its units of work. */
export interface Work<Unit> {
  /** The next fresh unit, of at most `size` (sessions per request, seconds of a window). */
  take(size: number): Unit | undefined;
  /** One request: fetch, parse, forward. Throws what failed. */
  fetch(unit: Unit): Promise<void>;
  /** What of a unit that failed is still to do (nothing, when it failed after its last item). */
  remaining(unit: Unit): Unit | undefined;
  /** Two halves of a unit that can still be narrowed (for `error`), undefined for an atomic one. */
  split(unit: Unit, error: PraError): [Unit, Unit] | undefined;
  /**
   * An atomic unit failed while PRA itself answers: it is at fault. The feed counts it, and after
   * repeated failures sets it aside. Returns false when the feed cannot go past it this cycle.
   */
  charge(unit: Unit, error: PraError): boolean | Promise<boolean>;
  /** A cheap request that throws when PRA itself does not answer normally. */
  probe(): Promise<void>;
}

export interface WorkQueueHooks {
  running: () => boolean;
  heartbeat: () => void;
  /** A request timed out: later units should be smaller. */
  onTimeout?: () => void;
  onNarrowed?: (error: PraError) => void;
}

/**
 * Runs `work` until nothing is left or the collector stops. Halves of a failed unit go first. An
 * error that blames the tenant, or anything that is not a PRA error (the intake, the state file, a
 * stop), ends the queue: no unit is charged for it.
 */
export async function runWorkQueue<Unit>(
  work: Work<Unit>,
  size: () => number,
  hooks: WorkQueueHooks,
): Promise<void> {
  const narrowed: Unit[] = [];
  while (hooks.running()) {
    const unit = narrowed.shift() ?? work.take(size());
    if (unit === undefined) return;
    try {
      await work.fetch(unit);
      hooks.heartbeat();
    } catch (error) {
      if (!hooks.running()) return;
      if (!(error instanceof PraError) || error.blame === 'tenant') throw error;
      await assertTenantAnswers(work, error);
      if (error.timedOut) hooks.onTimeout?.();
      const rest = work.remaining(unit);
      if (rest === undefined) continue;
      const halves = work.split(rest, error);
      if (halves !== undefined) {
        hooks.onNarrowed?.(error);
        narrowed.unshift(...halves);
      } else if (!(await work.charge(rest, error))) {
        return;
      }
    }
  }
}

/**
 * Tells a fault of the request from a fault of PRA: a cheap request that must answer. If it fails
 * too, the failure belongs to the tenant. An HTML or JSON answer goes through here as well: a proxy
 * may break only large replies while small ones still work, and then the items must be isolated
 * rather than every cycle stopped.
 */
async function assertTenantAnswers<Unit>(work: Work<Unit>, error: PraError): Promise<void> {
  try {
    await work.probe();
  } catch {
    throw error.with({ reason: `PRA is not answering normally: ${error.reason}`, blame: 'tenant' });
  }
}

/**
 * A request size that halves after a timeout and doubles back, cycle after cycle, once requests
 * answer in time again: a slow tenant gets smaller requests without anyone tuning it.
 */
export class AdaptiveSize {
  private current: number;
  private shrunk = false;

  constructor(
    private readonly max: number,
    private readonly min = 1,
  ) {
    this.current = max;
  }

  get value(): number {
    return this.current;
  }

  shrink(): void {
    this.current = Math.max(this.min, Math.floor(this.current / 2));
    this.shrunk = true;
  }

  /** Called at the start of a cycle: grows back unless the last cycle had to shrink. */
  nextCycle(): void {
    if (!this.shrunk) this.current = Math.min(this.max, this.current * 2);
    this.shrunk = false;
  }
}
