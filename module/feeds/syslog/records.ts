/**
 * PRA's audit records out of the lines of its syslog: segments joined back into messages, one
 * record per message, with its event time.
 */
import {
  readArchiveBatches,
  type ArchiveWarning,
  type LineBatch,
  type RecordsForcedOutWarning,
} from './archive';
import { DEFAULT_HOLD_LIMITS, SegmentAssembler, type HoldLimits, type SyslogRecord } from './assembler';
import { parseSegment } from './segment';

export {
  ABANDONED_AFTER_SECONDS,
  DEFAULT_HOLD_LIMITS,
  MAX_RECORD_BYTES,
  type HoldLimits,
  type SyslogRecord,
} from './assembler';

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
  /** Archive members not read because their content had been read already in another member. */
  membersDuplicate: number;
  /** Archive members read despite a fault of theirs (sizes that disagree, NUL bytes). */
  membersRepaired: number;
  recordsComplete: number;
  recordsIncomplete: number;
  /** Of the incomplete records, those emitted early because too much was held (HoldLimits). */
  recordsForcedOut: number;
  /**
   * Records still waiting for segments when the archive ended, not emitted: the sender is probably
   * writing them, and the next download of the whole archive will hold them whole.
   */
  recordsPendingAtEnd: number;
  /** Most bytes held at once by records waiting for segments (HoldLimits.maxPendingBytes counts them). */
  peakPendingBytes: number;
  /** Most records waiting for segments at once. */
  peakPendingRecords: number;
  /** Reading stopped before the archive's end, as `running` asked. */
  stopped: boolean;
}

export interface SyslogReadOptions {
  /**
   * Asked before each chunk of a member is read (every 64 KiB at most): once it answers false, the
   * records end there, as if the archive ended (counts.stopped tells). The collector passes its
   * `running()`, so that SIGTERM takes effect within milliseconds whatever the archive holds.
   */
  readonly running?: () => boolean;
  /** The same, as an AbortSignal. */
  readonly signal?: AbortSignal;
  /** Bounds of what waits for segments; the defaults (DEFAULT_HOLD_LIMITS) suit the image. */
  readonly limits?: Partial<HoldLimits>;
}

/**
 * The records of the Syslog report at `path`, in the order their last segment was read. `counts`
 * fills as the records are read. Throws as readArchiveLines does; `onWarning` receives what the
 * archive reader skipped or repaired, and the records forced out by the limits.
 */
export function readSyslogReport(
  path: string,
  onWarning: (warning: ArchiveWarning) => void,
  options: SyslogReadOptions = {},
): { records: AsyncIterable<SyslogRecord>; counts: SyslogReadCounts } {
  const counts = newCounts();
  const running = (): boolean => {
    const go = options.signal?.aborted !== true && options.running?.() !== false;
    if (!go) counts.stopped = true;
    return go;
  };
  const batches = readArchiveBatches(path, {
    running,
    onWarning(warning) {
      countWarning(counts, warning);
      onWarning(warning);
    },
  });
  return { records: reassembleBatches(batches, counts, { onWarning, limits: options.limits }), counts };
}

/** Counts at zero, for a reassembleRecords of one's own lines. */
export function newCounts(): SyslogReadCounts {
  return {
    lines: 0,
    linesUnparsed: 0,
    linesSkipped: 0,
    membersSkipped: 0,
    membersCut: 0,
    membersDuplicate: 0,
    membersRepaired: 0,
    recordsComplete: 0,
    recordsIncomplete: 0,
    recordsForcedOut: 0,
    recordsPendingAtEnd: 0,
    peakPendingBytes: 0,
    peakPendingRecords: 0,
    stopped: false,
  };
}

function countWarning(counts: SyslogReadCounts, warning: ArchiveWarning): void {
  if (warning.kind === 'member-skipped') counts.membersSkipped++;
  else if (warning.kind === 'member-cut') counts.membersCut++;
  else if (warning.kind === 'member-duplicate') counts.membersDuplicate++;
  else if (warning.kind === 'member-repaired') counts.membersRepaired++;
  else if (warning.kind === 'line-skipped') counts.linesSkipped++;
}

export interface ReassemblyOptions {
  /** Receives a warning for each member in which records were forced out by the limits. */
  readonly onWarning?: (warning: RecordsForcedOutWarning) => void;
  readonly limits?: Partial<HoldLimits>;
}

/** Records out of syslog lines (bytes without the line end), counted in `counts`. */
export async function* reassembleRecords(
  lines: AsyncIterable<Buffer>,
  counts: SyslogReadCounts,
  options: ReassemblyOptions = {},
): AsyncGenerator<SyslogRecord, void, undefined> {
  async function* oneByOne(): AsyncGenerator<LineBatch, void, undefined> {
    for await (const line of lines) yield { member: '(lines)', lines: [line] };
  }
  yield* reassembleBatches(oneByOne(), counts, options);
}

/**
 * Records out of batches of lines. The lines of a batch are handled without awaiting, so that a
 * member of lines that are not records costs a loop, not a promise per line.
 */
async function* reassembleBatches(
  batches: AsyncIterable<LineBatch>,
  counts: SyslogReadCounts,
  options: ReassemblyOptions,
): AsyncGenerator<SyslogRecord, void, undefined> {
  const assembler = new SegmentAssembler(options.limits);
  const forcedOut = new ForcedOutNotes(assembler, { ...DEFAULT_HOLD_LIMITS, ...options.limits }, options);
  for await (const batch of batches) {
    forcedOut.enter(batch.member);
    for (const line of batch.lines) {
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
    copyStats(assembler, counts);
  }
  forcedOut.enter(undefined);
  copyStats(assembler, counts);
  counts.recordsPendingAtEnd = assembler.pendingCount;
}

function copyStats(assembler: SegmentAssembler, counts: SyslogReadCounts): void {
  counts.recordsForcedOut = assembler.stats.forcedOut;
  counts.peakPendingBytes = assembler.stats.peakPendingBytes;
  counts.peakPendingRecords = assembler.stats.peakPendingRecords;
}

/** One warning per member in which the limits forced records out, once the member is read. */
class ForcedOutNotes {
  private member: string | undefined;
  private before = 0;

  constructor(
    private readonly assembler: SegmentAssembler,
    private readonly limits: HoldLimits,
    private readonly options: ReassemblyOptions,
  ) {}

  /** The lines that follow are of `member` (undefined: there are no more). */
  enter(member: string | undefined): void {
    if (member === this.member) return;
    const forced = this.assembler.stats.forcedOut - this.before;
    if (forced > 0 && this.member !== undefined) this.warn(this.member, forced);
    this.member = member;
    this.before = this.assembler.stats.forcedOut;
  }

  private warn(member: string, forced: number): void {
    const mib = Math.round(this.limits.maxPendingBytes / (1024 * 1024));
    const message =
      `${member}: ${forced} records were forwarded incomplete, as received, before their last segment: ` +
      `more than ${this.limits.maxPendingRecords} messages (or ${mib} MiB) were waiting for segments at ` +
      'once, far more than an appliance writes at a time; the oldest went first. Check what wrote this file';
    this.options.onWarning?.({ kind: 'records-forced-out', member, records: forced, message });
  }
}
