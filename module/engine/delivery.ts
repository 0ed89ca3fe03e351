import type { CycleEnvironment } from './feed';
import { Forwarder, type Ledger } from './forwarder';

export interface Delivery {
  /** Events the intake accepted during the cycle. */
  forwarded: number;
  /** A stop ended the last push before the intake answered: it goes again after the restart. */
  abandoned: boolean;
}

/**
 * One cycle's delivery, the same for every feed: a forwarder over the feed's ledger, `collect` run
 * through it, its last pushes drained and committed, and a stop that cut the last push short said
 * once, here.
 */
export async function deliver<Item, Receipt>(
  env: CycleEnvironment,
  ledger: Ledger<Item, Receipt>,
  collect: (forwarder: Forwarder<Item, Receipt>) => Promise<void>,
): Promise<Delivery> {
  let forwarded = 0;
  const forwarder = new Forwarder(ledger, {
    ...env.delivery,
    onForwarded: (count, newest) => {
      forwarded += count;
      env.delivery.onForwarded?.(count, newest);
    },
  });
  const outcome = await forwarder.run(
    () => collect(forwarder),
    () => !env.running(),
  );
  const abandoned = outcome === 'abandoned';
  if (abandoned) {
    env.log('Stopped before the intake acknowledged the last events; they will be sent after the restart');
  }
  return { forwarded, abandoned };
}
