import { createHash } from 'node:crypto';
import { eventIdentity } from './event-identity';
import type { ReportSessionEnd, SerializedItem, SessionEvent } from './events';
import type { CollectionState } from './state';

export interface ForwarderOptions {
  /**
   * Readies serialised events for the intake and returns what sends them, which resolves once the
   * intake accepted them and throws otherwise. Called as soon as a batch is full, so that building
   * the request overlaps the push still in flight; the sending waits for its turn.
   */
  preparePush: (events: string[]) => () => Promise<void>;
  /**
   * Buffered characters of serialised events that trigger a push. At most 3 bytes each and a
   * little more once escaped, so anything up to about 3 Mi keeps one push to one intake chunk.
   */
  flushBytes: number;
  onForwarded?: (count: number, newestTimestamp: number | undefined) => void;
  onWarning?: (message: string) => void;
}

interface SessionProgress {
  forwarded: number;
  /**
   * The last event's JSON, not its fingerprint: a fingerprint costs a JSON.parse and a hash, so it
   * is made once per session and push, at commit, rather than for every event handed over.
   */
  lastJson: string;
  lastTimestamp: number;
}

interface Batch {
  events: string[];
  bytes: number;
  newestTimestamp: number | undefined;
  progress: Map<string, SessionProgress>;
  completions: ReportSessionEnd[];
}

/**
 * Turns serialised report items into intake pushes and state commits.
 *
 * Events of a tracked session are forwarded from where the intake last acknowledged it, so a
 * session followed while running, or cut by a crash, sends each event once. Pushes go one at a
 * time, and the state is saved after each one: a crash can repeat at most the push in flight,
 * while parsing of the next events overlaps with the push in flight.
 */
export class SessionForwarder {
  private batch: Batch = emptyBatch();
  private inFlight: Promise<void> = Promise.resolve();
  /** Sessions whose earlier history no longer matches what was forwarded (see `add`). */
  private readonly rewritten = new Set<string>();
  /**
   * How far each session was handed to a push: buffered, in flight or committed. The state only
   * knows what was committed, and a session fetched again (a split after a failure) must not have
   * its in-flight events queued a second time.
   */
  private handedOver: Record<string, SessionProgress> = Object.create(null);

  constructor(
    private readonly state: CollectionState,
    private readonly options: ForwarderOptions,
  ) {}

  async add(item: SerializedItem): Promise<void> {
    if (item.kind === 'session') {
      this.batch.completions.push(item);
      return;
    }
    const session = this.state.tracked(item.lsid);
    // PRA may return sessions nobody asked for; only tracked sessions have a place in the state.
    if (!session) return;
    const timestamp = Number(item.timestamp);
    const handed = this.handedOver[item.lsid];
    const forwarded = handed?.forwarded ?? session.forwarded;
    if (item.index < forwarded) {
      // PRA sends a running session whole each time. We assume its history only grows
      // (pra-api.md §3, a guess); the last forwarded event is checked, and if it changed, only
      // events newer than it are forwarded, trading possible same-second losses for no replays.
      // Only that one event is fingerprinted: each fingerprint is a JSON.parse and a hash.
      if (item.index === forwarded - 1) {
        const lastFingerprint = handed ? fingerprintOf(handed.lastJson) : session.lastFingerprint;
        if (lastFingerprint !== fingerprintOf(item.json)) {
          this.rewritten.add(item.lsid);
          this.options.onWarning?.(
            `Session ${item.lsid} changed events that were already forwarded; forwarding only newer events`,
          );
        }
      }
      return;
    }
    const lastTimestamp = handed?.lastTimestamp ?? session.lastTimestamp;
    if (this.rewritten.has(item.lsid) && !(timestamp > (lastTimestamp ?? -Infinity))) return;
    const json = item.json;
    const batch = this.batch;
    batch.events.push(json);
    // Characters, not bytes: a cheap measure whose 3x worst case still fits one intake chunk.
    batch.bytes += json.length;
    if (Number.isFinite(timestamp) && !(timestamp <= (batch.newestTimestamp ?? -Infinity))) {
      batch.newestTimestamp = timestamp;
    }
    const progress = { forwarded: item.index + 1, lastJson: json, lastTimestamp: timestamp };
    batch.progress.set(item.lsid, progress);
    this.handedOver[item.lsid] = progress;
    if (batch.bytes >= this.options.flushBytes) await this.flush();
  }

  /**
   * Starts pushing what is buffered once the previous push is done, and waits only for that
   * previous one: the caller keeps parsing while this push is on the wire.
   */
  async flush(): Promise<void> {
    const batch = this.batch;
    if (batch.events.length === 0 && batch.completions.length === 0) return;
    this.batch = emptyBatch();
    const send = batch.events.length > 0 ? this.options.preparePush(batch.events) : undefined;
    const previous = this.inFlight;
    this.inFlight = previous.then(() => this.commit(batch, send));
    // A failed push surfaces on the next add/flush/drain; keep it from being reported as unhandled.
    this.inFlight.catch(() => undefined);
    await previous;
  }

  /** Pushes everything buffered and waits until it is accepted and committed. */
  async drain(): Promise<void> {
    await this.flush();
    await this.inFlight;
  }

  /** Waits for the push in flight to end, whatever its outcome. */
  async settle(): Promise<void> {
    await this.inFlight.catch(() => undefined);
  }

  /** Forgets what is buffered and not yet pushed (after a stop or a failed push): it goes again next cycle. */
  discard(): void {
    this.batch = emptyBatch();
    this.handedOver = Object.create(null);
    this.inFlight = Promise.resolve();
  }

  private async commit(batch: Batch, send: (() => Promise<void>) | undefined): Promise<void> {
    if (send !== undefined) await send();
    for (const [lsid, progress] of batch.progress) {
      this.state.recordForwarded(
        lsid,
        progress.forwarded,
        fingerprintOf(progress.lastJson),
        progress.lastTimestamp,
      );
    }
    for (const end of batch.completions) this.complete(end);
    this.state.save();
    if (batch.events.length > 0) this.options.onForwarded?.(batch.events.length, batch.newestTimestamp);
  }

  private complete(end: ReportSessionEnd): void {
    const session = this.state.tracked(end.lsid);
    if (!session) return;
    this.state.recordSuccess(end.lsid);
    if (end.endTime === null) {
      if (end.eventCount < session.forwarded && !this.rewritten.has(end.lsid)) {
        this.options.onWarning?.(
          `Session ${end.lsid} now has ${end.eventCount} events, fewer than the ${session.forwarded} already forwarded`,
        );
      }
      return;
    }
    this.rewritten.delete(end.lsid);
    this.state.finish(end.lsid, end.endTime);
  }
}

function emptyBatch(): Batch {
  return { events: [], bytes: 0, newestTimestamp: undefined, progress: new Map(), completions: [] };
}

/** What identifies an event, short: compared across cycles to detect a rewritten history. */
function fingerprintOf(json: string): string {
  return createHash('sha1')
    .update(eventIdentity(JSON.parse(json) as SessionEvent))
    .digest('base64')
    .slice(0, 16);
}
