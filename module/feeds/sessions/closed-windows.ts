/**
 * Closed sessions by window: for a past window of many sessions (a catch-up), one AccessSession
 * request with `end_time` and `duration` returns every session that ended in it, whole, instead of
 * the sessions 50 at a time. The window is asked for in pieces whose length follows the replies, so
 * that a reply holds a bounded number of events; one holding too many is abandoned and asked for
 * again shorter. A piece that fails otherwise, or one second that still holds too many, is left to
 * the window's listing: its sessions are tracked and fetched in `lsids` batches, with their
 * narrowing and set-aside.
 */
import type { CycleEnvironment } from '../../engine/feed';
import type { Forwarder } from '../../engine/forwarder';
import { splitWindow, WindowWalker, type TimeWindow, type WindowLength } from '../../engine/time-windows';
import type { Work } from '../../engine/work-queue';
import { PraError } from '../../pra/errors';
import type { ReportSessionEnd, SerializedItem } from './events';
import type { SessionReceipt } from './ledger';
import type { SessionSource } from './source';
import type { SessionFeedState } from './state';

/** Events a closed window aims at: a few tens of thousands keep a reply's cost and its parse bounded. */
export const CLOSED_WINDOW_TARGET_EVENTS = 20_000;
/** Past this many events (a guess of the first piece gone far wrong) a reply is abandoned and asked for again shorter. */
export const MAX_EVENTS_PER_CLOSED_WINDOW = 5 * CLOSED_WINDOW_TARGET_EVENTS;

export interface ClosedWindowsContext {
  env: CycleEnvironment;
  state: SessionFeedState;
  source: SessionSource;
  forwarder: Forwarder<SerializedItem, SessionReceipt>;
  length: WindowLength;
  /** The first piece's length: what the listing's count of sessions says would hold the target. */
  firstSeconds: number;
  now: number;
  onSession: (end: ReportSessionEnd) => void;
}

export class ClosedWindows implements Work<TimeWindow> {
  private readonly pieces: WindowWalker;
  private first = true;
  /** What the pieces read, for the next window's estimate. */
  readonly read = { events: 0, sessions: 0 };

  constructor(
    window: TimeWindow,
    private readonly context: ClosedWindowsContext,
  ) {
    this.pieces = new WindowWalker(window.from, window.to, context.length);
  }

  take(seconds: number): TimeWindow | undefined {
    const piece = this.pieces.take(this.first ? Math.min(seconds, this.context.firstSeconds) : seconds);
    this.first = false;
    return piece;
  }

  /**
   * Sessions already finished are not sent again; one forwarded in part while it ran sends its
   * remaining events. The watermark is the listing's to move, once the rest of its sessions are
   * tracked.
   */
  async fetch(window: TimeWindow): Promise<void> {
    const { env, state, forwarder, length, now } = this.context;
    const span = window.to - window.from;
    let events = 0;
    for await (const item of this.context.source.fetchClosed(window)) {
      state.track(item.lsid, now);
      if (item.kind === 'session') {
        this.read.sessions += 1;
        this.context.onSession(item);
      } else if (++events > MAX_EVENTS_PER_CLOSED_WINDOW && span > 1) {
        // At least that many: the next piece aims at about half the target.
        length.afterReply(events, span);
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
    length.afterReply(events, span);
  }

  remaining(window: TimeWindow): TimeWindow {
    return window;
  }

  /**
   * Only size is narrowed here: too many events, and the piece is asked for again as long as the
   * length now says (the rest as the next piece); a timeout, in halves. Any other failure is left to
   * the listing at once.
   */
  split(window: TimeWindow, error: PraError): [TimeWindow, TimeWindow] | undefined {
    if (error.kind === 'too_large' && this.context.length.seconds < window.to - window.from) {
      const cut = window.from + this.context.length.seconds;
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
