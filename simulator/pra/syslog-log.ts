/**
 * The appliance's syslog as files of lines: the current file and rotated ones, newest first. A record
 * is written as segments, one line each:
 *   `Dec  1 08:50:51 host BG[69065]: 1427:01:03:<payload bytes>`
 * (`BG:` without pid on older lines, sometimes no space after the colon). The number after the tag
 * is the site id, the same on every line; segments of one record share the pid, other pids' lines may
 * come between them, and a new `01` from a pid ends whatever that pid left unfinished.
 */
import { gzipSync } from 'node:zlib';

import type { SimSyslogRecord } from './feed-types';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3164 time: no year, no zone, day padded with a space. Written in UTC. */
export function syslogDate(at: number): string {
  const d = new Date(at * 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, ' ');
  return `${MONTHS[d.getUTCMonth()]} ${day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Where a segment's line is written from: `BG:` when `pid` is undefined, `noSpace` for `BG[pid]:1427`. */
export interface SegmentSource {
  host: string;
  pid: number | undefined;
  siteId: number;
  noSpace: boolean;
}

/**
 * What comes before the bytes of segment `index` (1-based) of `total`: `Dec  1 08:50:51 host
 * BG[69065]: 1427:01:03:`, the counters at least two digits wide.
 */
export function segmentHeader(at: number, source: SegmentSource, index: number, total: number): string {
  const width = Math.max(2, String(total).length);
  const tag = source.pid === undefined ? 'BG:' : `BG[${source.pid}]:`;
  return (
    `${syslogDate(at)} ${source.host} ${tag}${source.noSpace ? '' : ' '}${source.siteId}:` +
    `${String(index).padStart(width, '0')}:${String(total).padStart(width, '0')}:`
  );
}

/** A file of the log. A rotated file never changes again, so its bytes and gzip are computed once. */
export class SyslogFile {
  private lines: Buffer[] = [];
  private content?: Buffer;
  private gzip?: Buffer;
  private frozen = false;
  /** Records whose first segment is in this file: they are gone from the archive with it. */
  readonly starts: LoggedRecord[] = [];

  /** `mtime`: unix seconds of the last write, or of the creation while empty. */
  constructor(public mtime: number) {}

  append(line: Buffer, at: number): void {
    if (this.frozen) throw new Error('PRA simulator: a rotated syslog file was written to');
    this.lines.push(line);
    this.content = undefined;
    this.mtime = at;
  }

  freeze(): void {
    this.frozen = true;
  }

  bytes(): Buffer {
    this.content ??= Buffer.concat(this.lines);
    if (this.frozen) this.lines = [];
    return this.content;
  }

  gzipped(): Buffer {
    if (!this.frozen) throw new Error('PRA simulator: only a rotated syslog file is compressed');
    this.gzip ??= gzipSync(this.bytes());
    return this.gzip;
  }
}

export class LoggedRecord implements SimSyslogRecord {
  readonly when?: number;
  written = 0;
  state: SimSyslogRecord['state'] = 'pending';
  dropped = false;

  constructor(
    readonly payload: string,
    readonly segments: readonly Buffer[],
    readonly siteId: number,
    readonly pid: number | undefined,
    /** Write `BG[pid]:1427...` rather than `BG[pid]: 1427...`. */
    readonly noSpace: boolean,
    when: number | undefined,
  ) {
    if (when !== undefined) this.when = when;
  }
}

/** Cuts `bytes` into pieces of at most `size` bytes, each cut moved back to a UTF-8 character start. */
export function splitBySize(bytes: Buffer, size: number): Buffer[] {
  if (size < 4) throw new Error(`PRA simulator: segmentBytes ${size} cannot hold a UTF-8 character`);
  const pieces: Buffer[] = [];
  let start = 0;
  while (bytes.length - start > size) {
    let cut = start + size;
    // 10xxxxxx is a continuation byte: the character started before it.
    while ((bytes[cut] & 0xc0) === 0x80) cut--;
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Cuts `bytes` at these byte offsets, exactly, even inside a character. */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const offsets = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const bounds = [0, ...offsets, bytes.length];
  return bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end));
}

export class SyslogLog {
  readonly records: LoggedRecord[] = [];
  current: SyslogFile;
  /** Newest first. */
  readonly rotated: SyslogFile[] = [];
  /** The unfinished record of each pid (`BG` for lines without pid). */
  private readonly unfinished = new Map<string, LoggedRecord>();

  constructor(
    private readonly host: string,
    createdAt: number,
  ) {
    this.current = new SyslogFile(createdAt);
  }

  /** Starts a record: what its pid left unfinished is cut short for good. Writes `segments` of it. */
  add(record: LoggedRecord, segments: number, at: number): void {
    const key = pidKey(record);
    const before = this.unfinished.get(key);
    if (before) before.state = 'cut';
    this.unfinished.delete(key);
    this.records.push(record);
    this.current.starts.push(record);
    this.write(record, segments, at);
  }

  /** Writes the next `segments` of a pending record. */
  write(record: LoggedRecord, segments: number, at: number): void {
    if (record.state !== 'pending') {
      throw new Error(`PRA simulator: a ${record.state} syslog record cannot take more segments`);
    }
    const total = record.segments.length;
    const source = { host: this.host, pid: record.pid, siteId: record.siteId, noSpace: record.noSpace };
    const last = Math.min(total, record.written + Math.max(segments, 0));
    for (; record.written < last; record.written++) {
      const header = segmentHeader(at, source, record.written + 1, total);
      const line = Buffer.concat([Buffer.from(header), record.segments[record.written], Buffer.from('\n')]);
      this.current.append(line, at);
    }
    if (record.written === total) {
      record.state = 'complete';
      this.unfinished.delete(pidKey(record));
    } else {
      this.unfinished.set(pidKey(record), record);
    }
  }

  /** Moves the current file to the rotated ones, then drops the oldest beyond `keep`. */
  rotate(at: number, keep: number): void {
    this.current.freeze();
    this.rotated.unshift(this.current);
    this.current = new SyslogFile(at);
    while (this.rotated.length > Math.max(keep, 0)) {
      for (const record of this.rotated.pop()?.starts ?? []) record.dropped = true;
    }
  }
}

function pidKey(record: LoggedRecord): string {
  return record.pid === undefined ? 'BG' : String(record.pid);
}
