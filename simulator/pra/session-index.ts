/**
 * The tenant's sessions, kept so that a report costs O(log n + returned) whatever the tenant's size:
 * ordered by start time (the public `sessions` array itself), indexed by lsid and by end time. The
 * indexes only narrow the candidates; `viewAt` and `inWindow` still decide what a report shows.
 */
import { inWindow, viewAt, type ReportQuery, type ReportWindow } from './query';
import type { SessionView } from './render';
import type { SimSession } from './types';

/** A session and its arrival rank, which orders sessions that start in the same second. */
interface Entry {
  session: SimSession;
  arrival: number;
}

/** For entries of `byEnd`, which only holds sessions with an end time. */
function endOf(entry: Entry): number {
  return entry.session.endTime as number;
}

/** The order of `sessions`, and so of every report: start time, then arrival. */
function byReportOrder(a: Entry, b: Entry): number {
  return a.session.startTime - b.session.startTime || a.arrival - b.arrival;
}

/** The first index in [0, length) where `reached` holds, for a `reached` that never turns false again. */
function partitionPoint(length: number, reached: (i: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (reached(mid)) high = mid;
    else low = mid + 1;
  }
  return low;
}

export class SessionIndex {
  /** Ordered by start time, sessions starting in the same second in arrival order. */
  readonly sessions: SimSession[] = [];
  private readonly byLsid = new Map<string, Entry[]>();
  /** Sessions with an end time (even one still in the future), ordered by it. */
  private readonly byEnd: Entry[] = [];
  /** Sessions without an end time, the only ones that can still grow. */
  private readonly running = new Map<SimSession, Entry>();
  private arrivals = 0;

  /** `initial` must be ordered by start time already, as the generator makes it. */
  constructor(initial: SimSession[]) {
    for (const session of initial) {
      const entry = this.register(session);
      this.sessions.push(session);
      if (session.endTime !== null) this.byEnd.push(entry);
    }
    this.byEnd.sort((a, b) => endOf(a) - endOf(b));
  }

  /** Adds a session after those starting in the same second, as a tenant lists a newcomer. */
  add(session: SimSession): void {
    const entry = this.register(session);
    const start = session.startTime;
    this.sessions.splice(
      partitionPoint(this.sessions.length, (i) => this.sessions[i].startTime > start),
      0,
      session,
    );
    if (session.endTime !== null) this.insertByEnd(entry);
  }

  /** Records that `session` has just been given an end time. */
  ended(session: SimSession): void {
    const entry = this.running.get(session);
    if (!entry) return;
    this.running.delete(session);
    this.insertByEnd(entry);
  }

  /** The first session with that lsid in report order, if any. */
  find(lsid: string): SimSession | undefined {
    return this.byLsid.get(lsid)?.reduce((first, e) => (byReportOrder(e, first) < 0 ? e : first)).session;
  }

  /** Sessions without an end time, in report order. */
  runningSessions(): SimSession[] {
    return [...this.running.values()].sort(byReportOrder).map((e) => e.session);
  }

  /** The sessions a report returns at `now`, in report order (lsids in a request do not reorder them). */
  select(query: ReportQuery, now: number): SessionView[] {
    const views: SessionView[] = [];
    for (const session of this.candidates(query, now)) {
      const view = viewAt(session, now);
      if (view && (!query.window || inWindow(view, query.window))) views.push(view);
    }
    return views;
  }

  /** A superset of what `query` selects, in report order, found without scanning the tenant. */
  private candidates(query: ReportQuery, now: number): SimSession[] {
    if (query.lsids) {
      const entries = [...new Set(query.lsids)].flatMap((lsid) => this.byLsid.get(lsid) ?? []);
      return entries.sort(byReportOrder).map((e) => e.session);
    }
    if (query.window?.field === 'end') return this.endedWithin(query.window, now);
    // Only start windows are left (a query without window or lsids lists everything that started).
    const from = query.window?.from ?? -Infinity;
    const to = Math.min(query.window?.to ?? Infinity, now);
    const count = this.sessions.length;
    const low = partitionPoint(count, (i) => this.sessions[i].startTime >= from);
    const high = partitionPoint(count, (i) => this.sessions[i].startTime > to);
    return this.sessions.slice(low, Math.max(low, high));
  }

  /** Sessions whose end time lies in the window and has passed at `now`. */
  private endedWithin(window: ReportWindow, now: number): SimSession[] {
    const to = Math.min(window.to ?? Infinity, now);
    const count = this.byEnd.length;
    const low = partitionPoint(count, (i) => endOf(this.byEnd[i]) >= window.from);
    const high = partitionPoint(count, (i) => endOf(this.byEnd[i]) > to);
    return this.byEnd
      .slice(low, Math.max(low, high))
      .sort(byReportOrder)
      .map((e) => e.session);
  }

  private register(session: SimSession): Entry {
    const entry: Entry = { session, arrival: this.arrivals++ };
    const sameLsid = this.byLsid.get(session.lsid);
    if (sameLsid) sameLsid.push(entry);
    else this.byLsid.set(session.lsid, [entry]);
    if (session.endTime === null) this.running.set(session, entry);
    return entry;
  }

  private insertByEnd(entry: Entry): void {
    const end = endOf(entry);
    this.byEnd.splice(
      partitionPoint(this.byEnd.length, (i) => endOf(this.byEnd[i]) > end),
      0,
      entry,
    );
  }
}
