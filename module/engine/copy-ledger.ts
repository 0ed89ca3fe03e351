/**
 * Exactly once for events without ids. PRA's activity reports and its syslog give each event a time
 * to the second and nothing else that identifies it; two identical events in one second are real
 * (a credential used twice), and a report asked again shows what it showed before plus what PRA
 * wrote since, late arrivals in an already reported second included. So within one reply the k-th
 * copy of an event is forwarded only when k exceeds the copies already accepted (or handed to a push
 * in flight): nothing at a window's boundary is lost or repeated.
 */
import type { Ledger, Sealed } from './forwarder';
import type { TimeWindow } from './time-windows';
import type { TimedEventsState } from './timed-events-state';

/** One timed event of a report, as its parser hands it over. */
export interface TimedEvent {
  /** Unix seconds; undefined when the event carries no usable time. */
  time: number | undefined;
  /** What makes two events the same event (a hash of their content). */
  identity: string;
  /** What is forwarded: the event's JSON, or its text. */
  text: string;
}

interface Copy {
  time: number;
  identity: string;
  copies: number;
}

export interface CopyReceipt {
  copies: Copy[];
  /** Every event before this time is in this push or an earlier one. */
  completeBefore: number | undefined;
}

export class CopyLedger implements Ledger<TimedEvent, CopyReceipt> {
  /** Copies handed to pushes not yet accepted, above what the state holds. */
  private handed = new Map<number, Map<string, number>>();
  /** Copies seen in the reply being read. */
  private reply = new Map<number, Map<string, number>>();
  private window: TimeWindow = { from: 0, to: 0 };
  private pending: CopyReceipt = { copies: [], completeBefore: undefined };
  private pendingNewest: number | undefined;
  private readonly untimed = new UntimedCount();

  constructor(private readonly state: TimedEventsState) {}

  /**
   * Distinct events without a usable time met by this ledger (one cycle): they cannot be placed in
   * a window, so they are not forwarded. Each counts once however many replies showed it.
   */
  get untimedEvents(): number {
    return this.untimed.total;
  }

  /** A new reply for `window` starts: copies are counted afresh, and only its events are taken. */
  beginReply(window: TimeWindow): void {
    this.window = window;
    this.reply = new Map();
    this.untimed.beginReply();
  }

  /**
   * Every event before `time` has been read (or given up): once the push carrying the last of them
   * is accepted, the watermark moves to `time`. The copies of this reply that no later event can
   * need are forgotten, so a long reply (a whole syslog archive) is counted in bounded memory.
   */
  completeBefore(time: number): void {
    this.pending.completeBefore = time;
    const horizon = this.state.horizonFor(time);
    for (const second of this.reply.keys()) if (second < horizon) this.reply.delete(second);
  }

  admit(event: TimedEvent): string | undefined {
    const { time, identity } = event;
    if (time === undefined || !Number.isFinite(time)) {
      this.untimed.add(identity);
      return undefined;
    }
    // Neither bound of a PRA window is exact: each event belongs to the one window that contains it.
    if (time < this.window.from || time >= this.window.to || time < this.state.horizon) return undefined;
    const copy = increment(this.reply, time, identity);
    const known = this.handed.get(time)?.get(identity) ?? this.state.acceptedCopies(time, identity);
    if (copy <= known) return undefined;
    setCopies(this.handed, time, identity, copy);
    this.pending.copies.push({ time, identity, copies: copy });
    if (!(time <= (this.pendingNewest ?? -Infinity))) this.pendingNewest = time;
    return event.text;
  }

  seal(): Sealed<CopyReceipt> {
    const receipt = this.pending;
    const sealed = {
      receipt,
      empty: receipt.copies.length === 0 && receipt.completeBefore === undefined,
      newestTime: this.pendingNewest,
    };
    this.pending = { copies: [], completeBefore: undefined };
    this.pendingNewest = undefined;
    return sealed;
  }

  commit(receipt: CopyReceipt): void {
    for (const { time, identity, copies } of receipt.copies) {
      this.state.recordAccepted(time, identity, copies);
      // Once accepted, the state knows it; only copies still in flight stay here, so this stays small.
      const inSecond = this.handed.get(time);
      if (inSecond?.get(identity) === copies) {
        inSecond.delete(identity);
        if (inSecond.size === 0) this.handed.delete(time);
      }
    }
    if (receipt.completeBefore !== undefined) this.state.advanceTo(receipt.completeBefore);
  }

  rollback(): void {
    this.handed = new Map();
    this.reply = new Map();
    this.pending = { copies: [], completeBefore: undefined };
    this.pendingNewest = undefined;
  }
}

/**
 * Past this many distinct untimed events in a cycle (or a reply), new ones are counted without
 * being remembered (so possibly more than once), so that memory stays bounded.
 */
const MAX_UNTIMED_IDENTITIES = 10_000;

/**
 * Events without a time, counted once a cycle: PRA places them in whichever windows it likes (the
 * window bounds are inexact, windows overlap the watermark, a failed window is asked again in
 * halves), so the same event comes back in many replies. As for timed events, the k-th copy of an
 * identity in one reply is a new event only when no earlier reply showed k copies.
 */
class UntimedCount {
  total = 0;
  private readonly most = new Map<string, number>();
  private reply = new Map<string, number>();

  beginReply(): void {
    this.reply = new Map();
  }

  add(identity: string): void {
    const copy = (this.reply.get(identity) ?? 0) + 1;
    if (copy > 1 || this.reply.size < MAX_UNTIMED_IDENTITIES) this.reply.set(identity, copy);
    const known = this.most.get(identity) ?? 0;
    if (copy <= known) return;
    this.total += 1;
    if (known > 0 || this.most.size < MAX_UNTIMED_IDENTITIES) this.most.set(identity, copy);
  }
}

function increment(counts: Map<number, Map<string, number>>, time: number, identity: string): number {
  const copy = (counts.get(time)?.get(identity) ?? 0) + 1;
  setCopies(counts, time, identity, copy);
  return copy;
}

function setCopies(
  counts: Map<number, Map<string, number>>,
  time: number,
  identity: string,
  copies: number,
): void {
  let inSecond = counts.get(time);
  if (inSecond === undefined) {
    inSecond = new Map();
    counts.set(time, inSecond);
  }
  inSecond.set(identity, copies);
}
