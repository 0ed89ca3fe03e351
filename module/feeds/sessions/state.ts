import type { FeedState } from '../../engine/feed';
import { isoSeconds, pythonCheckpoint } from '../../engine/python-checkpoint';
import { isRecord, StateFormatError } from '../../engine/state-store';

/** PRA keeps session data for 90 days: nothing older can be fetched, so nothing older is kept. */
export const PRA_RETENTION_SECONDS = 90 * 24 * 3600;

/** A session listed but not yet finished: new, running (followed), or partly forwarded. */
export interface TrackedSession {
  /** Events of `session_details` already accepted by the intake (a prefix, in document order). */
  forwarded: number;
  /** Fingerprint of the last forwarded event, to notice if PRA ever rewrites a session's history. */
  lastFingerprint?: string;
  /** Timestamp (unix s) of the last forwarded event. */
  lastTimestamp?: number;
  /** Consecutive failed fetches. */
  failures: number;
  /** When the collector first listed it (unix s). */
  since: number;
  lastError?: string;
}

export interface SetAsideSession {
  at: number;
  failures: number;
  error: string;
}

/**
 * The on-disk shape of `context.json`. `most_recent_date_seen` is the key the Python SDK's
 * checkpoints read and write, kept in step with the closed-session watermark so that the file stays
 * meaningful to (and can be taken over from) the Python collector.
 */
export interface StateFileContent {
  version: 2;
  most_recent_date_seen: string;
  closed_watermark: number;
  started_watermark: number;
  seen: Record<string, number>;
  tracked: Record<string, TrackedSession>;
  set_aside: Record<string, SetAsideSession>;
}

/** What the Python collector leaves in the same file (SDK CheckpointTimestamp + its LRU). */
interface PythonCollectorContent extends Record<string, unknown> {
  most_recent_date_seen?: unknown;
  sessions_cache?: unknown;
}

export type FailureOutcome = 'retry' | 'set-aside';

/**
 * The session feed's memory between cycles and across restarts: two listing watermarks, the
 * finished sessions still inside the listing overlap (`seen`), the sessions being fetched or
 * followed (`tracked`), and those set aside after repeated failures. The engine saves it after each
 * commit, so mutations reach the disk only once the intake has accepted the matching events.
 *
 * Its size does not grow with a backlog: listings come in windows of a few thousand sessions at
 * most, and finished sessions leave `seen` once no listing can return them.
 */
export class SessionsState implements FeedState {
  private constructor(
    /** Where it is saved, for the messages that send an operator to it. */
    readonly path: string,
    private readonly content: StateFileContent,
  ) {}

  /**
   * The saved state, or one starting `lookbackSeconds` back when there is none. A Python
   * collector's file is taken over: its checkpoint becomes both watermarks and its lsid cache
   * becomes `seen`, so switching collectors neither loses nor repeats sessions. A watermark older
   * than PRA's retention is moved up to it: those sessions are gone from PRA anyway.
   */
  static open(saved: unknown, now: number, lookbackSeconds: number, path: string): SessionsState {
    const content =
      saved === undefined
        ? freshContent(now - lookbackSeconds)
        : isCurrentContent(saved)
          ? saved
          : fromPythonCollector(saved, path, now - lookbackSeconds);
    const state = new SessionsState(path, content);
    state.clampToRetention(now);
    return state;
  }

  get closedWatermark(): number {
    return this.content.closed_watermark;
  }

  get startedWatermark(): number {
    return this.content.started_watermark;
  }

  /** Sessions to fetch this cycle, oldest first so that a backlog drains in order. */
  get trackedLsids(): string[] {
    return Object.entries(this.content.tracked)
      .sort(([, a], [, b]) => a.since - b.since)
      .map(([lsid]) => lsid);
  }

  /** Both listings have covered everything before this time. */
  get watermark(): number {
    return Math.min(this.content.closed_watermark, this.content.started_watermark);
  }

  get trackedCount(): number {
    return Object.keys(this.content.tracked).length;
  }

  get pendingCount(): number {
    return this.trackedCount;
  }

  get setAsideCount(): number {
    return Object.keys(this.content.set_aside).length;
  }

  get seenCount(): number {
    return Object.keys(this.content.seen).length;
  }

  tracked(lsid: string): TrackedSession | undefined {
    return this.content.tracked[lsid];
  }

  /** Neither finished, tracked nor set aside: a listing brought it for the first time. */
  isNew(lsid: string): boolean {
    const { seen, tracked, set_aside } = this.content;
    return !(Object.hasOwn(seen, lsid) || Object.hasOwn(tracked, lsid) || Object.hasOwn(set_aside, lsid));
  }

  /** Adds a listed session unless it is finished, already tracked, or set aside. True when added. */
  track(lsid: string, now: number): boolean {
    if (!this.isNew(lsid)) return false;
    this.content.tracked[lsid] = { forwarded: 0, failures: 0, since: now };
    return true;
  }

  /**
   * Moves both watermarks to the end of the window just listed, and forgets finished sessions that
   * no later listing can return: a session is listed again only while its end time (or its start
   * time, which is earlier) is inside one of the listing windows.
   */
  advanceTo(windowEnd: number, overlapSeconds: number): void {
    this.content.closed_watermark = Math.max(this.content.closed_watermark, windowEnd);
    this.content.started_watermark = Math.max(this.content.started_watermark, windowEnd);
    this.content.most_recent_date_seen = isoSeconds(this.content.closed_watermark);
    const horizon = Math.min(this.content.closed_watermark, this.content.started_watermark) - overlapSeconds;
    for (const [lsid, endTime] of Object.entries(this.content.seen)) {
      if (endTime < horizon) delete this.content.seen[lsid];
    }
  }

  /** Records events of a tracked session accepted by the intake, up to `forwarded` in all. */
  recordForwarded(lsid: string, forwarded: number, lastFingerprint: string, lastTimestamp: number): void {
    const session = this.content.tracked[lsid];
    if (!session || forwarded <= session.forwarded) return;
    session.forwarded = forwarded;
    session.lastFingerprint = lastFingerprint;
    session.lastTimestamp = lastTimestamp;
  }

  /** The session ended and every event was forwarded: remember it only to drop it from listings. */
  finish(lsid: string, endTime: number): void {
    delete this.content.tracked[lsid];
    this.content.seen[lsid] = endTime;
  }

  /** A fetch of the session succeeded: its failure count starts again. */
  recordSuccess(lsid: string): void {
    const session = this.content.tracked[lsid];
    if (session) {
      session.failures = 0;
      delete session.lastError;
    }
  }

  recordFailure(lsid: string, error: string, maxFailures: number, now: number): FailureOutcome {
    const session = this.content.tracked[lsid];
    if (!session) return 'retry';
    session.failures += 1;
    session.lastError = error;
    if (session.failures < maxFailures) return 'retry';
    delete this.content.tracked[lsid];
    this.content.set_aside[lsid] = { at: now, failures: session.failures, error };
    return 'set-aside';
  }

  /**
   * Drops what PRA no longer has: tracked sessions listed longer ago than the retention (a session
   * "closed abnormally" may never get an end time) and old set-aside entries. Returns the lsids of
   * tracked sessions given up, for the log.
   */
  clampToRetention(now: number): string[] {
    const oldest = now - PRA_RETENTION_SECONDS;
    this.content.closed_watermark = Math.max(this.content.closed_watermark, oldest);
    this.content.started_watermark = Math.max(this.content.started_watermark, oldest);
    this.content.most_recent_date_seen = isoSeconds(this.content.closed_watermark);
    const dropped: string[] = [];
    for (const [lsid, session] of Object.entries(this.content.tracked)) {
      if (session.since < oldest) {
        delete this.content.tracked[lsid];
        dropped.push(lsid);
      }
    }
    for (const [lsid, entry] of Object.entries(this.content.set_aside)) {
      if (entry.at < oldest) delete this.content.set_aside[lsid];
    }
    return dropped;
  }

  toJSON(): StateFileContent {
    return this.content;
  }
}

function freshContent(watermark: number): StateFileContent {
  return {
    version: 2,
    most_recent_date_seen: isoSeconds(watermark),
    closed_watermark: watermark,
    started_watermark: watermark,
    seen: {},
    tracked: {},
    set_aside: {},
  };
}

function isCurrentContent(raw: unknown): raw is StateFileContent {
  if (!isRecord(raw)) return false;
  const candidate = raw as Partial<StateFileContent>;
  return (
    candidate.version === 2 &&
    Number.isFinite(candidate.closed_watermark) &&
    Number.isFinite(candidate.started_watermark) &&
    isRecord(candidate.seen) &&
    isRecord(candidate.tracked) &&
    isRecord(candidate.set_aside)
  );
}

function fromPythonCollector(saved: unknown, path: string, fallback: number): StateFileContent {
  const raw = saved as PythonCollectorContent;
  if (!isRecord(raw) || 'version' in raw) {
    throw new StateFormatError(path, 'unknown layout or version');
  }
  const watermark = pythonCheckpoint(raw) ?? fallback;
  const content = freshContent(watermark);
  if (Array.isArray(raw.sessions_cache)) {
    // The Python cache holds lsids without end times; the watermark is the closest safe guess,
    // and keeps them only as long as they can still be listed.
    for (const lsid of raw.sessions_cache) if (typeof lsid === 'string') content.seen[lsid] = watermark;
  }
  return content;
}
