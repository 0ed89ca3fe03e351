/**
 * One cycle of a feed whose report covers a time window: ask for the windows from a little before
 * the watermark up to now, in pieces, forward what each reply holds that the intake has not
 * accepted yet, and move the watermark past each piece once its last push is accepted.
 */
import { PraError } from '../pra/errors';
import { CopyLedger, type CopyReceipt, type TimedEvent } from './copy-ledger';
import type { CycleEnvironment, FeedCycle } from './feed';
import { runCycle } from './delivery';
import type { Forwarder } from './forwarder';
import { FailureCharger } from './failure-charger';
import { isoSeconds } from './python-checkpoint';
import type { TimedEventsState } from './timed-events-state';
import { splitWindow, WindowLength, WindowWalker, type TimeWindow } from './time-windows';
import { runWorkQueue, type Work, type WorkQueueHooks } from './work-queue';

/** What a windowed feed needs of PRA; the cycle's tests give it an in-memory one. */
export interface WindowSource {
  /** The report's events of `window`, as they are parsed (neither bound of PRA's window is exact). */
  fetch(window: TimeWindow): AsyncIterable<TimedEvent>;
  /** A cheap request that throws when PRA does not answer normally. */
  probe(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * Past this many events a reply is abandoned and its window asked for in halves, so that the state
 * and the cost of saving it stay bounded whatever a burst brings (what was forwarded is not sent again).
 */
export const MAX_EVENTS_PER_WINDOW = 20_000;
/** Cycles a one-second window may fail, alone, before it is set aside so that later events flow. */
export const MAX_WINDOW_FAILURES = 5;

/**
 * 5,000 events a window: its copies are what the state holds until the window is passed. Windows
 * start at an hour and grow to a week, so a quiet tenant's 90-day catch-up takes about a dozen
 * requests.
 */
function reportWindowLength(): WindowLength {
  return new WindowLength({ firstSeconds: 3600, maxSeconds: 7 * 86_400, targetItems: 5000 });
}

export class WindowCycle implements FeedCycle {
  private readonly length = reportWindowLength();

  constructor(
    private readonly env: CycleEnvironment,
    private readonly state: TimedEventsState,
    private readonly source: WindowSource,
    /** The report, for logs: "VaultAccountActivity". */
    private readonly report: string,
  ) {}

  async run(): Promise<void> {
    const ledger = new CopyLedger(this.state);
    await runCycle(this.env, {
      clamp: (now) => this.state.clampToRetention(now),
      ledger,
      collect: (forwarder, now) =>
        runWorkQueue(
          new ReportWindows(
            now,
            this.env,
            this.state,
            ledger,
            forwarder,
            this.source,
            this.length,
            this.report,
          ),
          () => this.length.seconds,
          this.queueHooks(),
        ),
      summary: (forwarded) => {
        if (ledger.untimedEvents > 0) {
          this.env.log(
            `${ledger.untimedEvents} ${this.report} events without a usable timestamp were not forwarded`,
            'warning',
          );
        }
        if (forwarded === 0) return undefined;
        return `Cycle done: ${forwarded} events forwarded; everything before ${isoSeconds(this.state.watermark)} is collected`;
      },
    });
  }

  close(): Promise<void> {
    return this.source.close?.() ?? Promise.resolve();
  }

  /**
   * The work queue's hooks for one cycle. The first window narrowed down is said at once: finding
   * the failing second may take a dozen requests, and a slow or trickling reply each of them.
   */
  private queueHooks(): WorkQueueHooks {
    let narrowed = false;
    return {
      running: () => this.env.running(),
      heartbeat: () => this.env.heartbeat(),
      onTimeout: () => this.length.shrink(),
      onNarrowed: (error) => {
        if (narrowed) return;
        narrowed = true;
        this.env.log(
          `A ${this.report} request failed; asking for its window in halves, down to one second if needed: ${error.message}`,
          'warning',
        );
      },
    };
  }
}

/** The windows from the horizon up to now as units of work, one report request each. */
class ReportWindows implements Work<TimeWindow> {
  private readonly walker: WindowWalker;
  private readonly failures: FailureCharger<TimeWindow>;

  constructor(
    now: number,
    private readonly env: CycleEnvironment,
    private readonly state: TimedEventsState,
    private readonly ledger: CopyLedger,
    private readonly forwarder: Forwarder<TimedEvent, CopyReceipt>,
    private readonly source: WindowSource,
    private readonly length: WindowLength,
    private readonly report: string,
  ) {
    this.walker = new WindowWalker(state.horizon, now, length);
    this.failures = windowFailureCharger(env, state, report);
  }

  take(seconds: number): TimeWindow | undefined {
    return this.walker.take(seconds);
  }

  async fetch(window: TimeWindow): Promise<void> {
    this.ledger.beginReply(window);
    let events = 0;
    for await (const event of this.source.fetch(window)) {
      events += 1;
      if (events > MAX_EVENTS_PER_WINDOW && window.to - window.from > 1) {
        this.length.shrink();
        throw new PraError(
          'too_large',
          `the ${this.report} report holds more than ${MAX_EVENTS_PER_WINDOW} events from ${isoSeconds(window.from)} to ${isoSeconds(window.to)}`,
        );
      }
      this.env.metrics.collectedEvents.inc();
      await this.forwarder.add(event);
      // On a stop, what was read is still pushed; the window is read again next time, from the watermark.
      if (!this.env.running()) return;
    }
    this.ledger.completeBefore(window.to);
    this.length.afterReply(events, window.to - window.from);
  }

  /** All of it: what was already forwarded is recognised by its copies and not sent again. */
  remaining(window: TimeWindow): TimeWindow {
    return window;
  }

  split(window: TimeWindow): [TimeWindow, TimeWindow] | undefined {
    return splitWindow(window);
  }

  /**
   * One second of the report keeps failing while PRA answers: charged (see windowFailureCharger).
   * PRA's window end is inclusive, so a one-second window holds the next second too: the culprit
   * may be that one, which is then retried, and set aside, on its own. A window the watermark has
   * passed (re-read only for late events) never blocks.
   */
  charge(window: TimeWindow, error: PraError): boolean {
    if (window.to <= this.state.watermark) {
      this.env.log(
        `The ${this.report} report from ${span(window)}, read again for late events, failed (${error.message}); skipped`,
        'warning',
      );
      return true;
    }
    const setAside = this.failures.charge(window, error.message);
    if (setAside) this.ledger.completeBefore(window.to);
    return setAside;
  }

  probe(): Promise<void> {
    return this.source.probe();
  }
}

function span(window: TimeWindow): string {
  return `${isoSeconds(window.from)} to ${isoSeconds(window.to)}`;
}

/**
 * A failing window is retried on later cycles, and later windows wait for it, so that the watermark
 * and the state stay where they are; after MAX_WINDOW_FAILURES cycles it is set aside (its events
 * are lost, and said so) rather than blocking the feed forever.
 */
function windowFailureCharger(
  env: CycleEnvironment,
  state: TimedEventsState,
  report: string,
): FailureCharger<TimeWindow> {
  const book = {
    recordFailure: (window: TimeWindow, error: string, max: number, now: number) =>
      state.recordFailure(window.from, window.to, error, max, now),
  };
  return new FailureCharger(
    env,
    book,
    {
      retried: (window, reason) =>
        `The ${report} report from ${span(window)} failed (${reason}); it will be asked again next cycle`,
      setAside: (window, reason, maxFailures) =>
        `The ${report} report from ${span(window)} failed ${maxFailures} cycles in a row and is set aside: its events ` +
        `are not forwarded, later ones go on. Last error: ${reason}`,
    },
    MAX_WINDOW_FAILURES,
  );
}
