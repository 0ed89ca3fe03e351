/**
 * Tracked sessions as units of work: `lsids` batches of one AccessSession request each. A batch
 * that fails is split so that one bad session cannot hold back its neighbours; a single session
 * that fails has its failure counted, and is set aside after `maxFailures` cycles.
 */
import type { CycleEnvironment } from '../../engine/feed';
import type { Forwarder } from '../../engine/forwarder';
import type { Work } from '../../engine/work-queue';
import type { PraError } from '../../pra/errors';
import type { SerializedItem } from './events';
import type { SessionReceipt } from './ledger';
import type { SessionSource } from './source';
import type { SessionsState } from './state';

export interface SessionBatch {
  lsids: string[];
  /** Sessions the reply has completed so far. */
  returned: Set<string>;
}

export class SessionBatches implements Work<SessionBatch> {
  constructor(
    private readonly pending: string[],
    private readonly env: CycleEnvironment,
    private readonly state: SessionsState,
    private readonly source: SessionSource,
    private readonly forwarder: Forwarder<SerializedItem, SessionReceipt>,
    private readonly maxFailures: number,
    /** The size of the next fresh batch, as the queue will take it. */
    private readonly batchSize: () => number,
  ) {}

  take(size: number): SessionBatch | undefined {
    if (this.pending.length === 0) return undefined;
    return { lsids: this.pending.splice(0, size), returned: new Set() };
  }

  async fetch(batch: SessionBatch): Promise<void> {
    const items = this.source.fetch(batch.lsids);
    // The batch the queue will most likely take next (a split failure's halves come first).
    this.source.expect?.(this.pending.slice(0, this.batchSize()));
    for await (const item of items) {
      if (item.kind === 'event') this.env.metrics.collectedEvents.inc();
      else batch.returned.add(item.lsid);
      await this.forwarder.add(item);
      // On a stop, what was parsed is still pushed (within the grace); nothing is charged.
      if (!this.env.running()) return;
    }
    for (const lsid of batch.lsids) {
      if (!batch.returned.has(lsid)) this.recordFailure(lsid, 'PRA did not return this session');
    }
  }

  remaining(batch: SessionBatch): SessionBatch | undefined {
    const lsids = batch.lsids.filter((lsid) => !batch.returned.has(lsid) && this.state.tracked(lsid));
    return lsids.length === 0 ? undefined : { lsids, returned: new Set() };
  }

  split(batch: SessionBatch): [SessionBatch, SessionBatch] | undefined {
    if (batch.lsids.length < 2) return undefined;
    const half = Math.ceil(batch.lsids.length / 2);
    return [
      { lsids: batch.lsids.slice(0, half), returned: new Set() },
      { lsids: batch.lsids.slice(half), returned: new Set() },
    ];
  }

  charge(batch: SessionBatch, error: PraError): boolean {
    for (const lsid of batch.lsids) this.recordFailure(lsid, error.message);
    return true;
  }

  probe(): Promise<void> {
    return this.source.probe();
  }

  private recordFailure(lsid: string, reason: string): void {
    const outcome = this.state.recordFailure(lsid, reason, this.maxFailures, this.env.now());
    this.env.delivery.save();
    if (outcome === 'set-aside') {
      this.env.metrics.errors.inc({ kind: 'set_aside' });
      this.env.log(
        `Session ${lsid} set aside after ${this.maxFailures} failed fetches; its events are not ` +
          `forwarded and other sessions go on. Last error: ${reason}. It stays listed under set_aside in ${this.state.path}.`,
        'error',
      );
    } else {
      this.env.log(`Fetching session ${lsid} failed (${reason}); it will be retried next cycle`, 'warning');
    }
  }
}
