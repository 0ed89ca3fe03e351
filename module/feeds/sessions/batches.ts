/**
 * Tracked sessions as units of work: `lsids` batches of one AccessSession request each. A batch
 * that fails is split so that one bad session cannot hold back its neighbours; a single session
 * that fails has its failure counted, and is set aside after `maxFailures` cycles. A session whose
 * id cannot even be asked for is set aside before any batch is made.
 */
import { FailureCharger, type FailureWording } from '../../engine/failure-charger';
import type { CycleEnvironment } from '../../engine/feed';
import type { Forwarder } from '../../engine/forwarder';
import type { Work } from '../../engine/work-queue';
import type { PraError } from '../../pra/errors';
import type { ReportSessionEnd, SerializedItem } from './events';
import type { SessionReceipt } from './ledger';
import type { SessionSource } from './source';
import type { SessionFeedState } from './state';

/** Far beyond any lsid PRA writes (32 hex digits or 16 alphanumerics): some value, not an id. */
const MAX_LSID_LENGTH = 256;
/** How much of an unusable id a log shows: enough to find it in the state file. */
const LSID_PREVIEW_LENGTH = 64;

/**
 * Why `lsid` cannot be asked for in an AccessSession request, undefined when it can. `lsids` is a
 * comma-separated list, so a comma would ask for other sessions; the others could never match what
 * PRA holds, and asking again would fail the same way every cycle.
 */
export function unusableLsid(lsid: string): string | undefined {
  if (lsid === '') return 'it is empty';
  if (lsid.includes(',')) return 'it holds a comma, which separates the ids of a request';
  if (/\p{Cc}/u.test(lsid)) return 'it holds control characters';
  if (lsid.includes('\ufffd')) return 'it held bytes that are not UTF-8, so its real value is unknown';
  if (lsid.length > MAX_LSID_LENGTH) return `it is ${lsid.length} characters long`;
  return undefined;
}

/**
 * The ids of `lsids` that can be asked for. The others are set aside at once, with an error log
 * each, through the usual set-aside: no retry could ever fetch them, and a batch holding one would
 * fail for its neighbours too.
 */
export function setAsideUnusable(lsids: string[], charger: FailureCharger<string>): string[] {
  return lsids.filter((lsid) => {
    const reason = unusableLsid(lsid);
    if (reason !== undefined)
      charger.charge(lsid, `PRA listed an id that cannot be asked for (${reason})`, 1);
    return reason === undefined;
  });
}

/** The session feed's failures: its state's book, in its words. */
export function sessionFailureCharger(
  env: CycleEnvironment,
  state: SessionFeedState,
  maxFailures: number,
): FailureCharger<string> {
  const book = {
    recordFailure: (lsid: string, error: string, max: number, now: number) =>
      state.recordFailure(lsid, error, max, now) === 'set-aside',
  };
  return new FailureCharger(env, book, sessionWording(state.path), maxFailures);
}

function sessionWording(statePath: string): FailureWording<string> {
  const stays = `it stays listed under set_aside in ${statePath}`;
  return {
    retried: (lsid, reason) => `Fetching session ${lsid} failed (${reason}); it will be retried next cycle`,
    setAside: (lsid, reason, maxFailures) =>
      maxFailures === 1
        ? `Session ${preview(lsid)} set aside at once: ${reason}. The other sessions go on; ${stays}.`
        : `Session ${lsid} set aside after ${maxFailures} failed fetches; its events are not ` +
          `forwarded and other sessions go on. Last error: ${reason}. ${stays[0].toUpperCase()}${stays.slice(1)}.`,
  };
}

function preview(lsid: string): string {
  if (lsid.length <= LSID_PREVIEW_LENGTH) return JSON.stringify(lsid);
  return `${JSON.stringify(lsid.slice(0, LSID_PREVIEW_LENGTH))}… (${lsid.length} characters)`;
}

export interface SessionBatch {
  lsids: string[];
  /** Sessions the reply has completed so far. */
  returned: Set<string>;
}

export class SessionBatches implements Work<SessionBatch> {
  constructor(
    private readonly pending: string[],
    private readonly env: CycleEnvironment,
    private readonly state: SessionFeedState,
    private readonly source: SessionSource,
    private readonly forwarder: Forwarder<SerializedItem, SessionReceipt>,
    private readonly failures: FailureCharger<string>,
    /** The size of the next fresh batch, as the queue will take it. */
    private readonly batchSize: () => number,
    /** Each session a reply completed, as it is read. */
    private readonly onSession: (end: ReportSessionEnd) => void = () => undefined,
  ) {}

  take(size: number): SessionBatch | undefined {
    if (this.pending.length === 0) return undefined;
    return { lsids: this.pending.splice(0, size), returned: new Set() };
  }

  async fetch(batch: SessionBatch): Promise<void> {
    const items = this.source.fetch(batch.lsids);
    // The batch the queue will most likely take next (a split failure's halves come first).
    this.source.prefetch?.(this.pending.slice(0, this.batchSize()));
    for await (const item of items) {
      if (item.kind === 'event') this.env.metrics.collectedEvents.inc();
      else {
        batch.returned.add(item.lsid);
        this.onSession(item);
      }
      await this.forwarder.add(item);
      // On a stop, what was parsed is still pushed (within the grace); nothing is charged.
      if (!this.env.running()) return;
    }
    for (const lsid of batch.lsids) {
      if (!batch.returned.has(lsid)) this.failures.charge(lsid, 'PRA did not return this session');
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
    for (const lsid of batch.lsids) this.failures.charge(lsid, error.message);
    return true;
  }

  probe(): Promise<void> {
    return this.source.probe();
  }
}
