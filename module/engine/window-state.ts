/**
 * The state of a feed whose report is a stream of timed events without ids (Vault and Team
 * activity, Syslog): a watermark, and how many copies of each distinct event at or shortly before
 * it the intake already accepted.
 */
import type { FeedState } from './feed';
import { isoSeconds, pythonCheckpoint } from './python-checkpoint';
import { isRecord, StateFormatError } from './state-store';

/** PRA keeps these logs 90 days: nothing older can be asked for, so nothing older is kept. */
export const RETENTION_SECONDS = 90 * 24 * 3600;

export interface SetAsideWindow {
  from: number;
  to: number;
  at: number;
  failures: number;
  error: string;
}

/** The on-disk shape of context.json for these feeds. */
export interface WindowStateContent {
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
  failures: Record<string, { count: number; error: string }>;
  set_aside: SetAsideWindow[];
}

export class WindowState implements FeedState {
  private readonly accepted: Map<number, Map<string, number>>;

  private constructor(
    private readonly content: Omit<WindowStateContent, 'accepted'>,
    accepted: Record<string, Record<string, number>>,
    private readonly overlapSeconds: number,
  ) {
    this.accepted = new Map(
      Object.entries(accepted).map(([second, copies]) => [Number(second), new Map(Object.entries(copies))]),
    );
  }

  /**
   * The saved state, or one starting `lookbackSeconds` back on a first start. The Python connectors'
   * checkpoint (the newest event time they forwarded, after which they asked again from that very
   * second) is taken over as "everything up to and including it was forwarded": a later copy in
   * that second is not sent rather than the whole second sent twice. Their 7-day clamp is not
   * repeated: only PRA's 90-day retention bounds how far back collection goes.
   */
  static open(
    saved: unknown,
    now: number,
    lookbackSeconds: number,
    overlapSeconds: number,
    file: string,
  ): WindowState {
    const oldest = now - RETENTION_SECONDS;
    let state: WindowState;
    if (saved === undefined) {
      state = WindowState.starting(now - lookbackSeconds, overlapSeconds);
    } else if (isContent(saved)) {
      state = new WindowState(saved, saved.accepted, overlapSeconds);
    } else if (isRecord(saved) && !('version' in saved)) {
      const checkpoint = pythonCheckpoint(saved);
      state = WindowState.starting(
        checkpoint === undefined ? now - lookbackSeconds : checkpoint + 1,
        overlapSeconds,
      );
    } else {
      throw new StateFormatError(file, 'unknown layout or version');
    }
    state.raiseFloor(oldest);
    return state;
  }

  private static starting(from: number, overlapSeconds: number): WindowState {
    return new WindowState(
      {
        version: 1,
        most_recent_date_seen: isoSeconds(from),
        watermark: from,
        floor: from,
        failures: {},
        set_aside: [],
      },
      {},
      overlapSeconds,
    );
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
    return Object.keys(this.content.failures).length;
  }

  get setAsideCount(): number {
    return this.content.set_aside.length;
  }

  /** Copies of `identity` at `second` the intake accepted. */
  acceptedCopies(second: number, identity: string): number {
    return this.accepted.get(second)?.get(identity) ?? 0;
  }

  recordAccepted(second: number, identity: string, copies: number): void {
    let inSecond = this.accepted.get(second);
    if (inSecond === undefined) {
      inSecond = new Map();
      this.accepted.set(second, inSecond);
    }
    if (copies > (inSecond.get(identity) ?? 0)) inSecond.set(identity, copies);
  }

  /** Everything before `time` was accepted: the watermark moves, and copies no request can return again are forgotten. */
  advanceTo(time: number): void {
    if (time <= this.content.watermark) return;
    this.content.watermark = time;
    this.content.most_recent_date_seen = isoSeconds(time);
    for (const key of Object.keys(this.content.failures))
      if (Number(key) < time) delete this.content.failures[key];
    this.forgetBefore(this.horizon);
  }

  /** A window that failed alone; true once it has failed `maxFailures` times and is set aside. */
  recordFailure(from: number, to: number, error: string, maxFailures: number, now: number): boolean {
    const key = String(from);
    const count = (this.content.failures[key]?.count ?? 0) + 1;
    if (count < maxFailures) {
      this.content.failures[key] = { count, error };
      return false;
    }
    delete this.content.failures[key];
    this.content.set_aside.push({ from, to, at: now, failures: count, error });
    return true;
  }

  /** Nothing older than PRA's retention can be asked for; old set-aside entries go too. */
  clampToRetention(now: number): void {
    this.raiseFloor(now - RETENTION_SECONDS);
  }

  toJSON(): WindowStateContent {
    const accepted: Record<string, Record<string, number>> = {};
    for (const [second, copies] of this.accepted) accepted[second] = Object.fromEntries(copies);
    return { ...this.content, accepted };
  }

  private raiseFloor(oldest: number): void {
    if (this.content.floor < oldest) this.content.floor = oldest;
    if (this.content.watermark < oldest) {
      this.content.watermark = oldest;
      this.content.most_recent_date_seen = isoSeconds(oldest);
    }
    this.content.set_aside = this.content.set_aside.filter((entry) => entry.at >= oldest);
    this.forgetBefore(this.horizon);
  }

  private forgetBefore(time: number): void {
    for (const second of this.accepted.keys()) if (second < time) this.accepted.delete(second);
  }
}

function isContent(saved: unknown): saved is WindowStateContent {
  if (!isRecord(saved)) return false;
  const candidate = saved as Partial<WindowStateContent>;
  return (
    candidate.version === 1 &&
    Number.isFinite(candidate.watermark) &&
    Number.isFinite(candidate.floor) &&
    isRecord(candidate.accepted) &&
    isRecord(candidate.failures) &&
    Array.isArray(candidate.set_aside)
  );
}
