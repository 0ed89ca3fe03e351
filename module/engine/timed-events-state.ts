/**
 * The state of a feed whose report is a stream of timed events without ids (Vault and Team
 * activity, Syslog): a watermark, and how many copies of each distinct event at or shortly before
 * it the intake already accepted.
 */
import { PRA_RETENTION_SECONDS } from '../pra/reports';
import type { FeedState } from './feed';
import { isoSeconds, pythonCheckpoint } from './python-checkpoint';
import {
  count,
  own,
  SavedEntry,
  SavedFields,
  secondKey,
  text,
  time,
  Unusable,
  describe,
} from './saved-fields';
import { StateNotices, type NoticeSink } from './state-notices';
import { isRecord, StateFormatError } from './state-store';

export interface SetAsideWindow {
  from: number;
  to: number;
  at: number;
  failures: number;
  error: string;
}

interface WindowFailure {
  count: number;
  error: string;
}

/** The on-disk shape of context.json for these feeds. */
export interface TimedEventsStateContent {
  version: 1;
  /** The Python SDK's checkpoint key, kept in step with the watermark. */
  most_recent_date_seen: string;
  /** Every event before this time (unix s) was accepted by the intake, or is older than `floor`. */
  watermark: number;
  /** Events before this time are not collected: the first start's look-back, or a Python checkpoint taken over. */
  floor: number;
  /** Second → event identity → copies accepted, for the seconds a later request may return again. */
  accepted: Record<string, Record<string, number>>;
  /** Consecutive failures of the window starting at that second, while it is retried. */
  failures: Record<string, WindowFailure>;
  set_aside: SetAsideWindow[];
}

/** The state in memory: saved maps as Maps, so that no saved key is special. */
interface WindowContent {
  watermark: number;
  floor: number;
  accepted: Map<number, Map<string, number>>;
  failures: Map<number, WindowFailure>;
  setAside: SetAsideWindow[];
}

export class TimedEventsState implements FeedState {
  private constructor(
    private readonly content: WindowContent,
    private readonly overlapSeconds: number,
    private readonly notices: StateNotices,
  ) {}

  /**
   * The saved state, or one starting `lookbackSeconds` back on a first start. The Python connectors'
   * checkpoint (the newest event time they forwarded, after which they asked again from that very
   * second) is taken over as "everything up to and including it was forwarded": a later copy in
   * that second is not sent rather than the whole second sent twice. Their 7-day clamp is not
   * repeated: only PRA's 90-day retention bounds how far back collection goes. What cannot be used
   * is dropped and reported (see reportTo); StateFormatError when nothing of it can be.
   */
  static open(
    saved: unknown,
    now: number,
    lookbackSeconds: number,
    overlapSeconds: number,
    file: string,
  ): TimedEventsState {
    const notices = new StateNotices(file);
    const content =
      saved === undefined
        ? starting(now - lookbackSeconds)
        : readSaved(saved, now - lookbackSeconds, now - PRA_RETENTION_SECONDS, notices, file);
    const state = new TimedEventsState(content, overlapSeconds, notices);
    state.clampToRetention(now);
    return state;
  }

  /** Where the state's notices go: entries dropped on load, times pulled back. */
  reportTo(sink: NoticeSink): void {
    this.notices.reportTo(sink);
  }

  get watermark(): number {
    return this.content.watermark;
  }

  /** Events before this time are not forwarded: older than the overlap, or than the floor. */
  get horizon(): number {
    return this.horizonFor(this.content.watermark);
  }

  /** The horizon once the watermark is at `watermark`. */
  horizonFor(watermark: number): number {
    return Math.max(this.content.floor, watermark - this.overlapSeconds);
  }

  get pendingCount(): number {
    return this.content.failures.size;
  }

  get setAsideCount(): number {
    return this.content.setAside.length;
  }

  /** Copies of `identity` at `second` the intake accepted. */
  acceptedCopies(second: number, identity: string): number {
    return this.content.accepted.get(second)?.get(identity) ?? 0;
  }

  recordAccepted(second: number, identity: string, copies: number): void {
    let inSecond = this.content.accepted.get(second);
    if (inSecond === undefined) {
      inSecond = new Map();
      this.content.accepted.set(second, inSecond);
    }
    if (copies > (inSecond.get(identity) ?? 0)) inSecond.set(identity, copies);
  }

  /** Everything before `time` was accepted: the watermark moves, and copies no request can return again are forgotten. */
  advanceTo(time: number): void {
    if (time <= this.content.watermark) return;
    this.content.watermark = time;
    for (const second of this.content.failures.keys()) {
      if (second < time) this.content.failures.delete(second);
    }
    this.forgetBefore(this.horizon);
  }

  /** A window that failed alone; true once it has failed `maxFailures` times and is set aside. */
  recordFailure(from: number, to: number, error: string, maxFailures: number, now: number): boolean {
    const failures = (this.content.failures.get(from)?.count ?? 0) + 1;
    if (failures < maxFailures) {
      this.content.failures.set(from, { count: failures, error });
      return false;
    }
    this.content.failures.delete(from);
    this.content.setAside.push({ from, to, at: now, failures, error });
    return true;
  }

  /**
   * Called at the start of every cycle with its clock: nothing older than PRA's retention can be
   * asked for (old set-aside entries go too), and nothing saved may be ahead of the clock.
   */
  clampToRetention(now: number): void {
    this.clampToClock(now);
    this.raiseFloor(now - PRA_RETENTION_SECONDS);
  }

  toJSON(): TimedEventsStateContent {
    const { watermark, floor, accepted, failures, setAside } = this.content;
    const acceptedJson: Record<string, Record<string, number>> = {};
    for (const [second, copies] of accepted) acceptedJson[second] = Object.fromEntries(copies);
    return {
      version: 1,
      most_recent_date_seen: isoSeconds(watermark),
      watermark,
      floor,
      failures: Object.fromEntries(failures),
      set_aside: setAside,
      accepted: acceptedJson,
    };
  }

  /**
   * A watermark ahead of the clock (the host's clock was ahead when it was saved, then corrected)
   * would ask nothing until the clock passes it, then start there: what PRA wrote meanwhile would be
   * lost. It is pulled back to now, and collection resumes from the old horizon while that is before
   * now (the copies kept start there: asking for older seconds would send them again), else from
   * now − overlap. The floor holds that point. The copies are event times given by PRA: they stay.
   */
  private clampToClock(now: number): void {
    const { content } = this;
    if (content.watermark <= now) return;
    const horizon = this.horizon;
    const resumes = horizon < now ? horizon : now - this.overlapSeconds;
    this.notices.warning(
      `the watermark ${isoSeconds(content.watermark)} is ahead of the clock (${isoSeconds(now)}), ` +
        "probably saved while the host's clock was ahead: it is pulled back to now, and collection " +
        `resumes from ${isoSeconds(resumes)} so that nothing written since is missed.`,
    );
    content.watermark = now;
    content.floor = resumes;
    for (const entry of content.setAside) if (entry.at > now) entry.at = now;
  }

  private raiseFloor(oldest: number): void {
    const { content } = this;
    if (content.floor < oldest) content.floor = oldest;
    if (content.watermark < oldest) content.watermark = oldest;
    content.setAside = content.setAside.filter((entry) => entry.at >= oldest);
    this.forgetBefore(this.horizon);
  }

  private forgetBefore(time: number): void {
    for (const second of this.content.accepted.keys())
      if (second < time) this.content.accepted.delete(second);
  }
}

function starting(from: number): WindowContent {
  return { watermark: from, floor: from, accepted: new Map(), failures: new Map(), setAside: [] };
}

/** The content of a saved file of either layout: this module's, or a Python connector's. */
function readSaved(
  saved: unknown,
  fallback: number,
  oldest: number,
  notices: StateNotices,
  file: string,
): WindowContent {
  if (!isRecord(saved)) throw new StateFormatError(file, `the file holds ${describe(saved)}, not an object`);
  if (!Object.hasOwn(saved, 'version')) {
    const checkpoint = pythonCheckpoint(saved, notices);
    return starting(checkpoint === undefined ? fallback : checkpoint + 1);
  }
  if (saved.version !== 1) throw new StateFormatError(file, `unknown version ${describe(saved.version)}`);
  const { watermark, floor } = readTimes(saved, oldest, notices, file);
  const fields = new SavedFields(notices);
  return {
    watermark,
    floor,
    accepted: fields.map(
      saved,
      'accepted',
      readCopies,
      'events of those seconds may be forwarded again',
      secondKey,
    ),
    failures: fields.map(
      saved,
      'failures',
      readFailure,
      'those windows start their failure count again',
      secondKey,
    ),
    setAside: fields.list(
      saved,
      'set_aside',
      readSetAside,
      'the record of those windows is lost (their events were lost already)',
    ),
  };
}

/**
 * The watermark, else the Python checkpoint kept in step with it; the floor, else PRA's retention
 * (the copies kept for the overlap then stop a repeat). StateFormatError without any watermark.
 */
function readTimes(
  saved: Readonly<Record<string, unknown>>,
  oldest: number,
  notices: StateNotices,
  file: string,
): { watermark: number; floor: number } {
  let watermark = optionalTime(own(saved, 'watermark'));
  if (watermark === undefined) {
    watermark = pythonCheckpoint(saved);
    if (watermark === undefined)
      throw new StateFormatError(file, 'no usable watermark nor most_recent_date_seen');
    notices.error(
      `watermark is ${describe(own(saved, 'watermark'))}, not a time: most_recent_date_seen ` +
        `(${isoSeconds(watermark)}), kept in step with it, is used instead.`,
    );
  }
  let floor = optionalTime(own(saved, 'floor'));
  if (floor === undefined) {
    notices.error(
      `floor is ${describe(own(saved, 'floor'))}, not a time: PRA's retention is used instead, ` +
        'collection goes on from the watermark.',
    );
    floor = Math.min(oldest, watermark);
  }
  return { watermark, floor };
}

function optionalTime(value: unknown): number | undefined {
  try {
    return time(value);
  } catch {
    return undefined;
  }
}

/** One second's copies: identity → copies accepted. A bad count drops that identity only. */
function readCopies(value: unknown, notes: string[]): Map<string, number> {
  if (!isRecord(value)) throw new Unusable(`not an object: ${describe(value)}`);
  const copies = new Map<string, number>();
  for (const [identity, accepted] of Object.entries(value)) {
    try {
      copies.set(identity, count(accepted));
    } catch (error) {
      if (!(error instanceof Unusable)) throw error;
      notes.push(`${JSON.stringify(identity)} ignored, ${error.message}`);
    }
  }
  return copies;
}

function readFailure(value: unknown, notes: string[]): WindowFailure {
  const entry = new SavedEntry(value, notes);
  return { count: entry.required('count', count), error: entry.optional('error', text) ?? '' };
}

function readSetAside(value: unknown, notes: string[]): SetAsideWindow {
  const entry = new SavedEntry(value, notes);
  return {
    from: entry.required('from', time),
    to: entry.required('to', time),
    at: entry.required('at', time),
    failures: entry.optional('failures', count) ?? 0,
    error: entry.optional('error', text) ?? '',
  };
}
