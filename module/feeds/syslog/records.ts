/**
 * PRA's audit records out of the lines of its syslog: segments joined back into messages, one
 * record per message, with its event time.
 */
import { readArchiveLines, type ArchiveWarning } from './archive';
import { readWhen } from './payload';
import { parseSegment, type SyslogSegment } from './segment';

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
   * from its sender, a gap, a changed segment count, a sender silent since) or began after its first.
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

/** What a read went through; final once the records are exhausted. */
export interface SyslogReadCounts {
  lines: number;
  /** Lines that are not PRA audit messages, skipped. */
  linesUnparsed: number;
  /** Lines skipped by the archive reader: too long, or without a line end. */
  linesSkipped: number;
  /** Archive members not read at all: directories, encrypted, not gzip or text. */
  membersSkipped: number;
  /** Archive members whose data broke off: read up to the break. */
  membersCut: number;
  recordsComplete: number;
  recordsIncomplete: number;
  /**
   * Records still waiting for segments when the archive ended, not emitted: the sender is probably
   * writing them, and the next download of the whole archive will hold them whole.
   */
  recordsPendingAtEnd: number;
}

/**
 * A record longer than this is cut there and emitted incomplete. PRA messages are a few KB; the
 * bound keeps a sender that never writes its last segment from growing memory.
 */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/**
 * The records of the Syslog report at `path`, in the order their last segment was read. `counts`
 * fills as the records are read. Throws as readArchiveLines does; `onWarning` receives what the
 * archive reader skipped.
 */
export function readSyslogReport(
  path: string,
  onWarning: (warning: ArchiveWarning) => void,
): { records: AsyncIterable<SyslogRecord>; counts: SyslogReadCounts } {
  const counts = newCounts();
  const lines = readArchiveLines(path, {
    onWarning(warning) {
      if (warning.kind === 'member-skipped') counts.membersSkipped++;
      else if (warning.kind === 'member-cut') counts.membersCut++;
      else counts.linesSkipped++;
      onWarning(warning);
    },
  });
  return { records: reassembleRecords(lines, counts), counts };
}

/** Counts at zero, for a reassembleRecords of one's own lines. */
export function newCounts(): SyslogReadCounts {
  return {
    lines: 0,
    linesUnparsed: 0,
    linesSkipped: 0,
    membersSkipped: 0,
    membersCut: 0,
    recordsComplete: 0,
    recordsIncomplete: 0,
    recordsPendingAtEnd: 0,
  };
}

/** Records out of syslog lines (bytes without the line end), counted in `counts`. */
export async function* reassembleRecords(
  lines: AsyncIterable<Buffer>,
  counts: SyslogReadCounts,
): AsyncGenerator<SyslogRecord, void, undefined> {
  const assembler = new SegmentAssembler();
  for await (const line of lines) {
    counts.lines++;
    const segment = parseSegment(line);
    if (segment === undefined) {
      counts.linesUnparsed++;
      continue;
    }
    for (const record of assembler.add(segment)) {
      if (record.when !== undefined) {
        for (const abandoned of assembler.abandonedBy(record.when)) {
          counts.recordsIncomplete++;
          yield abandoned;
        }
      }
      if (record.complete) counts.recordsComplete++;
      else counts.recordsIncomplete++;
      yield record;
    }
  }
  counts.recordsPendingAtEnd = assembler.pendingCount;
}

/** A message being joined: consecutive segments of one sender. */
interface PendingRecord {
  readonly parts: Buffer[];
  bytes: number;
  readonly total: number;
  /** The index of the segment that continues it. */
  next: number;
  /** Whether it began with segment 1: the condition, with reaching `total`, of a complete record. */
  readonly fromFirst: boolean;
  /**
   * The `when` of the first timed record emitted after its latest segment was read: how old the
   * message is by the archive's own clock. Undefined until such a record comes.
   */
  waitingSince: number | undefined;
}

/**
 * Joins the segments of each sender. A sender writes one message's segments in order before the
 * next message, so a segment that does not continue the sender's pending message (a new segment 1,
 * a gap, another total) ends that message: it is emitted incomplete, never glued to another. So
 * does a sender's silence: see ABANDONED_AFTER_SECONDS.
 */
class SegmentAssembler {
  private readonly pending = new Map<string, PendingRecord>();

  get pendingCount(): number {
    return this.pending.size;
  }

  /** The records this segment finishes, oldest first: at most two. */
  add(segment: SyslogSegment): SyslogRecord[] {
    const finished: SyslogRecord[] = [];
    let record = this.pending.get(segment.sender);
    if (record === undefined || !continues(record, segment)) {
      if (record !== undefined) finished.push(toRecord(record, false));
      record = {
        parts: [],
        bytes: 0,
        total: segment.total,
        next: segment.index,
        fromFirst: segment.index === 1,
        waitingSince: undefined,
      };
    }
    record.waitingSince = undefined;
    record.next++;
    record.bytes += segment.payload.length;
    if (record.next <= record.total) {
      // Kept beyond this line: a copy, so that the chunk the line is a view of can be freed.
      record.parts.push(Buffer.from(segment.payload));
      this.pending.set(segment.sender, record);
    } else {
      record.parts.push(segment.payload);
      this.pending.delete(segment.sender);
      finished.push(toRecord(record, record.fromFirst));
    }
    return finished;
  }

  /**
   * The messages abandoned by the time a record dated `when` is emitted: those that have waited for
   * their next segment since more than ABANDONED_AFTER_SECONDS before it, removed and returned
   * incomplete, in the order they began. Messages not dated yet are dated `when`.
   */
  abandonedBy(when: number): SyslogRecord[] {
    const abandoned: SyslogRecord[] = [];
    for (const [sender, record] of this.pending) {
      record.waitingSince ??= when;
      if (when - record.waitingSince > ABANDONED_AFTER_SECONDS) {
        this.pending.delete(sender);
        abandoned.push(toRecord(record, false));
      }
    }
    return abandoned;
  }
}

function continues(record: PendingRecord, segment: SyslogSegment): boolean {
  return (
    segment.index === record.next &&
    segment.total === record.total &&
    record.bytes + segment.payload.length <= MAX_RECORD_BYTES
  );
}

function toRecord(record: PendingRecord, complete: boolean): SyslogRecord {
  const payload = (record.parts.length === 1 ? record.parts[0] : Buffer.concat(record.parts)).toString(
    'utf8',
  );
  return { payload, when: readWhen(payload), complete };
}
