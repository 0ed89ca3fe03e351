/**
 * One cycle of the session feed, window after window until now: each window is listed (ids are
 * cheap); a past one holding many new sessions (a catch-up) has its closed sessions fetched whole,
 * by window (closed-windows.ts); the sessions tracked (new, running, failing) are fetched in `lsids`
 * batches. Events are pushed as they are parsed, and each session's progress committed once the
 * intake accepted it.
 */
import type { FailureCharger } from '../../engine/failure-charger';
import type { CycleEnvironment, FeedCycle } from '../../engine/feed';
import { runCycle } from '../../engine/delivery';
import type { Forwarder } from '../../engine/forwarder';
import { WindowLength, WindowWalker, type TimeWindow } from '../../engine/time-windows';
import { AdaptiveSize, runWorkQueue } from '../../engine/work-queue';
import { PraError } from '../../pra/errors';
import type { ReportSessionEnd, SerializedItem } from './events';
import { sessionFailureCharger, SessionBatches, setAsideUnusable } from './batches';
import { SessionLedger, type SessionReceipt } from './ledger';
import { ClosedWindows, CLOSED_WINDOW_TARGET_EVENTS } from './closed-windows';
import { RunningSchedule } from './running-schedule';
import type { SessionSource } from './source';
import type { SessionFeedState } from './state';
import type { SessionsConfig } from './config';

/**
 * New sessions one listing may bring before its window is asked for again in halves: the tracked
 * set, the state file and the cost of saving it stay this small whatever the backlog (a first start
 * with a long look-back, days of outage on a busy tenant).
 */
export const MAX_NEW_SESSIONS_PER_WINDOW = 5000;
/** No new window is listed while this many sessions are still tracked (failing ones, long running ones). */
export const MAX_TRACKED = 2 * MAX_NEW_SESSIONS_PER_WINDOW;

/**
 * Listing windows start at an hour and grow no longer than a day, so that a burst after a quiet
 * spell costs one oversized listing at most (a listing is held whole, about 60 bytes a session).
 */
function listingWindowLength(): WindowLength {
  return new WindowLength({
    firstSeconds: 3600,
    maxSeconds: 86_400,
    targetItems: MAX_NEW_SESSIONS_PER_WINDOW,
  });
}

/** Closed windows start at an hour and grow to a day, their replies aiming at a few tens of thousands of events. */
function closedWindowLength(): WindowLength {
  return new WindowLength({
    firstSeconds: 3600,
    maxSeconds: 86_400,
    targetItems: CLOSED_WINDOW_TARGET_EVENTS,
  });
}

/**
 * A past window whose listing brings more new sessions than this has its closed sessions fetched
 * whole, by window: fewer cost two requests by lsids at the default batch size, and a steady cycle,
 * which lists a minute or so, keeps to listings and batches (where a session that breaks its reply
 * is isolated by id).
 */
const BY_WINDOW_ABOVE_SESSIONS = 100;

interface CycleCounts {
  listed: number;
}

export class SessionCycle implements FeedCycle {
  private readonly batchSize: AdaptiveSize;
  private readonly windowLength = listingWindowLength();
  private readonly closedLength = closedWindowLength();
  /** Events per closed session fetched by window so far; a guess until the first piece is read. */
  private eventsPerSession = 100;
  private readonly failures: FailureCharger<string>;
  private readonly schedule: RunningSchedule;
  /** Sessions the closed listings of this cycle named: ended, so fetched now whatever their schedule. */
  private endedNow = new Set<string>();

  constructor(
    private readonly env: CycleEnvironment,
    private readonly config: SessionsConfig,
    private readonly state: SessionFeedState,
    private readonly source: SessionSource & { close?(): Promise<void> },
  ) {
    this.batchSize = new AdaptiveSize(config.sessionsPerRequest);
    this.failures = sessionFailureCharger(env, state, config.maxSessionFailures);
    this.schedule = new RunningSchedule(config.frequencySeconds, config.runningSessionMaxDelaySeconds);
  }

  async run(): Promise<void> {
    this.batchSize.nextCycle();
    this.endedNow = new Set();
    const counts: CycleCounts = { listed: 0 };
    await runCycle(this.env, {
      clamp: (now) => {
        for (const lsid of this.state.clampToRetention(now)) {
          this.env.log(`Session ${lsid} given up: it is older than PRA's 90-day retention`, 'warning');
        }
      },
      ledger: new SessionLedger(this.state, (message) => this.env.log(message, 'warning')),
      collect: (forwarder, now) => this.collect(now, forwarder, counts),
      summary: (forwarded) =>
        counts.listed > 0 || forwarded > 0
          ? `Cycle done: ${counts.listed} new sessions listed, ${forwarded} events forwarded, ` +
            `${this.state.trackedCount} sessions still followed or pending`
          : undefined,
    });
  }

  close(): Promise<void> {
    return this.source.close?.() ?? Promise.resolve();
  }

  /** Window after window: the tracked sessions are fetched before the next window is listed. */
  private async collect(
    now: number,
    forwarder: Forwarder<SerializedItem, SessionReceipt>,
    counts: CycleCounts,
  ): Promise<void> {
    const fetched = new Set<string>();
    const walker = new WindowWalker(Math.min(this.state.watermark, now), now, this.windowLength, {
      atLeastOne: true,
    });
    let caughtUp = false;
    // At least one window a cycle, whatever is tracked: the sessions tracked are fetched in it, and
    // so get their chance to finish or to be set aside.
    do {
      caughtUp = await this.listNextWindow(walker, now, forwarder, counts);
      await this.fetchTracked(now, forwarder, fetched);
    } while (!caughtUp && this.env.running() && this.state.trackedCount < MAX_TRACKED);
  }

  /**
   * Lists the sessions of the next window (and the overlap before it), then tracks the new ones and
   * moves the watermark to the window's end at once: a failing session never holds it back, since
   * it stays tracked. A window with too many new sessions is given back, to be asked again
   * shorter. A past window with many new sessions (a catch-up) has its closed ones fetched whole,
   * by window, first: they are finished then, and only the rest (running, in the overlap) is
   * tracked. True once the windows reach now.
   */
  private async listNextWindow(
    walker: WindowWalker,
    now: number,
    forwarder: Forwarder<SerializedItem, SessionReceipt>,
    counts: CycleCounts,
  ): Promise<boolean> {
    // No window straddles the overlap before now: what is past can be fetched whole, by window.
    const pastEnd = now - this.config.overlapSeconds;
    const next = (): TimeWindow | undefined =>
      walker.take(
        walker.position < pastEnd
          ? Math.min(this.windowLength.seconds, pastEnd - walker.position)
          : this.windowLength.seconds,
      );
    for (let window = next(); window !== undefined; window = next()) {
      const fresh = await this.listNew(window, walker.reachesEnd(window));
      if (fresh === undefined) {
        walker.giveBack(window);
        continue;
      }
      const past = window.to <= pastEnd;
      if (past && fresh.length > BY_WINDOW_ABOVE_SESSIONS) {
        await this.collectClosed(window, fresh.length, now, forwarder);
      }
      for (const lsid of fresh) this.state.track(lsid, now);
      // The next window overlaps what PRA showed past the watermark, and what it showed twice is known.
      this.state.advanceTo(window.to, this.config.overlapSeconds);
      this.env.saveState();
      counts.listed += fresh.length;
      this.windowLength.afterReply(fresh.length, window.to - window.from);
      return walker.reachesEnd(window);
    }
    return true;
  }

  /** The closed sessions of a past window, whole, in pieces of a bounded number of events. */
  private async collectClosed(
    window: TimeWindow,
    sessions: number,
    now: number,
    forwarder: Forwarder<SerializedItem, SessionReceipt>,
  ): Promise<void> {
    const work = new ClosedWindows(window, {
      env: this.env,
      state: this.state,
      source: this.source,
      forwarder,
      length: this.closedLength,
      // As many sessions as should hold the target, by the events per session seen so far.
      firstSeconds: Math.max(
        1,
        Math.floor(
          ((window.to - window.from) * CLOSED_WINDOW_TARGET_EVENTS) / (this.eventsPerSession * sessions),
        ),
      ),
      now,
      onSession: (end) => this.sessionRead(end, now),
    });
    await runWorkQueue(work, () => this.closedLength.seconds, {
      running: () => this.env.running(),
      heartbeat: () => this.env.heartbeat(),
      onTimeout: () => this.closedLength.shrink(),
    });
    if (work.read.sessions > 0) this.eventsPerSession = Math.max(1, work.read.events / work.read.sessions);
  }

  /** The tracked sessions due now, in `lsids` batches, narrowed down when one fails. */
  private async fetchTracked(
    now: number,
    forwarder: Forwarder<SerializedItem, SessionReceipt>,
    fetched: Set<string>,
  ): Promise<void> {
    const due = this.state.trackedLsids.filter((lsid) => !fetched.has(lsid) && this.isDue(lsid, now));
    const pending = setAsideUnusable(due, this.failures);
    for (const lsid of pending) fetched.add(lsid);
    const batches = new SessionBatches(
      pending,
      this.env,
      this.state,
      this.source,
      forwarder,
      this.failures,
      () => this.batchSize.value,
      (end) => this.sessionRead(end, now),
    );
    try {
      await runWorkQueue(batches, () => this.batchSize.value, {
        running: () => this.env.running(),
        heartbeat: () => this.env.heartbeat(),
        onTimeout: () => this.batchSize.shrink(),
        onNarrowed: (error) =>
          this.env.log(
            `Detail request failed; asking for its sessions in smaller requests: ${error.message}`,
            'warning',
          ),
      });
    } finally {
      // A request opened ahead for a batch that will not come this time is closed now.
      this.source.cancelPrefetch?.();
    }
    // Sessions leave the tracked set only once committed: the bound on tracked sessions counts them right.
    await forwarder.drain();
    // What is no longer tracked cannot be asked for again: only the rest need remembering.
    for (const lsid of fetched) if (this.state.tracked(lsid) === undefined) fetched.delete(lsid);
  }

  /**
   * The sessions of the window not yet known, or undefined when the window held too many (or its
   * listing was too large) and the length was shortened for it. The last window asks up to PRA's
   * own now.
   */
  private async listNew(window: TimeWindow, last: boolean): Promise<string[] | undefined> {
    const span = window.to - window.from;
    const start = window.from - this.config.overlapSeconds;
    let listed: string[];
    try {
      listed = await this.listWindow(start, last ? undefined : Math.max(window.to, start + 1));
    } catch (error) {
      if (!(error instanceof PraError && error.kind === 'too_large' && span > 1)) throw error;
      this.windowLength.shrink(span);
      return undefined;
    }
    const fresh = listed.filter((lsid) => this.state.isNew(lsid));
    if (fresh.length <= MAX_NEW_SESSIONS_PER_WINDOW || span <= 1) return fresh;
    this.windowLength.afterReply(fresh.length, span);
    return undefined;
  }

  /** Whether a tracked session is to be fetched now: not running, ended, or its schedule says so. */
  private isDue(lsid: string, now: number): boolean {
    return this.endedNow.has(lsid) || this.schedule.isDue(lsid, now);
  }

  private sessionRead(end: ReportSessionEnd, now: number): void {
    if (end.endTime === null) this.schedule.fetched(end.lsid, end.startTime, now);
    else this.schedule.forget(end.lsid);
  }

  /** Closed sessions that ended in the window and, following running sessions, those that started in it. */
  private async listWindow(from: number, to: number | undefined): Promise<string[]> {
    const closed = await this.source.list({ field: 'end', from, to });
    // Only the followed ones need saying: a new session is due anyway (a catch-up lists millions).
    for (const lsid of closed) if (this.state.tracked(lsid) !== undefined) this.endedNow.add(lsid);
    if (!this.config.liveSessions) return closed;
    const started = await this.source.list({ field: 'start', from, to });
    return [...new Set([...closed, ...started])];
  }
}
