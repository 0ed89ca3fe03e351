import type { FeedState } from '../../engine/feed';
import { PRA_RETENTION_SECONDS } from '../../pra/reports';
import { isoSeconds, pythonCheckpoint } from '../../engine/python-checkpoint';
import { count, describe, own, SavedEntry, SavedFields, text, time } from '../../engine/saved-fields';
import { StateNotices, type NoticeSink } from '../../engine/state-notices';
import { isRecord, StateFormatError } from '../../engine/state-store';

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
 * checkpoints read and write, kept in step with the watermark so that the file stays meaningful to
 * (and can be taken over from) the Python collector. Version 2 kept two watermarks, for the closed
 * and the started listings, that always held the same value: it is still read.
 */
export interface StateFileContent {
  version: 3;
  most_recent_date_seen: string;
  /** Both listings, and the closed sessions fetched by window, have covered everything before it. */
  watermark: number;
  seen: Record<string, number>;
  tracked: Record<string, TrackedSession>;
  set_aside: Record<string, SetAsideSession>;
}

/** The state in memory: lsid maps as Maps, so that no session id is special (`__proto__` included). */
interface SessionsContent {
  watermark: number;
  seen: Map<string, number>;
  tracked: Map<string, TrackedSession>;
  setAside: Map<string, SetAsideSession>;
}

export type FailureOutcome = 'retry' | 'set-aside';

/**
 * The session feed's memory between cycles and across restarts: the watermark, the
 * finished sessions still inside the listing overlap (`seen`), the sessions being fetched or
 * followed (`tracked`), and those set aside after repeated failures. The engine saves it after each
 * commit, so mutations reach the disk only once the intake has accepted the matching events.
 *
 * Its size does not grow with a backlog: listings come in windows of a few thousand sessions at
 * most, and finished sessions leave `seen` once no listing can return them.
 */
export class SessionFeedState implements FeedState {
  private constructor(
    /** Where it is saved, for the messages that send an operator to it. */
    readonly path: string,
    private readonly content: SessionsContent,
    private readonly notices: StateNotices,
  ) {}

  /**
   * The saved state, or one starting `lookbackSeconds` back when there is none. A Python
   * collector's file is taken over: its checkpoint becomes the watermark and its lsid cache
   * becomes `seen`, so switching collectors neither loses nor repeats sessions. A watermark older
   * than PRA's retention is moved up to it: those sessions are gone from PRA anyway. What cannot be
   * used is dropped and reported (see reportTo); StateFormatError when nothing of it can be.
   */
  static open(saved: unknown, now: number, lookbackSeconds: number, path: string): SessionFeedState {
    const notices = new StateNotices(path);
    const fallback = now - lookbackSeconds;
    const content = saved === undefined ? freshContent(fallback) : readSaved(saved, fallback, notices, path);
    const state = new SessionFeedState(path, content, notices);
    state.clampToRetention(now);
    return state;
  }

  /** Where the state's notices go: entries dropped on load, times pulled back. */
  reportTo(sink: NoticeSink): void {
    this.notices.reportTo(sink);
  }

  /** Sessions to fetch this cycle, oldest first so that a backlog drains in order. */
  get trackedLsids(): string[] {
    return [...this.content.tracked.entries()]
      .sort(([, a], [, b]) => a.since - b.since)
      .map(([lsid]) => lsid);
  }

  /** Both listings have covered everything before this time. */
  get watermark(): number {
    return this.content.watermark;
  }

  get trackedCount(): number {
    return this.content.tracked.size;
  }

  get pendingCount(): number {
    return this.trackedCount;
  }

  get setAsideCount(): number {
    return this.content.setAside.size;
  }

  get seenCount(): number {
    return this.content.seen.size;
  }

  tracked(lsid: string): TrackedSession | undefined {
    return this.content.tracked.get(lsid);
  }

  /** Neither finished, tracked nor set aside: a listing brought it for the first time. */
  isNew(lsid: string): boolean {
    const { seen, tracked, setAside } = this.content;
    return !(seen.has(lsid) || tracked.has(lsid) || setAside.has(lsid));
  }

  /** Adds a listed session unless it is finished, already tracked, or set aside. True when added. */
  track(lsid: string, now: number): boolean {
    if (!this.isNew(lsid)) return false;
    this.content.tracked.set(lsid, { forwarded: 0, failures: 0, since: now });
    return true;
  }

  /**
   * Moves the watermark to the end of the window just collected, and forgets finished sessions that
   * no later listing can return: a session is listed again only while its end time (or its start
   * time, which is earlier) is inside one of the listing windows.
   */
  advanceTo(windowEnd: number, overlapSeconds: number): void {
    const { content } = this;
    content.watermark = Math.max(content.watermark, windowEnd);
    const horizon = content.watermark - overlapSeconds;
    for (const [lsid, endTime] of content.seen) if (endTime < horizon) content.seen.delete(lsid);
  }

  /** Records events of a tracked session accepted by the intake, up to `forwarded` in all. */
  recordForwarded(lsid: string, forwarded: number, lastFingerprint: string, lastTimestamp: number): void {
    const session = this.content.tracked.get(lsid);
    if (!session || forwarded <= session.forwarded) return;
    session.forwarded = forwarded;
    session.lastFingerprint = lastFingerprint;
    session.lastTimestamp = lastTimestamp;
  }

  /** The session ended and every event was forwarded: remember it only to drop it from listings. */
  finish(lsid: string, endTime: number): void {
    this.content.tracked.delete(lsid);
    this.content.seen.set(lsid, endTime);
  }

  /** A fetch of the session succeeded: its failure count starts again. */
  recordSuccess(lsid: string): void {
    const session = this.content.tracked.get(lsid);
    if (session) {
      session.failures = 0;
      delete session.lastError;
    }
  }

  recordFailure(lsid: string, error: string, maxFailures: number, now: number): FailureOutcome {
    const session = this.content.tracked.get(lsid);
    if (!session) return 'retry';
    session.failures += 1;
    session.lastError = error;
    if (session.failures < maxFailures) return 'retry';
    this.content.tracked.delete(lsid);
    this.content.setAside.set(lsid, { at: now, failures: session.failures, error });
    return 'set-aside';
  }

  /**
   * Called at the start of every cycle with its clock: nothing saved may be ahead of the clock, and
   * what PRA no longer has is dropped: tracked sessions listed longer ago than the retention (a
   * session "closed abnormally" may never get an end time) and old set-aside entries. Returns the
   * lsids of tracked sessions given up, for the log.
   */
  clampToRetention(now: number): string[] {
    this.clampToClock(now);
    const { content } = this;
    const oldest = now - PRA_RETENTION_SECONDS;
    content.watermark = Math.max(content.watermark, oldest);
    const dropped: string[] = [];
    for (const [lsid, session] of content.tracked) {
      if (session.since < oldest) {
        content.tracked.delete(lsid);
        dropped.push(lsid);
      }
    }
    for (const [lsid, entry] of content.setAside) if (entry.at < oldest) content.setAside.delete(lsid);
    return dropped;
  }

  toJSON(): StateFileContent {
    const { content } = this;
    return {
      version: 3,
      most_recent_date_seen: isoSeconds(content.watermark),
      watermark: content.watermark,
      seen: Object.fromEntries(content.seen),
      tracked: Object.fromEntries(content.tracked),
      set_aside: Object.fromEntries(content.setAside),
    };
  }

  /**
   * A watermark ahead of the clock (saved while the host's clock was ahead, then corrected) would
   * list nothing new until the clock passes it, and prune `seen` against it, so that the sessions
   * of the overlap come back as new, cycle after cycle. Watermarks are pulled back to now: the
   * listings then look back their overlap from now, no further (`seen` covers the overlap before
   * the old watermark, not older). Our own dates (when a session was listed, set aside) go to now
   * too. `seen` holds end times given by PRA: they stay as they are, to match what a listing returns.
   */
  private clampToClock(now: number): void {
    const { content } = this;
    if (content.watermark > now) {
      this.notices.warning(
        `the watermark (${isoSeconds(content.watermark)}) is ahead of the clock (${isoSeconds(now)}), ` +
          "probably saved while the host's clock was ahead: it is pulled back to now, and listings look " +
          'back their overlap from there, so that no session is missed nor listed again.',
      );
      content.watermark = now;
    }
    for (const session of content.tracked.values()) if (session.since > now) session.since = now;
    for (const entry of content.setAside.values()) if (entry.at > now) entry.at = now;
  }
}

function freshContent(watermark: number): SessionsContent {
  return { watermark, seen: new Map(), tracked: new Map(), setAside: new Map() };
}

/** The content of a saved file of either layout: this module's, or the Python collector's. */
function readSaved(saved: unknown, fallback: number, notices: StateNotices, path: string): SessionsContent {
  if (!isRecord(saved)) throw new StateFormatError(path, `the file holds ${describe(saved)}, not an object`);
  if (!Object.hasOwn(saved, 'version')) return fromPythonCollector(saved, fallback, notices);
  if (saved.version !== 2 && saved.version !== 3)
    throw new StateFormatError(path, `unknown version ${describe(saved.version)}`);
  const watermark = readWatermark(saved, notices, path);
  const fields = new SavedFields(notices);
  const lsid = (name: string): string => name;
  return {
    watermark,
    seen: fields.map(
      saved,
      'seen',
      time,
      'those sessions are forwarded again if a listing returns them',
      lsid,
    ),
    tracked: fields.map(
      saved,
      'tracked',
      readTracked,
      'those sessions are no longer followed (one a listing returns again starts over)',
      lsid,
    ),
    setAside: fields.map(
      saved,
      'set_aside',
      readSetAside,
      'those sessions are collected again if a listing returns them',
      lsid,
    ),
  };
}

/**
 * The watermark (version 3), or the older of version 2's two (`closed_watermark`,
 * `started_watermark`). One that is not a time is replaced by the best other: the Python checkpoint
 * (kept in step with it), then version 2's other watermark. StateFormatError without any.
 */
function readWatermark(
  saved: Readonly<Record<string, unknown>>,
  notices: StateNotices,
  path: string,
): number {
  const keys = saved.version === 3 ? ['watermark'] : ['closed_watermark', 'started_watermark'];
  const usable = keys.map((key) => timeOrUndefined(own(saved, key)));
  const known = usable.filter((value): value is number => value !== undefined);
  const watermark = known.length === keys.length ? Math.min(...known) : (pythonCheckpoint(saved) ?? known[0]);
  if (watermark === undefined) {
    throw new StateFormatError(path, 'no usable watermark nor most_recent_date_seen');
  }
  keys.forEach((key, i) => {
    if (usable[i] === undefined) {
      notices.error(
        `${key} is ${describe(own(saved, key))}, not a time: ${isoSeconds(watermark)} is used instead ` +
          '(sessions of the listing overlap may be forwarded again).',
      );
    }
  });
  return watermark;
}

function timeOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function readTracked(value: unknown, notes: string[]): TrackedSession {
  const entry = new SavedEntry(value, notes);
  const session: TrackedSession = {
    forwarded: entry.required('forwarded', count),
    failures: entry.required('failures', count),
    since: entry.required('since', time),
  };
  const lastFingerprint = entry.optional('lastFingerprint', text);
  const lastTimestamp = entry.optional('lastTimestamp', time);
  const lastError = entry.optional('lastError', text);
  if (lastFingerprint !== undefined) session.lastFingerprint = lastFingerprint;
  if (lastTimestamp !== undefined) session.lastTimestamp = lastTimestamp;
  if (lastError !== undefined) session.lastError = lastError;
  return session;
}

function readSetAside(value: unknown, notes: string[]): SetAsideSession {
  const entry = new SavedEntry(value, notes);
  return {
    at: entry.required('at', time),
    failures: entry.optional('failures', count) ?? 0,
    error: entry.optional('error', text) ?? '',
  };
}

/** What the Python collector leaves in the same file: the SDK's CheckpointTimestamp and its lsid cache. */
function fromPythonCollector(
  saved: Readonly<Record<string, unknown>>,
  fallback: number,
  notices: StateNotices,
): SessionsContent {
  const watermark = pythonCheckpoint(saved, notices) ?? fallback;
  const content = freshContent(watermark);
  // The Python cache holds lsids without end times; the watermark is the closest safe guess,
  // and keeps them only as long as they can still be listed.
  const cache = new SavedFields(notices).list(
    saved,
    'sessions_cache',
    text,
    'those sessions are forwarded again if a listing returns them',
  );
  for (const lsid of cache) content.seen.set(lsid, watermark);
  return content;
}
