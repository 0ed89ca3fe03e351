/**
 * One cycle of the session feed, window after window until now: each window is listed (ids are
 * cheap); one where many sessions ended (a catch-up, a busy minute) has them fetched whole, by
 * window (closed-windows.ts); the sessions tracked (new, running, failing) are fetched in `lsids`
 * batches. A session that started in one window of the walk and ended in a later one is fetched
 * with the later one's closed sessions, not by lsid before. Events are pushed as they are parsed,
 * and each session's progress committed once the intake accepted it.
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

/**
 * A window whose listing shows more sessions ended and not yet finished than this has them fetched
 * whole, by window: fewer cost two requests by lsids at the default batch size, and a steady cycle,
 * which lists a minute or so, keeps to listings and batches (where a session that breaks its reply
 * is isolated by id).
 */
const BY_WINDOW_ABOVE_SESSIONS = 100;

/** New sessions of a window's listings: closed in it, or started in it and not closed there. */
interface NewSessions {
  closed: string[];
  startedOnly: string[];
  /** Followed while they ran, and closed in it. */
  endedTracked: string[];
}

interface CycleCounts {
  listed: number;
}

export class SessionCycle implements FeedCycle {
  private readonly batchSize: AdaptiveSize;
  private readonly windowLength = listingWindowLength();
  /**
   * Events a closed piece aims at: halved after a timeout, grown back a cycle later; never under
   * 500, so that a slow PRA still gets pieces worth a request (a timeout within a window halves
   * that window's pieces on its own).
   */
  private readonly closedTargetEvents = new AdaptiveSize(CLOSED_WINDOW_TARGET_EVENTS, 500);
  /** Events per closed session fetched by window so far; a guess until the first piece is read. */
  private eventsPerSession = 100;
  private readonly failures: FailureCharger<string>;
  private readonly schedule: RunningSchedule;
  /** Sessions the closed listings of this cycle named: ended, so fetched now whatever their schedule. */
  private readonly endedNow = new Set<string>();
  /** Sessions started in an earlier window of this cycle, running or ended in a later one. */
  private readonly awaitingLaterWindow = new Set<string>();

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
    this.closedTargetEvents.nextCycle();
    this.endedNow.clear();
    this.awaitingLaterWindow.clear();
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
    this.schedule.cycleStarts(now);
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
   * shorter. A window of many newly closed sessions (a catch-up, a busy minute) has them fetched
   * whole, by window, first. True once the windows reach now.
   */
  private async listNextWindow(
    walker: WindowWalker,
    now: number,
    forwarder: Forwarder<SerializedItem, SessionReceipt>,
    counts: CycleCounts,
  ): Promise<boolean> {
    for (let window = walker.take(); window !== undefined; window = walker.take()) {
      const last = walker.reachesEnd(window);
      const listed = await this.listNew(window, last);
      if (listed === undefined) {
        walker.giveBack(window);
        continue;
      }
      // Only the followed ones need saying: a new session is due anyway (a catch-up lists millions).
      for (const lsid of listed.endedTracked) this.endedNow.add(lsid);
      const ended = listed.closed.length + listed.endedTracked.length;
      if (ended > BY_WINDOW_ABOVE_SESSIONS) await this.collectClosed(window, ended, now, forwarder);
      // Started here and not ended here: a later window of this cycle that lists them as closed
      // fetches them with its own, whole; what is still running by the last window is fetched then.
      if (last) this.awaitingLaterWindow.clear();
      else {
        this.forgetFinished(this.awaitingLaterWindow);
        for (const lsid of listed.startedOnly) this.awaitingLaterWindow.add(lsid);
      }
      this.forgetFinished(this.endedNow);
      for (const lsid of [...listed.closed, ...listed.startedOnly]) this.state.track(lsid, now);
      // The next window overlaps what PRA showed past the watermark, and what it showed twice is known.
      this.state.advanceTo(window.to, this.config.overlapSeconds);
      this.env.saveState();
      const fresh = listed.closed.length + listed.startedOnly.length;
      counts.listed += fresh;
      this.windowLength.afterReply(fresh, window.to - window.from);
      return last;
    }
    return true;
  }

  /** The sessions that ended in a window, whole, in pieces of a bounded number of events. */
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
      estimate: { sessions, eventsPerSession: this.eventsPerSession },
      targetEvents: this.closedTargetEvents.value,
      now,
      onSession: (end) => this.sessionRead(end, now),
    });
    await runWorkQueue(work, () => work.pieceSeconds, {
      running: () => this.env.running(),
      heartbeat: () => this.env.heartbeat(),
      onTimeout: () => {
        work.shrink();
        this.closedTargetEvents.shrink();
      },
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
    this.forgetFinished(fetched);
  }

  /**
   * The sessions of the window not yet known, or undefined when the window held too many (or its
   * listing was too large) and the length was shortened for it: the closed listing alone may say
   * so, before the started one is asked. The last window asks up to PRA's own now.
   */
  private async listNew(window: TimeWindow, last: boolean): Promise<NewSessions | undefined> {
    const span = window.to - window.from;
    const from = window.from - this.config.overlapSeconds;
    const listing = { from, to: last ? undefined : Math.max(window.to, from + 1) };
    const tooMany = (fresh: number): boolean => {
      if (fresh <= MAX_NEW_SESSIONS_PER_WINDOW || span <= 1) return false;
      this.windowLength.afterReply(fresh, span);
      return true;
    };
    try {
      const closed = await this.source.list({ field: 'end', ...listing });
      const listed: NewSessions = {
        closed: closed.filter((lsid) => this.state.isNew(lsid)),
        startedOnly: [],
        endedTracked: closed.filter((lsid) => this.state.tracked(lsid) !== undefined),
      };
      if (tooMany(listed.closed.length)) return undefined;
      if (!this.config.liveSessions) return listed;
      const ended = new Set(closed);
      const started = await this.source.list({ field: 'start', ...listing });
      listed.startedOnly = started.filter((lsid) => !ended.has(lsid) && this.state.isNew(lsid));
      return tooMany(listed.closed.length + listed.startedOnly.length) ? undefined : listed;
    } catch (error) {
      if (!(error instanceof PraError && error.kind === 'too_large' && span > 1)) throw error;
      this.windowLength.shrink(span);
      return undefined;
    }
  }

  /** What is no longer tracked cannot be asked for again: a catch-up's sets stay the size of a window. */
  private forgetFinished(lsids: Set<string>): void {
    for (const lsid of lsids) if (this.state.tracked(lsid) === undefined) lsids.delete(lsid);
  }

  /** Whether a tracked session is to be fetched now: not running, ended, or its schedule says so. */
  private isDue(lsid: string, now: number): boolean {
    if (this.endedNow.has(lsid)) return true;
    return !this.awaitingLaterWindow.has(lsid) && this.schedule.isDue(lsid, now);
  }

  private sessionRead(end: ReportSessionEnd, now: number): void {
    if (end.endTime === null) this.schedule.fetched(end.lsid, end.startTime, now);
    else this.schedule.forget(end.lsid);
  }
}
