/**
 * Joins the segments of each sender back into PRA's audit records, in memory bounded whatever the
 * archive holds, and in time that grows with its lines, not with their square.
 */
import { MinHeap } from './min-heap';
import { readWhen } from './payload';
import type { SyslogSegment } from './segment';

export interface SyslogRecord {
  /**
   * The message's payload: its segments joined exactly as they were cut, then decoded as UTF-8
   * with invalid bytes as U+FFFD.
   */
  readonly payload: string;
  /** The `when` field: the event time in unix seconds; undefined if absent or not a number. */
  readonly when: number | undefined;
  /**
   * False when segments are missing: the record stopped before its last segment (a new message
   * from its sender, a gap, a changed segment count, a sender silent since, too much held) or began
   * after its first.
   */
  readonly complete: boolean;
}

/**
 * A sender writes a message's segments one after the other, within milliseconds. A message that is
 * still waiting for segments when records this much newer have been written will never get them:
 * its sender stopped mid-message. It is emitted incomplete there, at the same place in every
 * download, rather than held as "still being written" until its file rotates away. This stays well
 * within the feed's overlap, so the record is still inside the window when it is emitted.
 */
export const ABANDONED_AFTER_SECONDS = 300;

/**
 * A record longer than this is cut there and emitted incomplete. PRA messages are a few KB; the
 * bound keeps a sender that never writes its last segment from growing memory.
 */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/**
 * What the records waiting for their next segment may hold at once. An appliance has a few dozen
 * senders with a message under way, of a few KB each; an archive past either bound is not PRA's
 * usual syslog, and the records that began first are emitted incomplete, as received. This happens
 * at the same line in every download of the same archive, so each is still forwarded once.
 *
 * The defaults keep everything held while reading an archive under 64 MiB, whatever it holds:
 * these 40 MiB, the untimed records waiting for a time (8 Mi characters, record-clock.ts), a line
 * (1 MiB, lines.ts), zlib's output (about 2 MiB, gunzip.ts) and the start of a member (4 KiB,
 * member-copies.ts). The image runs node with --max-old-space-size=256.
 */
export interface HoldLimits {
  /** Bytes of their segments, plus RECORD_OVERHEAD_BYTES for each record. */
  readonly maxPendingBytes: number;
  readonly maxPendingRecords: number;
}

export const DEFAULT_HOLD_LIMITS: HoldLimits = {
  maxPendingBytes: 40 * 1024 * 1024,
  maxPendingRecords: 10_000,
};

/** What a waiting record costs beside its bytes (its objects, its sender, its queue entries), rounded up. */
export const RECORD_OVERHEAD_BYTES = 512;
/** A segment's buffer holding little more than it (its line's header) is its line's own. */
const HEADER_ROOM_BYTES = 1024;

export interface AssemblerStats {
  /** Most bytes held at once by waiting records, as maxPendingBytes counts them, after each line. */
  peakPendingBytes: number;
  peakPendingRecords: number;
  /** Records emitted incomplete because a bound of HoldLimits was reached. */
  forcedOut: number;
  /** Entries of its lists visited: linear in the lines whatever they hold (the tests check it). */
  steps: number;
}

/** A message being joined: consecutive segments of one sender. */
interface PendingRecord {
  readonly sender: string;
  /** Rank among the records begun: the order of those emitted together, and of those forced out. */
  readonly order: number;
  readonly parts: Buffer[];
  bytes: number;
  readonly total: number;
  /** The index of the segment that continues it. */
  next: number;
  /** Whether it began with segment 1: the condition, with reaching `total`, of a complete record. */
  readonly fromFirst: boolean;
  /** Waiting for its next segment, not emitted yet. */
  held: boolean;
  /** Listed to be dated by the next timed record, its latest segment having come since. */
  undated: boolean;
  /** Its entry in the heap of dated records; undefined until dated. Other entries of it are stale. */
  dated: DatedEntry | undefined;
}

/** `since`: the `when` of the first timed record emitted after the record's latest segment. */
interface DatedEntry {
  readonly record: PendingRecord;
  readonly since: number;
}

/**
 * Joins the segments of each sender. A sender writes one message's segments in order before the
 * next message, so a segment that does not continue the sender's pending message (a new segment 1,
 * a gap, another total) ends that message: it is emitted incomplete, never glued to another. So
 * does a sender's silence (see ABANDONED_AFTER_SECONDS), and so does holding too much (HoldLimits).
 *
 * Emitted records can stay listed in `byAge`, `undated` and `dated` (they are skipped when met);
 * those lists are compacted when they outgrow twice the held records, so that they stay bounded and
 * their cost, shared among the lines that filled them, stays constant per line.
 */
export class SegmentAssembler {
  readonly stats: AssemblerStats = { peakPendingBytes: 0, peakPendingRecords: 0, forcedOut: 0, steps: 0 };
  private readonly limits: HoldLimits;
  private readonly pending = new Map<string, PendingRecord>();
  private pendingBytes = 0;
  private begun = 0;
  /** Held records in the order they began, from `byAgeHead`: the first held one is forced out first. */
  private byAge: PendingRecord[] = [];
  private byAgeHead = 0;
  private undated: PendingRecord[] = [];
  private readonly dated = new MinHeap<DatedEntry>(
    (a, b) => a.since < b.since || (a.since === b.since && a.record.order < b.record.order),
  );

  constructor(limits: Partial<HoldLimits> = {}) {
    this.limits = { ...DEFAULT_HOLD_LIMITS, ...limits };
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Bytes held now, as HoldLimits.maxPendingBytes counts them. */
  get heldBytes(): number {
    return this.pendingBytes;
  }

  /** The records this segment ends: the sender's interrupted one, its own, and any forced out. */
  add(segment: SyslogSegment): SyslogRecord[] {
    const finished: SyslogRecord[] = [];
    let record = this.pending.get(segment.sender);
    if (record !== undefined && !continues(record, segment)) {
      finished.push(this.emit(record, false));
      record = undefined;
    }
    record ??= this.begin(segment);
    if (segment.index < record.total) {
      this.hold(record, segment.payload);
      finished.push(...this.enforceLimits());
    } else {
      record.parts.push(segment.payload);
      finished.push(this.emit(record, record.fromFirst));
    }
    this.stats.peakPendingBytes = Math.max(this.stats.peakPendingBytes, this.pendingBytes);
    this.stats.peakPendingRecords = Math.max(this.stats.peakPendingRecords, this.pending.size);
    this.compact();
    return finished;
  }

  /**
   * The messages abandoned by the time a record dated `when` is emitted: those that have waited for
   * their next segment since more than ABANDONED_AFTER_SECONDS before it, in the order they began.
   * Messages not dated since their latest segment are dated `when`.
   */
  abandonedBy(when: number): SyslogRecord[] {
    for (const record of this.undated) {
      this.stats.steps++;
      if (record.held && record.undated) {
        record.dated = { record, since: when };
        this.dated.push(record.dated);
      }
      record.undated = false;
    }
    this.undated = [];
    const abandoned: PendingRecord[] = [];
    for (let top = this.dated.peek(); top !== undefined && when - top.since > ABANDONED_AFTER_SECONDS;) {
      this.stats.steps++;
      this.dated.pop();
      if (top.record.held && top.record.dated === top) abandoned.push(top.record);
      top = this.dated.peek();
    }
    this.compact();
    return abandoned.sort((a, b) => a.order - b.order).map((record) => this.emit(record, false));
  }

  private begin(segment: SyslogSegment): PendingRecord {
    return {
      sender: segment.sender,
      order: this.begun++,
      parts: [],
      bytes: 0,
      total: segment.total,
      next: segment.index,
      fromFirst: segment.index === 1,
      held: false,
      undated: false,
      dated: undefined,
    };
  }

  private hold(record: PendingRecord, payload: Buffer): void {
    // Kept beyond this line: a copy, so that the chunk the line is a view of can be freed; unless
    // the line has a buffer of its own (one joined from several chunks), which a copy would double.
    const ownBuffer = payload.buffer.byteLength <= payload.length + HEADER_ROOM_BYTES;
    record.parts.push(ownBuffer ? payload : Buffer.from(payload));
    record.bytes += payload.length;
    record.next++;
    this.pendingBytes += payload.length;
    if (!record.held) {
      record.held = true;
      this.pending.set(record.sender, record);
      this.byAge.push(record);
      this.pendingBytes += RECORD_OVERHEAD_BYTES;
    }
    // Its wait starts again from this segment.
    record.dated = undefined;
    if (!record.undated) {
      record.undated = true;
      this.undated.push(record);
    }
  }

  /** The records that began first, emitted until the held ones are within the limits again. */
  private enforceLimits(): SyslogRecord[] {
    const forced: SyslogRecord[] = [];
    while (
      this.pending.size > this.limits.maxPendingRecords ||
      this.pendingBytes > this.limits.maxPendingBytes
    ) {
      while (!this.byAge[this.byAgeHead].held) {
        this.stats.steps++;
        this.byAgeHead++;
      }
      forced.push(this.emit(this.byAge[this.byAgeHead], false));
      this.stats.forcedOut++;
    }
    return forced;
  }

  /** The record as emitted; it is no longer held, and its parts go (stale list entries stay small). */
  private emit(record: PendingRecord, complete: boolean): SyslogRecord {
    if (record.held) {
      record.held = false;
      this.pending.delete(record.sender);
      this.pendingBytes -= record.bytes + RECORD_OVERHEAD_BYTES;
    }
    const payload = (record.parts.length === 1 ? record.parts[0] : Buffer.concat(record.parts)).toString(
      'utf8',
    );
    record.parts.length = 0;
    return { payload, when: readWhen(payload), complete };
  }

  private compact(): void {
    const bound = 2 * this.pending.size + 64;
    // The whole list counts, the emitted records before byAgeHead included.
    if (this.byAge.length > bound) {
      this.stats.steps += this.byAge.length - this.byAgeHead;
      this.byAge = this.byAge.slice(this.byAgeHead).filter((record) => record.held);
      this.byAgeHead = 0;
    }
    if (this.undated.length > bound) {
      this.stats.steps += this.undated.length;
      this.undated = this.undated.filter((record) => record.held && record.undated);
    }
    if (this.dated.size > bound) {
      this.stats.steps += this.dated.size;
      this.dated.retain((entry) => entry.record.held && entry.record.dated === entry);
    }
  }
}

function continues(record: PendingRecord, segment: SyslogSegment): boolean {
  return (
    segment.index === record.next &&
    segment.total === record.total &&
    record.bytes + segment.payload.length <= MAX_RECORD_BYTES
  );
}
