/**
 * Hostile Syslog archives at the reader, each generated here: whatever the archive holds, what the
 * reader keeps stays bounded and the other records go through; a bad member, or a bad line, costs
 * only itself; a stop takes effect within a chunk; content read once in an archive is not read
 * again. Every archive also reads the same twice: the copy ledger's exactly-once relies on it.
 */
import { gzipSync } from 'node:zlib';
import type { ArchiveWarning } from '../../../module/feeds/syslog/archive';
import {
  DEFAULT_HOLD_LIMITS,
  readSyslogReport,
  type SyslogReadCounts,
  type SyslogReadOptions,
  type SyslogRecord,
} from '../../../module/feeds/syslog/records';
import { TempDir } from '../../support/temp-file';
import { zipBytes, type ZipMember } from '../../support/zip-archive';
import {
  gzipMember,
  minute,
  recordLines,
  recordPayloads,
  renameEntry,
  repeatedGzip,
  segment,
  setListedFlags,
  setListedSizes,
  textMember,
} from '../feeds/syslog/helpers';

interface Read {
  records: SyslogRecord[];
  warnings: ArchiveWarning[];
  counts: SyslogReadCounts;
}

let dir: TempDir;
beforeEach(() => {
  dir = new TempDir();
});
afterEach(() => dir.remove());

async function read(path: string, options?: SyslogReadOptions): Promise<Read> {
  const warnings: ArchiveWarning[] = [];
  const report = readSyslogReport(path, (warning) => warnings.push(warning), options);
  const records: SyslogRecord[] = [];
  for await (const record of report.records) records.push(record);
  return { records, warnings, counts: report.counts };
}

/** Reads the archive twice: the same records in the same order each time, or the ledger would err. */
async function readTwice(path: string): Promise<Read> {
  const first = await read(path);
  expect((await read(path)).records).toStrictEqual(first.records);
  return first;
}

function write(bytes: Buffer): string {
  return dir.write('report.zip', bytes);
}

/** The payloads of the complete records. */
function complete(records: readonly SyslogRecord[]): string[] {
  return records.filter((record) => record.complete).map((record) => record.payload);
}

describe('what the reader holds is bounded whatever the archive holds', () => {
  it('forwards the complete records among 60,000 senders that each leave a first segment unfinished', async () => {
    const senders = 60_000;
    const lines: string[] = [];
    for (let i = 0; i < senders; i++) {
      lines.push(segment(1000 + i, 1, 2, `event=cut${i};`));
      if (i % 1000 === 0) lines.push(segment(1, 1, 1, `event=ok${i / 1000};when=1765443051`));
    }
    const {
      records: all,
      counts,
      warnings,
    } = await read(write(await zipBytes([textMember('syslog', lines)])));
    const limit = DEFAULT_HOLD_LIMITS.maxPendingRecords;
    expect(all.filter((record) => record.complete).map((record) => record.payload)).toStrictEqual(
      recordPayloads('ok', senders / 1000),
    );
    expect(counts.peakPendingRecords).toBe(limit);
    expect(counts.peakPendingBytes).toBeLessThanOrEqual(DEFAULT_HOLD_LIMITS.maxPendingBytes);
    expect(counts).toMatchObject({ recordsForcedOut: senders - limit, recordsPendingAtEnd: limit });
    // The oldest go first, once each, as received.
    const forced = all.filter((record) => !record.complete).map((record) => record.payload);
    expect(forced).toHaveLength(senders - limit);
    expect(forced.filter((payload, i) => payload !== `event=cut${i};`)).toStrictEqual([]);
    expect(warnings).toMatchObject([
      { kind: 'records-forced-out', member: 'syslog', records: senders - limit },
    ]);
    expect(warnings[0].message).toContain('syslog: 50000 records were forwarded incomplete');
  });

  it('forwards the complete records beside a few senders with 4 MB pending each, within the byte bound', async () => {
    const piece = 'p'.repeat(1_000_000);
    const lines: string[] = [];
    for (let sender = 0; sender < 16; sender++) {
      for (let index = 1; index <= 4; index++) lines.push(segment(100 + sender, index, 5, piece));
      lines.push(...recordLines(`beside${sender}-`, 2));
    }
    const { records: all, counts } = await read(write(await zipBytes([textMember('syslog', lines)])));
    expect(complete(all)).toStrictEqual(
      Array.from({ length: 16 }, (_, sender) => recordPayloads(`beside${sender}-`, 2)).flat(),
    );
    expect(counts.peakPendingBytes).toBeLessThanOrEqual(DEFAULT_HOLD_LIMITS.maxPendingBytes);
    expect(counts.recordsForcedOut).toBeGreaterThan(0);
    expect(counts.recordsForcedOut + counts.recordsPendingAtEnd).toBe(16);
    for (const record of all.filter((r) => !r.complete)) expect(record.payload).toBe(piece.repeat(4));
  });

  it('forces out the same records in every read of the same archive', async () => {
    const lines = Array.from({ length: DEFAULT_HOLD_LIMITS.maxPendingRecords + 500 }, (_, i) =>
      segment(1000 + i, 1, 3, `event=cut${i};when=${1_765_443_051 + (i % 7)};`),
    );
    const path = write(await zipBytes([textMember('syslog', [...lines, ...recordLines('last', 3)])]));
    const { counts } = await readTwice(path);
    expect(counts.recordsForcedOut).toBe(500);
  });
});

describe('a bad member costs only itself', () => {
  it('reads members whose names would be unsafe to extract to, named as the archive spells them', async () => {
    const zip = await zipBytes([
      textMember('AAAAAAAAAAA', recordLines('evil', 3), { mtime: minute(0) }),
      textMember('BBBBBBBBBBBBBBBBB', recordLines('absolute', 3), { mtime: minute(1) }),
      { name: 'CCCCCCCCCCC', content: 'BZh91AY&SY', mtime: minute(2) },
      textMember('syslog', recordLines('good', 10), { mtime: minute(3) }),
    ]);
    renameEntry(zip, 'AAAAAAAAAAA', '../etc/evil');
    renameEntry(zip, 'BBBBBBBBBBBBBBBBB', '/var/log/syslog.1');
    renameEntry(zip, 'CCCCCCCCCCC', 'x\n\u001b[2Jy.bz2');
    const { records: all, warnings } = await readTwice(write(zip));
    expect(all.map((record) => record.payload)).toStrictEqual([
      ...recordPayloads('evil', 3),
      ...recordPayloads('absolute', 3),
      ...recordPayloads('good', 10),
    ]);
    // A name cannot forge a log line or drive a terminal.
    expect(warnings).toMatchObject([{ kind: 'member-skipped', member: 'x\\u000a\\u001b[2Jy.bz2' }]);
    expect(warnings[0].message).toBe(
      'skipped x\\u000a\\u001b[2Jy.bz2: bzip2 data, only gzip and plain text are read',
    );
  });

  it.each([
    ['its data size too large', (real: number) => ({ compressed: real + 1000 })],
    ['its data size too small', (real: number) => ({ compressed: real - 10 })],
    ['its content size too large', (real: number) => ({ uncompressed: real + 5000 })],
    ['its content size too small', (real: number) => ({ uncompressed: real - 10 })],
    ['both sizes too large', (real: number) => ({ compressed: real + 1000, uncompressed: real + 1000 })],
  ])('reads a stored member whose listed sizes are wrong (%s) and the others', async (_what, sizes) => {
    // Last in the archive, its data runs up to the archive's list; otherwise up to the next member.
    for (const last of [false, true]) {
      const bad = textMember('syslog.1', recordLines('bad', 5), { compress: false });
      const good = textMember('syslog.2', recordLines('good', 10));
      const zip = await zipBytes(last ? [good, bad] : [bad, good]);
      setListedSizes(zip, 'syslog.1', sizes(Buffer.byteLength(bad.content as string)));
      const { records: all, warnings } = await readTwice(write(zip));
      expect(complete(all)).toStrictEqual([...recordPayloads('good', 10), ...recordPayloads('bad', 5)]);
      expect(warnings).toMatchObject([{ kind: 'member-repaired', member: 'syslog.1' }]);
      expect(warnings[0].message).toMatch(
        /^syslog\.1: the archive's list gives it \d+ bytes of data and \d+/,
      );
    }
  });

  it('reads the members listed before a corrupt entry of the list, and says the rest cannot be found', async () => {
    const zip = await zipBytes([
      textMember('syslog.2', recordLines('first', 3)),
      textMember('syslog.1', recordLines('lost', 3)),
      textMember('syslog', recordLines('lost too', 3)),
    ]);
    // "Strong encryption" ends yauzl's listing at this entry, before it even reads the name.
    setListedFlags(zip, 'syslog.1', 0x40);
    const { records: all, warnings } = await readTwice(write(zip));
    expect(complete(all)).toStrictEqual(recordPayloads('first', 3));
    expect(warnings).toMatchObject([{ kind: 'list-cut', listed: 1 }]);
    expect(warnings[0].message).toContain(
      'is corrupt after its entry 1 (strong encryption is not supported)',
    );
  });

  it('reads the lines after the NUL run an unclean shutdown leaves, in the file and its rotated copies', async () => {
    const run = Buffer.alloc(10_000);
    const member = (name: string, lines: string[], mtime: Date): ZipMember => ({
      name,
      content: Buffer.concat([
        Buffer.from(`${segment(2, 1, 1, 'event=half')}`),
        run,
        Buffer.from(lines.join('\n') + '\n'),
      ]),
      mtime,
    });
    const rotated = member('syslog.1', recordLines('older', 4), minute(0));
    const zip = await zipBytes([
      { ...rotated, name: 'syslog.2.gz', content: gzipSync(rotated.content as Buffer), mtime: minute(0) },
      member('syslog.1', recordLines('old', 4), minute(1)),
      member('syslog', recordLines('live', 4), minute(2)),
    ]);
    const { records: all, warnings } = await readTwice(write(zip));
    expect(complete(all)).toStrictEqual([
      ...recordPayloads('older', 4),
      ...recordPayloads('old', 4),
      ...recordPayloads('live', 4),
    ]);
    expect(warnings.map((warning) => [warning.kind, warning.member])).toStrictEqual([
      ['member-repaired', 'syslog.2.gz'],
      ['member-repaired', 'syslog.1'],
      ['member-repaired', 'syslog'],
    ]);
  });

  it('skips binary garbage line by line, a NUL byte early in the member included', async () => {
    const garbage = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251));
    const content = Buffer.concat([
      Buffer.from('\u0000\u0001\u0002 not text\n'),
      Buffer.from(recordLines('a', 2).join('\n') + '\n'),
      garbage,
      Buffer.from('\n' + recordLines('b', 2).join('\n') + '\n'),
    ]);
    const { records: all, counts } = await readTwice(write(await zipBytes([{ name: 'syslog', content }])));
    expect(complete(all)).toStrictEqual([...recordPayloads('a', 2), ...recordPayloads('b', 2)]);
    expect(counts.linesUnparsed).toBeGreaterThan(0);
    expect(counts).toMatchObject({ membersSkipped: 0, membersRepaired: 1 });
  });
});

describe('a stop takes effect within a chunk', () => {
  it('stops in a member of 64 MiB of lines that are not records', async () => {
    const zip = await zipBytes([
      { name: 'syslog.1.gz', content: repeatedGzip('not a PRA record\n', 64 * 1024 * 1024), compress: false },
      textMember('syslog', recordLines('after', 1)),
    ]);
    let asked = 0;
    const { records: all, counts } = await read(write(zip), { running: () => ++asked < 20 });
    expect(all).toStrictEqual([]);
    expect(counts.stopped).toBe(true);
    // 20 checks, a chunk of at most 64 KiB (inflated: 1 MiB held at most) between two.
    expect(counts.lines * 'not a PRA record\n'.length).toBeLessThan(20 * 1024 * 1024);
  });

  it('stops in a member of 1 GiB at an abort, with the records before it forwarded', async () => {
    const zip = await zipBytes([
      textMember('syslog.2', recordLines('before', 2), { mtime: minute(0) }),
      {
        name: 'syslog.1',
        content: repeatedGzip('x\n', 1024 * 1024 * 1024),
        compress: false,
        mtime: minute(1),
      },
      textMember('syslog', recordLines('after', 1), { mtime: minute(2) }),
    ]);
    const stop = new AbortController();
    const report = readSyslogReport(write(zip), () => undefined, { signal: stop.signal });
    const seen: string[] = [];
    for await (const record of report.records) {
      seen.push(record.payload);
      if (seen.length === 2) stop.abort();
    }
    expect(seen).toStrictEqual(recordPayloads('before', 2));
    expect(report.counts.stopped).toBe(true);
    expect(report.counts.lines).toBeLessThan(2 + 1024 * 1024);
  });
});

describe('content read once in an archive is not read again', () => {
  const content = recordLines('rotated', 500);

  it.each([
    ['the plain file older', minute(0), minute(1)],
    ['the gzip file older', minute(1), minute(0)],
  ])(
    'reads syslog.1 beside syslog.1.gz of the same content once (%s)',
    async (_what, plainTime, gzipTime) => {
      const zip = await zipBytes([
        textMember('syslog.1', content, { mtime: plainTime }),
        gzipMember('syslog.1.gz', content, { mtime: gzipTime }),
        textMember('syslog', recordLines('live', 2), { mtime: minute(2) }),
      ]);
      const { records: all, warnings, counts } = await readTwice(write(zip));
      expect(complete(all)).toStrictEqual([...recordPayloads('rotated', 500), ...recordPayloads('live', 2)]);
      const [first, second] =
        plainTime < gzipTime ? ['syslog.1', 'syslog.1.gz'] : ['syslog.1.gz', 'syslog.1'];
      expect(warnings).toStrictEqual([
        {
          kind: 'member-duplicate',
          member: second,
          original: first,
          message: `skipped ${second}: the same content as ${first}, which was read already; its lines would be read twice`,
        },
      ]);
      expect(counts.membersDuplicate).toBe(1);
    },
  );

  it('skips the start of a copy caught being written, its gzip data cut short', async () => {
    const whole = gzipSync(content.map((line) => `${line}\n`).join(''));
    const zip = await zipBytes([
      textMember('syslog.1', content, { mtime: minute(0) }),
      { name: 'syslog.1.gz', content: whole.subarray(0, whole.length / 2), mtime: minute(1) },
    ]);
    const { records: all, warnings } = await readTwice(write(zip));
    expect(complete(all)).toStrictEqual(recordPayloads('rotated', 500));
    expect(warnings).toMatchObject([
      { kind: 'member-duplicate', member: 'syslog.1.gz', original: 'syslog.1' },
    ]);
    expect(warnings[0].message).toContain('up to where it is corrupt or truncated, is the start of syslog.1');
  });

  it('reads both members when they start alike and differ later', async () => {
    const zip = await zipBytes([
      textMember('syslog.1', [...content, ...recordLines('only in plain', 2)], { mtime: minute(0) }),
      gzipMember('syslog.1.gz', [...content, ...recordLines('only in gzip', 2)], { mtime: minute(1) }),
    ]);
    const { records: all, warnings } = await readTwice(write(zip));
    expect(complete(all)).toStrictEqual([
      ...recordPayloads('rotated', 500),
      ...recordPayloads('only in plain', 2),
      ...recordPayloads('rotated', 500),
      ...recordPayloads('only in gzip', 2),
    ]);
    expect(warnings).toStrictEqual([]);
  });
});
