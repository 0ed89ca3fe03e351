/**
 * Closed sessions by window: for time wholly in the past (a catch-up), one AccessSession request
 * with `end_time` and `duration` returns every session that ended in the window, whole, instead of
 * a listing and then the sessions 50 at a time. A reply is kept to a bounded number of events by
 * the window's length; one holding too many is asked for in halves. A window that fails otherwise,
 * or one second that still holds too many, falls back to its listing and `lsids` batches, with their
 * narrowing and set-aside.
 */
import type { CycleEnvironment } from '../../engine/feed';
import type { Forwarder } from '../../engine/forwarder';
import { splitWindow, type TimeWindow, type WindowLength } from '../../engine/time-windows';
import type { Work } from '../../engine/work-queue';
import { PraError } from '../../pra/errors';
import type { ReportSessionEnd, SerializedItem } from './events';
import type { SessionReceipt } from './ledger';
import type { SessionSource } from './source';
import type { SessionsState } from './state';

/** Events a closed window aims at: a few tens of thousands keep a reply's cost and its parse bounded. */
export const CLOSED_WINDOW_TARGET_EVENTS = 20_000;
/** Past this many events a reply is abandoned and its window asked for in halves. */
export const MAX_EVENTS_PER_CLOSED_WINDOW = 2.5 * CLOSED_WINDOW_TARGET_EVENTS;

export interface ClosedWindowsContext {
  env: CycleEnvironment;
  state: SessionsState;
  source: SessionSource;
  forwarder: Forwarder<SerializedItem, SessionReceipt>;
  length: WindowLength;
  overlapSeconds: number;
  now: number;
  onSession: (end: ReportSessionEnd) => void;
  /** The window's sessions by listing, tracked for the `lsids` batches: what a failed window falls back to. */
  fallBack: (window: TimeWindow) => Promise<void>;
}

export class ClosedWindows implements Work<TimeWindow> {
  private next: TimeWindow | undefined;
  /** Sessions this walk brought for the first time. */
  newSessions = 0;

  constructor(
    window: TimeWindow,
    private readonly context: ClosedWindowsContext,
  ) {
    this.next = window;
  }

  take(): TimeWindow | undefined {
    const window = this.next;
    this.next = undefined;
    return window;
  }

  /**
   * Sessions already finished are not sent again; one forwarded in part while it ran sends its
   * remaining events. Once its pushes are accepted, the watermark passes the window.
   */
  async fetch(window: TimeWindow): Promise<void> {
    const { env, state, forwarder, length, now } = this.context;
    const span = window.to - window.from;
    let events = 0;
    for await (const item of this.context.source.fetchClosed(window)) {
      if (state.track(item.lsid, now)) this.newSessions += 1;
      if (item.kind === 'session') this.context.onSession(item);
      else if (++events > MAX_EVENTS_PER_CLOSED_WINDOW && span > 1) {
        length.shrink(span);
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
    state.advanceTo(window.to, this.context.overlapSeconds);
    env.saveState();
    length.afterReply(events, span);
  }

  remaining(window: TimeWindow): TimeWindow {
    return window;
  }

  /** Only size is narrowed here (too many events, a timeout); any other failure falls back at once. */
  split(window: TimeWindow, error: PraError): [TimeWindow, TimeWindow] | undefined {
    return error.kind === 'too_large' || error.timedOut ? splitWindow(window) : undefined;
  }

  async charge(window: TimeWindow, error: PraError): Promise<boolean> {
    this.context.env.log(
      `The sessions that ended from ${new Date(window.from * 1000).toISOString()} to ` +
        `${new Date(window.to * 1000).toISOString()} could not be fetched whole (${error.message}); ` +
        'asking for them by listing, in batches',
      'warning',
    );
    await this.context.fallBack(window);
    return true;
  }

  probe(): Promise<void> {
    return this.context.source.probe();
  }
}
