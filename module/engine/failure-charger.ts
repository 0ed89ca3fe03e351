/**
 * What happens to a unit of work (a session, one second of a report) that keeps failing while PRA
 * itself answers, the same for every feed: each failure is counted in the state and saved; a unit
 * still within its allowance is retried next cycle, with a warning; one past it is set aside, with
 * an error log and the `set_aside` metric, so that it no longer blocks the others.
 */
import type { CycleEnvironment } from './feed';

/** Where a feed's state keeps the failures of its units. */
export interface FailureBook<Unit> {
  /** Counts one more failure of `unit`; true when that sets it aside. */
  recordFailure(unit: Unit, error: string, maxFailures: number, now: number): boolean;
}

/** What the logs say of a unit, in the feed's words. */
export interface FailureWording<Unit> {
  retried(unit: Unit, reason: string): string;
  setAside(unit: Unit, reason: string, maxFailures: number): string;
}

export class FailureCharger<Unit> {
  constructor(
    private readonly env: CycleEnvironment,
    private readonly book: FailureBook<Unit>,
    private readonly wording: FailureWording<Unit>,
    private readonly maxFailures: number,
  ) {}

  /**
   * One failure of `unit`; true when it is now set aside. `maxFailures` 1: set aside at once (a unit
   * that no retry could ever fetch).
   */
  charge(unit: Unit, reason: string, maxFailures = this.maxFailures): boolean {
    const setAside = this.book.recordFailure(unit, reason, maxFailures, this.env.now());
    this.env.saveState();
    if (setAside) {
      this.env.metrics.errors.inc({ kind: 'set_aside' });
      this.env.log(this.wording.setAside(unit, reason, maxFailures), 'error');
    } else {
      this.env.log(this.wording.retried(unit, reason), 'warning');
    }
    return setAside;
  }
}
