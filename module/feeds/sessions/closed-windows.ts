/**
 * Closed sessions by window: for a window where many sessions ended (a catch-up), one AccessSession
 * request with `end_time` and `duration` returns every session that ended in it, whole, instead of
 * the sessions 50 at a time. The window is asked for in pieces of about the same number of events,
 * sized from the listing's count of sessions and the events per session seen so far, then following
 * the replies; one holding far too many is abandoned and asked for again shorter. A piece that
 * fails otherwise, or one second that still holds too many, is left to the window's listing: its
 * sessions are tracked and fetched in `lsids` batches, with their narrowing and set-aside.
 */
import type { CycleEnvironment } from '../../engine/feed';
import type { Forwarder } from '../../engine/forwarder';
import { splitWindow, type TimeWindow } from '../../engine/time-windows';
import type { Work } from '../../engine/work-queue';
import { PraError } from '../../pra/errors';
import type { ReportSessionEnd, SerializedItem } from './events';
import type { SessionReceipt } from './ledger';
import type { SessionSource } from './source';
import type { SessionFeedState } from './state';

/** Events a piece aims at: a few tens of thousands keep a reply's cost and its parse bounded. */
export const CLOSED_WINDOW_TARGET_EVENTS = 20_000;
/** Past this many events (an estimate gone far wrong) a reply is abandoned and asked for again shorter. */
const MAX_EVENTS_PER_CLOSED_WINDOW = 5 * CLOSED_WINDOW_TARGET_EVENTS;

export interface ClosedWindowsContext {
  env: CycleEnvironment;
  state: SessionFeedState;
  source: SessionSource;
  forwarder: Forwarder<SerializedItem, SessionReceipt>;
  /** Sessions the listing says ended in the window, and the events per session seen so far. */
  estimate: { sessions: number; eventsPerSession: number };
  /** Events a piece aims at: the target, less after a timeout. */
  targetEvents: number;
  now: number;
  onSession: (end: ReportSessionEnd) => void;
}

export class ClosedWindows implements Work<TimeWindow> {
  private cursor: number;
  private nextPieceSeconds: number;
  /** What the pieces read: the events per session of the rest of the window, and of the next one. */
  readonly read = { events: 0, sessions: 0 };

  constructor(
    private readonly window: TimeWindow,
    private readonly context: ClosedWindowsContext,
  ) {
    this.cursor = window.from;
    const { sessions, eventsPerSession } = context.estimate;
    this.nextPieceSeconds = this.fit(sessions * eventsPerSession);
  }

  /** How long the next piece is. */
  get pieceSeconds(): number {
    return this.nextPieceSeconds;
  }

  take(seconds: number): TimeWindow | undefined {
    if (this.cursor >= this.window.to) return undefined;
    const piece = { from: this.cursor, to: Math.min(this.window.to, this.cursor + seconds) };
    this.cursor = piece.to;
    return piece;
  }

  /** A piece timed out: the next ones are half as long. */
  shrink(): void {
    this.nextPieceSeconds = Math.max(1, Math.floor(this.nextPieceSeconds / 2));
  }

  /**
   * The length of a piece when the rest of the window holds `events`: whole pieces of about the
   * target each (rounded, so that 1.4 pieces' worth is asked for in one request, not two).
   */
  private fit(events: number): number {
    const pieces = Math.max(1, Math.round(events / this.context.targetEvents));
    return Math.max(1, Math.ceil((this.window.to - this.cursor) / pieces));
  }

  /**
   * Sessions already finished are not sent again; one forwarded in part while it ran sends its
   * remaining events. The watermark is the listing's to move, once the rest of its sessions are
   * tracked.
   */
  async fetch(window: TimeWindow): Promise<void> {
    const { env, state, forwarder, now } = this.context;
    const span = window.to - window.from;
    let events = 0;
    let sessions = 0;
    for await (const item of this.context.source.fetchClosed(window)) {
      state.track(item.lsid, now);
      if (item.kind === 'session') {
        sessions += 1;
        this.context.onSession(item);
      } else if (++events > MAX_EVENTS_PER_CLOSED_WINDOW && span > 1) {
        // At least that many: the piece is asked for again as long as should hold the target.
        this.nextPieceSeconds = Math.max(1, Math.floor((span * this.context.targetEvents) / events));
        throw new PraError(
          'too_large',
          `more than ${MAX_EVENTS_PER_CLOSED_WINDOW} events ended in one window`,
        );
      } else env.metrics.collectedEvents.inc();
      await forwarder.add(item);
      // On a stop, what was read is still pushed; the window is asked for again, from the watermark.
      if (!env.running()) return;
    }
    await forwarder.drain();
    this.read.events += events;
    this.read.sessions += sessions;
    // The rest of the window, as many sessions as the listing said are left, as big as those read.
    if (this.read.sessions > 0) {
      const left = this.context.estimate.sessions - this.read.sessions;
      this.nextPieceSeconds = this.fit((left * this.read.events) / this.read.sessions);
    }
  }

  remaining(window: TimeWindow): TimeWindow {
    return window;
  }

  /**
   * Only size is narrowed here: too many events, and the piece is asked for again as long as
   * should hold the target (the rest as the next piece); a timeout, in halves. Any other failure is
   * left to the listing at once.
   */
  split(window: TimeWindow, error: PraError): [TimeWindow, TimeWindow] | undefined {
    if (error.kind === 'too_large' && this.pieceSeconds < window.to - window.from) {
      const cut = window.from + this.pieceSeconds;
      return [
        { from: window.from, to: cut },
        { from: cut, to: window.to },
      ];
    }
    return error.kind === 'too_large' || error.timedOut ? splitWindow(window) : undefined;
  }

  /** The piece's sessions stay to the window's listing, which tracks them for the `lsids` batches. */
  charge(window: TimeWindow, error: PraError): boolean {
    this.context.env.log(
      `The sessions that ended from ${new Date(window.from * 1000).toISOString()} to ` +
        `${new Date(window.to * 1000).toISOString()} could not be fetched whole (${error.message}); ` +
        'they are asked for by id, in batches',
      'warning',
    );
    return true;
  }

  probe(): Promise<void> {
    return this.context.source.probe();
  }
}
