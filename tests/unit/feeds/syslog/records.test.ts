import {
  ABANDONED_AFTER_SECONDS,
  MAX_RECORD_BYTES,
  newCounts,
  reassembleRecords,
  readSyslogReport,
  type SyslogReadCounts,
  type SyslogRecord,
} from '../../../../module/feeds/syslog/records';
import type { ArchiveWarning } from '../../../../module/feeds/syslog/archive';
import { RECORD_OVERHEAD_BYTES } from '../../../../module/feeds/syslog/assembler';
import { collect } from '../../../support/async';
import { TempDir } from '../../../support/temp-file';
import { gzipMember, minute, segment, textMember } from './helpers';

/** A message cut into segments of `size` characters, all from `pid`. */
function segments(pid: number, payload: string, size: number): string[] {
  const pieces = payload.match(new RegExp(`[\\s\\S]{1,${size}}`, 'gu')) ?? [];
  return pieces.map((piece, i) => segment(pid, i + 1, pieces.length, piece));
}

async function* linesOf(lines: readonly (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const line of lines) yield Buffer.from(line);
}

async function reassemble(
  lines: readonly (string | Buffer)[],
): Promise<{ records: SyslogRecord[]; counts: SyslogReadCounts }> {
  const counts = newCounts();
  const records = await collect(reassembleRecords(linesOf(lines), counts));
  return { records, counts };
}

const LOGIN =
  'event=login;site=pra.example.com;when=1765443051;who=JOHN DOE (john.doe@example.org);who_ip=192.0.2.1';

describe('reassembly', () => {
  it('emits a single-segment record before the next line is read', async () => {
    let pulled = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for (const line of [segment(1, 1, 1, LOGIN), segment(1, 1, 1, 'event=logout;when=1')]) {
        pulled++;
        yield Buffer.from(line);
      }
    }
    const records = reassembleRecords(counted(), newCounts());
    const first = await records.next();
    expect(first.value).toStrictEqual({ payload: LOGIN, when: 1765443051, complete: true });
    expect(pulled).toBe(1);
    await records.return(undefined);
  });

  it('joins segments cut mid-key and mid-value exactly as they are', async () => {
    const lines = [
      segment(7, 1, 3, 'event=login;si'),
      segment(7, 2, 3, 'te=pra.example.com;when=17654'),
      segment(7, 3, 3, '43051;who=JOHN DOE (john.doe@example.org);who_ip=192.0.2.1'),
    ];
    const { records, counts } = await reassemble(lines);
    expect(records).toStrictEqual([{ payload: LOGIN, when: 1765443051, complete: true }]);
    expect(counts).toMatchObject({
      lines: 3,
      recordsComplete: 1,
      recordsIncomplete: 0,
      recordsPendingAtEnd: 0,
    });
  });

  it('keeps segments with spaces and separators at their edges', async () => {
    const payload = ' a=1 ; b= 2\\;; c=3 ';
    const { records } = await reassemble(segments(3, payload, 4));
    expect(records).toStrictEqual([{ payload, when: undefined, complete: true }]);
  });

  it('reassembles the interleaved messages of several pids of one site apart', async () => {
    const a = segments(100, `event=a;when=1;note=${'a'.repeat(30)}`, 10);
    const b = segments(200, `event=b;when=2;note=${'b'.repeat(30)}`, 10);
    const interleaved = a.flatMap((line, i) => [line, b[i]]).filter((line) => line !== undefined);
    const { records } = await reassemble(interleaved);
    expect(records.map((record) => [record.payload, record.complete])).toStrictEqual([
      [`event=a;when=1;note=${'a'.repeat(30)}`, true],
      [`event=b;when=2;note=${'b'.repeat(30)}`, true],
    ]);
  });

  it('tells senders apart by host and app tag as well as pid', async () => {
    const { records } = await reassemble([
      segment(5, 1, 2, 'from=pra;'),
      'Dec 11 08:50:51 other.example.com BG[5]: 1427:01:02:from=other;',
      'Dec 11 08:50:51 pra.example.com BGX[5]: 1427:01:01:from=tag',
      segment(5, 2, 2, 'when=1'),
      'Dec 11 08:50:51 other.example.com BG[5]: 1427:02:02:when=2',
    ]);
    expect(records.map((record) => record.payload)).toStrictEqual([
      'from=tag',
      'from=pra;when=1',
      'from=other;when=2',
    ]);
  });

  it('emits a record interrupted by a new segment 01 once, incomplete, and reads the new one whole', async () => {
    const { records, counts } = await reassemble([
      segment(9, 1, 3, 'event=first;'),
      segment(9, 2, 3, 'when=1;'),
      segment(9, 1, 2, 'event=second;'),
      segment(9, 2, 2, 'when=2'),
    ]);
    expect(records).toStrictEqual([
      { payload: 'event=first;when=1;', when: 1, complete: false },
      { payload: 'event=second;when=2', when: 2, complete: true },
    ]);
    expect(counts).toMatchObject({ recordsComplete: 1, recordsIncomplete: 1 });
  });

  it('does not glue the segments on either side of a missing segment', async () => {
    const { records } = await reassemble([
      segment(9, 1, 4, 'event=x;'),
      segment(9, 2, 4, 'when=5;'),
      segment(9, 4, 4, 'tail=1'),
      segment(9, 1, 1, 'event=next;when=6'),
    ]);
    expect(records).toStrictEqual([
      { payload: 'event=x;when=5;', when: 5, complete: false },
      { payload: 'tail=1', when: undefined, complete: false },
      { payload: 'event=next;when=6', when: 6, complete: true },
    ]);
  });

  it('ends a record whose segment count changes, incomplete', async () => {
    const { records } = await reassemble([
      segment(9, 1, 3, 'a=1;'),
      segment(9, 2, 4, 'b=2;'),
      segment(9, 3, 4, 'c=3;'),
      segment(9, 4, 4, 'd=4'),
    ]);
    expect(records).toStrictEqual([
      { payload: 'a=1;', when: undefined, complete: false },
      { payload: 'b=2;c=3;d=4', when: undefined, complete: false },
    ]);
  });

  it('does not emit a record still incomplete at the end, and counts it', async () => {
    const { records, counts } = await reassemble([
      segment(1, 1, 1, 'event=done;when=1'),
      segment(2, 1, 3, 'event=pending;'),
      segment(2, 2, 3, 'when=2;'),
      segment(3, 2, 2, 'orphan tail'),
      segment(4, 1, 2, 'also pending'),
    ]);
    expect(records.map((record) => record.payload)).toStrictEqual(['event=done;when=1', 'orphan tail']);
    expect(counts).toMatchObject({ recordsComplete: 1, recordsIncomplete: 1, recordsPendingAtEnd: 2 });
  });

  it('emits once, incomplete, a record whose sender stopped while records five minutes newer were written', async () => {
    const later = 1000 + ABANDONED_AFTER_SECONDS + 1;
    const { records, counts } = await reassemble([
      segment(1, 1, 1, 'event=before;when=1000'),
      segment(2, 1, 3, 'event=cut;when=1000;'),
      segment(2, 2, 3, 'who=x'),
      segment(3, 1, 1, 'event=next;when=1000'),
      segment(3, 1, 1, `event=later;when=${later}`),
      segment(3, 1, 1, `event=last;when=${later + 1}`),
    ]);
    expect(records.map((record) => [record.payload, record.complete])).toStrictEqual([
      ['event=before;when=1000', true],
      ['event=next;when=1000', true],
      ['event=cut;when=1000;who=x', false],
      [`event=later;when=${later}`, true],
      [`event=last;when=${later + 1}`, true],
    ]);
    expect(counts).toMatchObject({ recordsComplete: 4, recordsIncomplete: 1, recordsPendingAtEnd: 0 });
  });

  it('holds a record as still being written while the records after it are less than five minutes newer', async () => {
    const { records, counts } = await reassemble([
      segment(2, 1, 2, 'event=writing;'),
      segment(3, 1, 1, 'event=a;when=1000'),
      segment(3, 1, 1, `event=b;when=${1000 + ABANDONED_AFTER_SECONDS}`),
    ]);
    expect(records.map((record) => record.payload)).toStrictEqual([
      'event=a;when=1000',
      `event=b;when=${1000 + ABANDONED_AFTER_SECONDS}`,
    ]);
    expect(counts.recordsPendingAtEnd).toBe(1);
  });

  it('dates a silent sender from its latest segment, not its first', async () => {
    const { records } = await reassemble([
      segment(2, 1, 3, 'event=slow;'),
      segment(3, 1, 1, 'event=a;when=1000'),
      segment(2, 2, 3, 'when=1000;'),
      segment(3, 1, 1, `event=b;when=${1001 + ABANDONED_AFTER_SECONDS}`),
      segment(2, 3, 3, 'who=y'),
    ]);
    expect(records.map((record) => [record.payload, record.complete])).toStrictEqual([
      ['event=a;when=1000', true],
      [`event=b;when=${1001 + ABANDONED_AFTER_SECONDS}`, true],
      ['event=slow;when=1000;who=y', true],
    ]);
  });

  it('keeps identical payloads as two records', async () => {
    const { records } = await reassemble([segment(1, 1, 1, LOGIN), segment(1, 1, 1, LOGIN)]);
    expect(records).toStrictEqual([
      { payload: LOGIN, when: 1765443051, complete: true },
      { payload: LOGIN, when: 1765443051, complete: true },
    ]);
  });

  it(`cuts a record over ${MAX_RECORD_BYTES} bytes there, incomplete`, async () => {
    const piece = 'p'.repeat(1024 * 1024);
    const lines = Array.from({ length: 5 }, (_, i) => segment(1, i + 1, 5, piece));
    const { records } = await reassemble(lines);
    expect(records.map((record) => [record.payload.length, record.complete])).toStrictEqual([
      [4 * piece.length, false],
      [piece.length, false],
    ]);
  });
});

describe('syslog header', () => {
  it('reads the older form without a pid', async () => {
    const { records } = await reassemble([
      segment(undefined, 1, 2, 'event=old;'),
      segment(undefined, 2, 2, 'when=3'),
    ]);
    expect(records).toStrictEqual([{ payload: 'event=old;when=3', when: 3, complete: true }]);
  });

  it('reads a header without a space after the colon, and a day padded with a space', async () => {
    const { records } = await reassemble([
      'Dec 11 08:50:51 pra BG[1]:1427:01:01:event=a;when=1',
      'Dec  1 08:50:51 pra BG:1427:01:01:event=b;when=2',
      '2025-12-11T08:50:51.123456+00:00 pra BG[2]: 1427:01:01:event=c;when=3',
    ]);
    expect(records.map((record) => record.payload)).toStrictEqual([
      'event=a;when=1',
      'event=b;when=2',
      'event=c;when=3',
    ]);
  });

  it('uses the number after the tag as a site id, never as a message key', async () => {
    const { records } = await reassemble([
      'Dec 11 08:50:51 pra BG[1]: 1427:01:02:a=',
      'Dec 11 08:50:51 pra BG[1]: 1428:02:02:1',
    ]);
    expect(records).toStrictEqual([{ payload: 'a=1', when: undefined, complete: true }]);
  });

  it('counts and skips lines that are not PRA audit messages', async () => {
    const { records, counts } = await reassemble([
      'Dec 11 08:50:51 pra kernel: eth0 link up',
      'Dec 11 08:50:51 pra BG[1]: 1427:03:02:index above total',
      'Dec 11 08:50:51 pra BG[1]: 1427:00:02:index zero',
      'not syslog at all',
      '',
      segment(1, 1, 1, 'event=ok;when=1'),
    ]);
    expect(records).toHaveLength(1);
    expect(counts).toMatchObject({ lines: 6, linesUnparsed: 5 });
  });
});

describe('payload text', () => {
  it('decodes non-ASCII payloads, a character cut between two segments included', async () => {
    const payload = Buffer.from('who=Jürgen Müller 東京 🚀;when=7', 'utf8');
    const cut = payload.indexOf(Buffer.from('東')) + 1;
    const header = (index: number): Buffer => Buffer.from(`Dec 11 08:50:51 pra BG[1]: 1427:0${index}:02:`);
    const { records } = await reassemble([
      Buffer.concat([header(1), payload.subarray(0, cut)]),
      Buffer.concat([header(2), payload.subarray(cut)]),
    ]);
    expect(records).toStrictEqual([{ payload: 'who=Jürgen Müller 東京 🚀;when=7', when: 7, complete: true }]);
  });

  it('replaces invalid UTF-8 with U+FFFD and keeps the rest', async () => {
    const line = Buffer.concat([
      Buffer.from('Dec 11 08:50:51 pra BG[1]: 1427:01:01:who=a'),
      Buffer.from([0xff, 0xc3]),
      Buffer.from('b;when=8'),
    ]);
    const { records } = await reassemble([line]);
    expect(records).toStrictEqual([{ payload: 'who=a\uFFFD\uFFFDb;when=8', when: 8, complete: true }]);
  });
});

describe('a Syslog report', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = new TempDir();
  });
  afterEach(() => dir.remove());

  it('reads records across a rotation, and counts what the archive reader skipped', async () => {
    const path = await dir.writeZip('report.zip', [
      textMember('syslog', [segment(4, 3, 3, 'c=3'), segment(5, 1, 1, 'event=live;when=9'), 'x'.repeat(10)], {
        mtime: minute(2),
      }),
      gzipMember('syslog.1.gz', [segment(4, 1, 3, 'a=1;'), segment(4, 2, 3, 'b=2;')], { mtime: minute(1) }),
      { name: 'syslog.2.bz2', content: 'BZh91AY&SY', mtime: minute(0) },
    ]);
    const warnings: ArchiveWarning[] = [];
    const report = readSyslogReport(path, (warning) => warnings.push(warning));
    expect(await collect(report.records)).toStrictEqual([
      { payload: 'a=1;b=2;c=3', when: undefined, complete: true },
      { payload: 'event=live;when=9', when: 9, complete: true },
    ]);
    expect(warnings.map((warning) => warning.member)).toStrictEqual(['syslog.2.bz2']);
    expect(report.counts).toStrictEqual({
      lines: 5,
      linesUnparsed: 1,
      linesSkipped: 0,
      membersSkipped: 1,
      membersCut: 0,
      membersDuplicate: 0,
      membersRepaired: 0,
      recordsComplete: 2,
      recordsIncomplete: 0,
      recordsForcedOut: 0,
      recordsPendingAtEnd: 0,
      peakPendingBytes: 'a=1;b=2;'.length + RECORD_OVERHEAD_BYTES,
      peakPendingRecords: 1,
      stopped: false,
    });
  });
});
