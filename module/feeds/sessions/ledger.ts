import { shortDigest } from '../../engine/identity';
import type { Ledger, Sealed } from '../../engine/forwarder';
import { eventIdentity } from './event-identity';
import type { ReportSessionEnd, SerializedItem, SessionEvent } from './events';
import type { SessionFeedState } from './state';

interface SessionProgress {
  forwarded: number;
  /**
   * The last event's JSON, not its fingerprint: a fingerprint costs a JSON.parse and a hash, so it
   * is made once per session and push, at commit, rather than for every event handed over.
   */
  lastJson: string;
  lastTimestamp: number;
}

/** What one push carries for the state: each session's new progress, and the sessions that ended. */
export interface SessionReceipt {
  progress: Map<string, SessionProgress>;
  completions: ReportSessionEnd[];
}

/**
 * Which events of a session go out, and what the intake's acceptance commits. Events of a tracked
 * session are forwarded from where the intake last acknowledged it, so a session followed while
 * running, or cut by a crash, sends each event once.
 */
export class SessionLedger implements Ledger<SerializedItem, SessionReceipt> {
  private pending: SessionReceipt = emptyReceipt();
  private pendingNewest: number | undefined;
  /** Sessions whose earlier history no longer matches what was forwarded (see `admit`). */
  private readonly rewritten = new Set<string>();
  /**
   * How far each session was handed to a push: buffered, in flight or committed. The state only
   * knows what was committed, and a session fetched again (a split after a failure) must not have
   * its in-flight events queued a second time.
   */
  private handedOver: Record<string, SessionProgress> = Object.create(null);

  constructor(
    private readonly state: SessionFeedState,
    private readonly warn: (message: string) => void,
  ) {}

  admit(item: SerializedItem): string | undefined {
    if (item.kind === 'session') {
      this.pending.completions.push(item);
      return undefined;
    }
    const session = this.state.tracked(item.lsid);
    // PRA may return sessions nobody asked for; only tracked sessions have a place in the state.
    if (!session) return undefined;
    const timestamp = Number(item.timestamp);
    const handed = this.handedOver[item.lsid];
    const forwarded = handed?.forwarded ?? session.forwarded;
    if (item.index < forwarded) {
      if (item.index === forwarded - 1) this.checkHistory(item, handed?.lastJson, session.lastFingerprint);
      return undefined;
    }
    const lastTimestamp = handed?.lastTimestamp ?? session.lastTimestamp;
    if (this.rewritten.has(item.lsid) && !(timestamp > (lastTimestamp ?? -Infinity))) return undefined;
    if (Number.isFinite(timestamp) && !(timestamp <= (this.pendingNewest ?? -Infinity))) {
      this.pendingNewest = timestamp;
    }
    const progress = { forwarded: item.index + 1, lastJson: item.json, lastTimestamp: timestamp };
    this.pending.progress.set(item.lsid, progress);
    this.handedOver[item.lsid] = progress;
    return item.json;
  }

  seal(): Sealed<SessionReceipt> {
    const receipt = this.pending;
    const sealed = {
      receipt,
      empty: receipt.progress.size === 0 && receipt.completions.length === 0,
      newestTime: this.pendingNewest,
    };
    this.pending = emptyReceipt();
    this.pendingNewest = undefined;
    return sealed;
  }

  commit(receipt: SessionReceipt): void {
    // A session that ends in this push leaves the state: its progress would never be read again,
    // and a fingerprint costs a JSON.parse and a hash (most sessions of a catch-up end in one push).
    const ending = new Set(receipt.completions.filter((end) => end.endTime !== null).map((end) => end.lsid));
    for (const [lsid, progress] of receipt.progress) {
      if (!ending.has(lsid)) {
        const fingerprint = fingerprintOf(progress.lastJson);
        this.state.recordForwarded(lsid, progress.forwarded, fingerprint, progress.lastTimestamp);
      }
      // Once committed, the state knows it: only progress still in flight stays here, so that a
      // catch-up of a million sessions in one cycle keeps a push's worth, not every session's last event.
      if (this.handedOver[lsid] === progress) delete this.handedOver[lsid];
    }
    for (const end of receipt.completions) this.complete(end);
  }

  rollback(): void {
    this.pending = emptyReceipt();
    this.pendingNewest = undefined;
    this.handedOver = Object.create(null);
  }

  /**
   * PRA sends a running session whole each time. Its history is assumed to only grow (a guess: no
   * document says so), and the event at the resume point is checked: if it changed, only events
   * newer than it are forwarded from then on, trading possible same-second losses for no replays.
   * Only that one event is fingerprinted: each fingerprint is a JSON.parse and a hash.
   */
  private checkHistory(
    item: SerializedItem & { kind: 'event' },
    handedJson: string | undefined,
    committed: string | undefined,
  ): void {
    const lastFingerprint = handedJson !== undefined ? fingerprintOf(handedJson) : committed;
    if (lastFingerprint === fingerprintOf(item.json)) return;
    this.rewritten.add(item.lsid);
    this.warn(
      `Session ${item.lsid} changed events that were already forwarded; forwarding only newer events`,
    );
  }

  private complete(end: ReportSessionEnd): void {
    const session = this.state.tracked(end.lsid);
    if (!session) return;
    this.state.recordSuccess(end.lsid);
    if (end.endTime === null) {
      if (end.eventCount < session.forwarded && !this.rewritten.has(end.lsid)) {
        this.warn(
          `Session ${end.lsid} now has ${end.eventCount} events, fewer than the ${session.forwarded} already forwarded`,
        );
      }
      return;
    }
    this.rewritten.delete(end.lsid);
    this.state.finish(end.lsid, end.endTime);
  }
}

function emptyReceipt(): SessionReceipt {
  return { progress: new Map(), completions: [] };
}

/** What identifies an event, short: compared across cycles to detect a rewritten history. */
function fingerprintOf(json: string): string {
  return shortDigest(eventIdentity(JSON.parse(json) as SessionEvent));
}
