import type { CycleEnvironment } from './feed';
import { Forwarder, type Ledger } from './forwarder';

/** What a feed's cycle fills in; runCycle does the rest, the same for every feed. */
export interface CycleSteps<Item, Receipt> {
  /** Nothing saved may be older than PRA's retention nor ahead of the clock: called first, with now. */
  clamp(now: number): void;
  /** This cycle's bookkeeping of what is forwarded. */
  ledger: Ledger<Item, Receipt>;
  /** Asks PRA for what is new and adds it to the forwarder. */
  collect(forwarder: Forwarder<Item, Receipt>, now: number): Promise<void>;
  /** What the cycle says once done, with the events the intake accepted; undefined: nothing. */
  summary(forwarded: number): string | undefined;
}

/**
 * One cycle, the same for every feed: the state clamped to now, a forwarder over the feed's ledger,
 * `collect` run through it, its last pushes drained and committed, then the summary log; a stop that
 * cut the last push short is said once, here, instead of the summary.
 */
export async function runCycle<Item, Receipt>(
  env: CycleEnvironment,
  steps: CycleSteps<Item, Receipt>,
): Promise<void> {
  const now = env.now();
  steps.clamp(now);
  const forwarder = new Forwarder(steps.ledger, { ...env.delivery, save: () => env.saveState() });
  const outcome = await forwarder.run(
    () => steps.collect(forwarder, now),
    () => !env.running(),
  );
  if (outcome === 'abandoned') {
    env.log('Stopped before the intake acknowledged the last events; they will be sent after the restart');
    return;
  }
  const summary = steps.summary(forwarder.forwarded);
  if (summary !== undefined) env.log(summary);
}
