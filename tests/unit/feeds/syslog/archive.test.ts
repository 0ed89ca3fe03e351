import fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import { MAX_MEMBERS, readArchiveLines } from '../../../../module/feeds/syslog/archive';
import { MAX_LINE_BYTES } from '../../../../module/feeds/syslog/lines';
import { PraError } from '../../../../module/pra/errors';
import { eventually } from '../../../support/async';
import { TempDir } from '../../../support/temp-file';
import { zipBytes, type ZipMember } from '../../../support/zip-archive';
import { gzipMember, minute, readLines, readMembers, textMember } from './helpers';

describe('member content', () => {
  it('decompresses gzip members, named .gz or not', async () => {
    const { lines, warnings } = await readMembers([
      gzipMember('syslog.2.gz', ['from .gz'], { mtime: minute(0) }),
      gzipMember('syslog.1', ['gzip without the extension'], { mtime: minute(1) }),
      textMember('syslog', ['plain'], { mtime: minute(2) }),
    ]);
    expect(warnings).toStrictEqual([]);
    expect(lines).toStrictEqual(['from .gz', 'gzip without the extension', 'plain']);
  });

  it('reads a gzip file made of several gzip streams, as gunzip does', async () => {
    const content = Buffer.concat([gzipSync('first\n'), gzipSync('second\n')]);
    const { lines, warnings } = await readMembers([{ name: 'syslog.1.gz', content }]);
    expect(warnings).toStrictEqual([]);
    expect(lines).toStrictEqual(['first', 'second']);
  });

  it('reads members stored without ZIP compression', async () => {
    const { lines } = await readMembers([
      gzipMember('syslog.1.gz', ['stored gzip'], { compress: false, mtime: minute(0) }),
      textMember('syslog', ['stored text'], { compress: false, mtime: minute(1) }),
    ]);
    expect(lines).toStrictEqual(['stored gzip', 'stored text']);
  });

  it('keeps the lines before a corrupt gzip stream, warns naming the member, and reads the next members', async () => {
    // A valid gzip stream, then one whose deflate data is garbage.
    const valid = Array.from({ length: 3000 }, (_, i) => `kept ${String(i).padStart(5, '0')}`);
    const corrupt = Buffer.concat([
      gzipSync(valid.map((line) => `${line}\n`).join('')),
      Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0xff, 0xff, 0xff, 0xff]),
    ]);
    const { lines, warnings } = await readMembers([
      { name: 'syslog.2.gz', content: corrupt, mtime: minute(0) },
      textMember('syslog.1', ['next member'], { mtime: minute(1) }),
    ]);
    const kept = lines.slice(0, -1);
    expect(lines[lines.length - 1]).toBe('next member');
    expect(kept).toStrictEqual(valid.slice(0, kept.length));
    // zlib drops what it decompressed in the call that found the corruption: at most 16 KiB.
    expect(kept.length * 'kept 00000\n'.length).toBeGreaterThanOrEqual(valid.length * 11 - 16 * 1024);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ kind: 'member-cut', member: 'syslog.2.gz' });
    expect(warnings[0].message).toContain(`syslog.2.gz is corrupt or truncated after line ${kept.length}`);
  });

  it('drops the partial line of a truncated gzip member', async () => {
    const whole = gzipSync(`complete\n${'x'.repeat(100_000)}\n`, { level: 0 });
    const { lines, warnings } = await readMembers([
      { name: 'syslog.1.gz', content: whole.subarray(0, 50_000) },
      textMember('syslog', ['live']),
    ]);
    expect(lines).toStrictEqual(['complete', 'live']);
    expect(warnings).toMatchObject([{ kind: 'member-cut', member: 'syslog.1.gz' }]);
  });

  it('warns of a gzip member corrupt from its start and reads the next members', async () => {
    const garbage = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0xff, 0xff, 0xff, 0xff]);
    const { lines, warnings } = await readMembers([
      { name: 'syslog.1.gz', content: garbage, mtime: minute(0) },
      textMember('syslog', ['live'], { mtime: minute(1) }),
    ]);
    expect(lines).toStrictEqual(['live']);
    expect(warnings).toMatchObject([{ kind: 'member-cut', member: 'syslog.1.gz' }]);
    expect(warnings[0].message).toContain('syslog.1.gz is corrupt or truncated from its start');
  });

  it('reads a member up to corrupt ZIP data, warns naming it, and reads the next members', async () => {
    const valid = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${(i * 7919) % 10007}`);
    const zip = await zipBytes([
      textMember('syslog.1', valid, { mtime: minute(0) }),
      textMember('syslog', ['live'], { mtime: minute(1) }),
    ]);
    // The first entry's local header is at offset 0, its deflated data after the name and extra
    // field; garbage in the middle of the data.
    const dataStart = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
    const middle = dataStart + Math.floor((zip.indexOf('PK\x03\x04', dataStart) - dataStart) / 2);
    zip.fill(0xff, middle, middle + 64);
    const dir = new TempDir();
    try {
      const { lines, warnings } = await readLines(dir.write('report.zip', zip));
      expect(lines.slice(0, 5000)).toStrictEqual(valid.slice(0, 5000));
      expect(lines.length).toBeLessThan(valid.length);
      expect(lines[lines.length - 1]).toBe('live');
      expect(warnings).toMatchObject([{ kind: 'member-cut', member: 'syslog.1' }]);
    } finally {
      dir.remove();
    }
  });

  const SKIPPED: [string, ZipMember, string][] = [
    ['a directory', { name: 'logs/' }, 'a directory'],
    ['bzip2 data', { name: 'syslog.5.bz2', content: Buffer.from('BZh91AY&SY\x00\x01') }, 'bzip2 data'],
    [
      'xz data',
      { name: 'syslog.4.xz', content: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 4]) },
      'xz data',
    ],
    [
      'zstd data',
      { name: 'syslog.3.zst', content: Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x24, 0]) },
      'zstd data',
    ],
    ['an encrypted entry', { name: 'secret.log', content: 'x\n', encrypted: true }, 'encrypted'],
    [
      'a ZIP compression method other than deflate',
      { name: 'lzma.log', content: 'x\n', compressionMethod: 14 },
      'ZIP compression method 14',
    ],
  ];

  it.each(SKIPPED)('skips %s with a warning naming the member', async (_what, member, reason) => {
    const { lines, warnings } = await readMembers([member, textMember('syslog', ['still read'])]);
    expect(lines).toStrictEqual(['still read']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ kind: 'member-skipped', member: member.name });
    expect(warnings[0].message).toContain(member.name);
    expect(warnings[0].message).toContain(reason);
  });

  it.each([
    ['binary content', 'core', (bytes: Buffer) => bytes],
    ['binary content inside gzip', 'core.gz', (bytes: Buffer) => gzipSync(bytes)],
  ])(
    'reads %s line by line, its lines after a NUL byte kept, instead of skipping it',
    async (_what, name, encode) => {
      const binary = Buffer.concat([
        Buffer.from('ELF\x02\x01\x01\x00\x00garbage\n\x01\x00'),
        Buffer.from('text\n'),
      ]);
      const { lines, warnings } = await readMembers([
        { name, content: encode(binary), mtime: minute(0) },
        textMember('syslog', ['still read'], { mtime: minute(1) }),
      ]);
      expect(lines).toStrictEqual(['garbage', 'text', 'still read']);
      expect(warnings).toMatchObject([{ kind: 'member-repaired', member: name }]);
      expect(warnings[0].message).toBe(
        `${name}: 2 lines held NUL bytes (left by an unclean shutdown or a disk fault), each read from after its last NUL byte`,
      );
    },
  );

  it('skips a nested ZIP archive with a warning naming it', async () => {
    const nested = await zipBytes([textMember('inner.log', ['not read'])]);
    const { lines, warnings } = await readMembers([
      { name: 'old-logs.zip', content: nested },
      textMember('syslog', ['still read']),
    ]);
    expect(lines).toStrictEqual(['still read']);
    expect(warnings).toMatchObject([{ kind: 'member-skipped', member: 'old-logs.zip' }]);
    expect(warnings[0].message).toContain('ZIP data');
  });

  it('reads an empty member as no lines', async () => {
    const { lines, warnings } = await readMembers([
      { name: 'syslog.1', content: '' },
      textMember('syslog', ['a']),
    ]);
    expect(warnings).toStrictEqual([]);
    expect(lines).toStrictEqual(['a']);
  });
});

describe('lines', () => {
  it('drops the \\r of CRLF line ends and keeps any other \\r', async () => {
    const { lines } = await readMembers([{ name: 'syslog', content: 'one\r\ntwo\r\nin\rside\n\n' }]);
    expect(lines).toStrictEqual(['one', 'two', 'in\rside', '']);
  });

  it('passes bytes through undecoded, so invalid UTF-8 is left to the record reader', async () => {
    const dir = new TempDir();
    try {
      const content = Buffer.from([0x61, 0xff, 0xc3, 0x62, 0x0a]);
      const path = await dir.writeZip('report.zip', [{ name: 'syslog', content }]);
      const lines: Buffer[] = [];
      for await (const line of readArchiveLines(path, { onWarning: () => undefined })) {
        lines.push(Buffer.from(line));
      }
      expect(lines).toStrictEqual([content.subarray(0, 4)]);
    } finally {
      dir.remove();
    }
  });

  it('skips a line over the bound with a warning naming the member and the line, and reads on', async () => {
    const long = 'y'.repeat(MAX_LINE_BYTES + 1);
    const { lines, warnings } = await readMembers([
      gzipMember('syslog.1.gz', ['before', long, 'after']),
      textMember('syslog', [long]),
    ]);
    expect(lines).toStrictEqual(['before', 'after']);
    expect(warnings).toMatchObject([
      { kind: 'line-skipped', member: 'syslog.1.gz', line: 2 },
      { kind: 'line-skipped', member: 'syslog', line: 1 },
    ]);
    expect(warnings[0].message).toBe(`skipped line 2 of syslog.1.gz: longer than ${MAX_LINE_BYTES} bytes`);
  });

  it('keeps a line of exactly the bound', async () => {
    const longest = 'z'.repeat(MAX_LINE_BYTES);
    const { lines, warnings } = await readMembers([textMember('syslog', [longest])]);
    expect(warnings).toStrictEqual([]);
    expect(lines).toStrictEqual([longest]);
  });

  it('holds back a last line without a line end, with a warning: it may be a write in progress', async () => {
    const { lines, warnings } = await readMembers([
      { name: 'syslog.1', content: 'whole\ncut', mtime: minute(0) },
      { name: 'syslog', content: 'live\nhalf a li', mtime: minute(1) },
    ]);
    expect(lines).toStrictEqual(['whole', 'live']);
    expect(warnings).toMatchObject([
      { kind: 'line-skipped', member: 'syslog.1', line: 2 },
      { kind: 'line-skipped', member: 'syslog', line: 2 },
    ]);
    expect(warnings[1].message).toBe('skipped line 2 of syslog: no line end, the line may be incomplete');
  });
});

describe('the archive', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = new TempDir();
  });
  afterEach(() => dir.remove());

  it.each([
    ['a text file', 'just text\n'],
    ['an XML <error> reply', '<?xml version="1.0"?><error>Not allowed</error>'],
    ['an empty file', ''],
  ])('rejects %s with a parse error that says what to check', async (_what, content) => {
    const path = dir.write('report.zip', content);
    const read = readLines(path);
    await expect(read).rejects.toThrow(PraError);
    await expect(read).rejects.toMatchObject({ kind: 'parse' });
    await expect(read).rejects.toThrow(`Syslog report ${path} is not a readable ZIP archive`);
    await expect(read).rejects.toThrow('check that the download completed');
  });

  it('rejects an archive cut short, whose list of entries is missing', async () => {
    const whole = await zipBytes([textMember('syslog', ['a'.repeat(1000)])]);
    const path = dir.write('report.zip', whole.subarray(0, whole.length - 30));
    await expect(readLines(path)).rejects.toMatchObject({ kind: 'parse' });
  });

  it('passes an error opening the file through as it is', async () => {
    await expect(readLines(`${dir.path}/missing.zip`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it(`rejects an archive of more than ${MAX_MEMBERS} members before reading any`, async () => {
    const members = Array.from({ length: MAX_MEMBERS + 1 }, (_, i) => ({ name: `f${i}`, compress: false }));
    const path = await dir.writeZip('report.zip', members);
    await expect(readLines(path)).rejects.toThrow(`holds more than ${MAX_MEMBERS} files`);
  });

  it('closes the file when the reader stops early and when it reads to the end', async () => {
    const path = await dir.writeZip('report.zip', [
      gzipMember('syslog.1.gz', ['a', 'b'], { mtime: minute(0) }),
      textMember('syslog', ['c'], { mtime: minute(1) }),
    ]);
    for await (const line of readArchiveLines(path, { onWarning: () => undefined })) {
      expect(line.toString()).toBe('a');
      break;
    }
    await eventually(() => openDescriptors(path) === 0);
    const { lines } = await readLines(path);
    expect(lines).toStrictEqual(['a', 'b', 'c']);
    await eventually(() => openDescriptors(path) === 0);
  });
});

/** How many of this process's file descriptors are open on `path` (Linux). */
function openDescriptors(path: string): number {
  const real = fs.realpathSync(path);
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === real;
    } catch {
      return false;
    }
  }).length;
}
