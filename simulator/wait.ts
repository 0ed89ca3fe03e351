/**
 * Waiting without sleeping: a predicate is checked at once, then again each time its owner says
 * something changed (`notify`), and fails after its timeout. The simulators, the collector process
 * and the soak all wait this way, on the events that can make the predicate true.
 */
export class Waiters {
  private readonly checks = new Set<() => void>();

  /**
   * Resolves once `predicate` holds; rejects after `timeoutMs`, or with the error `predicate`
   * throws. `what` names the condition in the timeout message.
   */
  waitFor(predicate: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error?: unknown): void => {
        clearTimeout(timer);
        this.checks.delete(check);
        if (error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error(String(error)));
      };
      const check = (): void => {
        try {
          if (predicate()) finish();
        } catch (error) {
          finish(error);
        }
      };
      const timer = setTimeout(
        () => finish(new Error(`waitFor: ${what} not met within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.checks.add(check);
      check();
    });
  }

  /** Re-checks every pending predicate: call after anything a predicate may read has changed. */
  notify(): void {
    for (const check of [...this.checks]) check();
  }
}
