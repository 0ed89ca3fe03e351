/**
 * In-memory PRA tenants behind the sources the cycles ask: sessions with listings and details, and
 * a timed activity log. Faults are set per item, as a real tenant's would be, or for the whole tenant.
 */
import type { TimedEvent } from '../../../module/engine/copy-ledger';
import type { TimeWindow } from '../../../module/engine/time-windows';
import type { WindowSource } from '../../../module/engine/window-cycle';
import { EventSerializer } from '../../../module/feeds/sessions/event-json';
import type { SerializedItem } from '../../../module/feeds/sessions/events';
import type { ListingWindow, SessionSource } from '../../../module/feeds/sessions/source';
import { shortDigest } from '../../../module/engine/identity';
import { PraError } from '../../../module/pra/errors';

export type FaultKind = 'http' | 'timeout' | 'parse';

function fault(kind: FaultKind, what: string): PraError {
  if (kind === 'timeout')
    return new PraError('transport', `${what} timed out`, { timedOut: true, code: 'ETIMEDOUT' });
  if (kind === 'parse') return new PraError('parse', `${what} is malformed`, { line: 1, column: 1 });
  return new PraError('http', `PRA answered HTTP 500 to ${what}`, { status: 500 });
}

export interface FakeSession {
  lsid: string;
  start: number;
  /** null while running. */
  end: number | null;
  events: number;
}

export class FakeSessionTenant implements SessionSource {
  readonly sessions = new Map<string, FakeSession>();
  readonly listings: ListingWindow[] = [];
  readonly fetches: string[][] = [];
  /** The windows asked for whole (closed sessions by window). */
  readonly closedFetches: TimeWindow[] = [];
  probes = 0;
  /** The whole tenant fails: listings, details and probes. */
  down = false;
  private readonly failing = new Map<string, { kind: FaultKind; times: number }>();

  add(session: FakeSession): FakeSession {
    this.sessions.set(session.lsid, session);
    return session;
  }

  /** Any detail request holding `lsid` fails `times` times (Infinity: always). */
  fail(lsid: string, kind: FaultKind = 'http', times = Infinity): void {
    this.failing.set(lsid, { kind, times });
  }

  /** Every event a full collection must deliver, as forwarded. */
  expected(): string[] {
    return [...this.sessions.values()].flatMap((session) => eventsOf(session).map((item) => item.json));
  }

  async list(window: ListingWindow): Promise<string[]> {
    if (this.down) throw fault('http', 'AccessSessionListing');
    this.listings.push(window);
    return [...this.sessions.values()]
      .filter((s) => {
        const at = window.field === 'start' ? s.start : s.end;
        return at !== null && at >= window.from && at <= (window.to ?? Infinity);
      })
      .map((s) => s.lsid);
  }

  async *fetch(lsids: string[]): AsyncGenerator<SerializedItem> {
    if (this.down) throw fault('http', 'AccessSession');
    this.fetches.push(lsids);
    yield* this.details(lsids);
  }

  private async *details(lsids: string[]): AsyncGenerator<SerializedItem> {
    for (const lsid of lsids) {
      const failure = this.failing.get(lsid);
      if (failure !== undefined && failure.times > 0) {
        failure.times -= 1;
        throw fault(failure.kind, 'AccessSession');
      }
    }
    for (const lsid of lsids) {
      const session = this.sessions.get(lsid);
      if (session === undefined) continue;
      yield* eventsOf(session);
      yield {
        kind: 'session',
        lsid,
        startTime: session.start,
        endTime: session.end,
        eventCount: session.events,
      };
    }
  }

  /** As PRA's `end_time` window: closed sessions that ended in it, bounds inclusive. */
  async *fetchClosed(window: TimeWindow): AsyncGenerator<SerializedItem> {
    if (this.down) throw fault('http', 'AccessSession');
    this.closedFetches.push(window);
    yield* this.details(this.endedIn(window).map((s) => s.lsid));
  }

  /** The sessions a window asked for whole holds. */
  endedIn(window: TimeWindow): FakeSession[] {
    return [...this.sessions.values()].filter(
      (s) => s.end !== null && s.end >= window.from && s.end <= Math.max(window.to, window.from + 1),
    );
  }

  async probe(): Promise<void> {
    this.probes += 1;
    if (this.down) throw fault('http', 'the probe');
  }
}

function eventsOf(session: FakeSession): Array<SerializedItem & { kind: 'event' }> {
  const serializer = new EventSerializer();
  return Array.from({ length: session.events }, (_, index) => {
    const item = serializer.serializeItem({
      kind: 'event',
      lsid: session.lsid,
      index,
      event: {
        timestamp: String(session.start + index),
        event_type: 'Chat Message',
        body: `${session.lsid} #${index}`,
        session_id: session.lsid,
      },
    });
    return item as SerializedItem & { kind: 'event' };
  });
}

/** A timed activity log, as PRA's Vault and Team reports hold one. */
export class FakeActivityTenant implements WindowSource {
  /** In time order, as the reports list them. */
  readonly events: Array<{ time: number; text: string }> = [];
  readonly windows: TimeWindow[] = [];
  probes = 0;
  down = false;
  /** Seconds PRA returns beyond each bound of a window: neither bound is exact. */
  slop = 0;
  private readonly failingSeconds = new Map<number, { kind: FaultKind; times: number }>();

  /** Adds events at `time`, in time order (a late arrival lands among the events of its second). */
  add(time: number, ...texts: string[]): void {
    for (const text of texts) {
      const at = this.events.findIndex((event) => event.time > time);
      this.events.splice(at < 0 ? this.events.length : at, 0, { time, text });
    }
  }

  /** Any window holding `second` fails `times` times (Infinity: always). */
  fail(second: number, kind: FaultKind = 'http', times = Infinity): void {
    this.failingSeconds.set(second, { kind, times });
  }

  expected(from = -Infinity): string[] {
    return this.events.filter((event) => event.time >= from).map((event) => event.text);
  }

  async *fetch(window: TimeWindow): AsyncGenerator<TimedEvent> {
    if (this.down) throw fault('http', 'the report');
    this.windows.push(window);
    const first = window.from - this.slop;
    const last = window.to + this.slop;
    for (const [second, failure] of this.failingSeconds) {
      if (second >= first && second <= last && failure.times > 0) {
        failure.times -= 1;
        throw fault(failure.kind, 'the report');
      }
    }
    for (const event of this.events) {
      if (event.time >= first && event.time <= last) {
        yield { time: event.time, identity: shortDigest(event.text), text: event.text };
      }
    }
  }

  async probe(): Promise<void> {
    this.probes += 1;
    if (this.down) throw fault('http', 'the probe');
  }
}
