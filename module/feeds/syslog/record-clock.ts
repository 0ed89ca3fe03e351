/**
 * Places syslog records in time for the copy ledger. A record's time is its `when` key. A record
 * without one (a record cut short before its `when` segment, or an event PRA logs without it) is
 * not dropped: it takes the time of the closest record before it in the archive, which stays the
 * same from one download to the next, so it is forwarded once like the others. Records before the
 * first timed one wait for it, up to a bound.
 */
import type { TimedEvent } from '../../engine/copy-ledger';
import { shortDigest } from '../../engine/identity';
import type { SyslogRecord } from './records';

/**
 * Syslog lines are written within seconds of their `when`; a record more than this behind the
 * newest ones is taken as disorder, and the watermark stays that far behind them.
 */
export const DISORDER_SECONDS = 60;
/** Untimed records held until the archive's first timed one; past it, they are counted, not forwarded. */
export const MAX_LEADING_UNTIMED = 1000;
/**
 * The same bound on their payloads' length: a record may be 4 MiB (MAX_RECORD_BYTES), and a
 * thousand of them would not fit in the image's heap.
 */
export const MAX_LEADING_UNTIMED_CHARS = 8 * 1024 * 1024;
/**
 * The watermark follows the oldest of the latest timed records, so that one odd `when` (a clock
 * jump, an event logged about the future) cannot pull it ahead of records still to come.
 */
export const RECENT_TIMES = 32;

export class RecordClock {
  /** Untimed records with no earlier timed record to take the time of. */
  unplaced = 0;
  private last: number | undefined;
  private leading: SyslogRecord[] = [];
  private leadingChars = 0;
  private readonly recent: number[] = [];

  /** `now`: the time no watermark may pass. */
  constructor(private readonly now: number) {}

  /** The events a record releases: none while it waits for a time, several once waiting ones get theirs. */
  place(record: SyslogRecord): TimedEvent[] {
    if (record.when === undefined) {
      if (this.last !== undefined) return [event(record, this.last)];
      this.holdUntimed(record);
      return [];
    }
    this.last = record.when;
    this.recent.push(record.when);
    if (this.recent.length > RECENT_TIMES) this.recent.shift();
    const waiting = this.leading.map((untimed) => event(untimed, record.when as number));
    this.leading = [];
    this.leadingChars = 0;
    return [...waiting, event(record, record.when)];
  }

  /** Characters of the payloads waiting for a time: at most MAX_LEADING_UNTIMED_CHARS. */
  get heldChars(): number {
    return this.leadingChars;
  }

  private holdUntimed(record: SyslogRecord): void {
    const chars = this.leadingChars + record.payload.length;
    if (this.leading.length < MAX_LEADING_UNTIMED && chars <= MAX_LEADING_UNTIMED_CHARS) {
      this.leading.push(record);
      this.leadingChars = chars;
    } else {
      this.unplaced += 1;
    }
  }

  /** Every record before this time has been read, as far as the archive's order tells; -Infinity before any. */
  get readBefore(): number {
    if (this.recent.length === 0) return -Infinity;
    return Math.min(this.now, Math.min(...this.recent) - DISORDER_SECONDS);
  }

  /** The archive ended: what still waits for a time will not get one. */
  finish(): void {
    this.unplaced += this.leading.length;
    this.leading = [];
    this.leadingChars = 0;
  }
}

function event(record: SyslogRecord, time: number): TimedEvent {
  return { time, identity: shortDigest(record.payload), text: record.payload };
}
