import { gzipSync } from 'node:zlib';
import { readArchiveLines, type ArchiveWarning } from '../../../../module/feeds/syslog/archive';
import { TempDir } from '../../../support/temp-file';
import type { ZipMember } from '../../../support/zip-archive';

export interface ArchiveRead {
  lines: string[];
  warnings: ArchiveWarning[];
}

/** Every line of the archive at `path`, decoded, and the warnings. */
export async function readLines(path: string): Promise<ArchiveRead> {
  const warnings: ArchiveWarning[] = [];
  const lines: string[] = [];
  for await (const line of readArchiveLines(path, { onWarning: (warning) => warnings.push(warning) })) {
    lines.push(line.toString('utf8'));
  }
  return { lines, warnings };
}

/** Builds a ZIP of `members` in a temporary directory, reads it, and removes it. */
export async function readMembers(members: readonly ZipMember[]): Promise<ArchiveRead> {
  const dir = new TempDir();
  try {
    return await readLines(await dir.writeZip('report.zip', members));
  } finally {
    dir.remove();
  }
}

/** A PRA syslog line: segment `index` of `total` of a message from `pid` (none: `BG:`), site 1427. */
export function segment(pid: number | undefined, index: number, total: number, payload: string): string {
  const tag = pid === undefined ? 'BG:' : `BG[${pid}]:`;
  const counter = `${String(index).padStart(2, '0')}:${String(total).padStart(2, '0')}`;
  return `Dec 11 08:50:51 pra.example.com ${tag} 1427:${counter}:${payload}`;
}

const WHEN = 1_765_443_051;

/** Complete single-segment records `event=<name><i>;when=<when>` from one sender. */
export function recordLines(name: string, count: number, when = WHEN): string[] {
  return recordPayloads(name, count, when).map((payload) => segment(1, 1, 1, payload));
}

/** Their payloads, as read. */
export function recordPayloads(name: string, count: number, when = WHEN): string[] {
  return Array.from({ length: count }, (_, i) => `event=${name}${i};when=${when}`);
}

/** Gzip data of `bytes` bytes of `line` repeated, quick to make: 1 MiB gzip streams one after another. */
export function repeatedGzip(line: string, bytes: number): Buffer {
  const block = gzipSync(line.repeat(Math.ceil((1024 * 1024) / line.length)));
  return Buffer.concat(Array.from({ length: Math.ceil(bytes / (1024 * 1024)) }, () => block));
}

/** A member whose content is `lines`, each ended by `\n`. */
export function textMember(
  name: string,
  lines: readonly string[],
  options: Partial<ZipMember> = {},
): ZipMember {
  return { name, content: lines.map((line) => `${line}\n`).join(''), ...options };
}

/** The same, gzip-compressed. */
export function gzipMember(
  name: string,
  lines: readonly string[],
  options: Partial<ZipMember> = {},
): ZipMember {
  return { name, content: gzipSync(lines.map((line) => `${line}\n`).join('')), ...options };
}

/** A date `minutes` after a fixed origin, for modification times. */
export function minute(minutes: number): Date {
  return new Date(Date.UTC(2025, 11, 11, 8, minutes));
}

const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

/** Where the central and local headers of the entry named `name` are in the ZIP `bytes`. */
export function entryHeaders(bytes: Buffer, name: string | Buffer): { central: number; local: number } {
  const wanted = Buffer.from(name);
  const end = bytes.lastIndexOf(END_OF_CENTRAL_DIRECTORY);
  let at = bytes.readUInt32LE(end + 16);
  for (let i = 0; i < bytes.readUInt16LE(end + 10); i++) {
    if (bytes.readUInt32LE(at) !== CENTRAL_HEADER) throw new Error('bad central header');
    const nameLength = bytes.readUInt16LE(at + 28);
    if (bytes.subarray(at + 46, at + 46 + nameLength).equals(wanted)) {
      return { central: at, local: bytes.readUInt32LE(at + 42) };
    }
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  throw new Error(`no entry named ${wanted.toString()}`);
}

/**
 * Renames an entry, in both its headers, to `rawName`, as long in bytes as its name: for the names
 * that ZIP writers refuse to write (`../x`, `/x`), and for bytes that are not UTF-8.
 */
export function renameEntry(bytes: Buffer, name: string, rawName: string | Buffer): void {
  const raw = Buffer.from(rawName);
  if (raw.length !== Buffer.byteLength(name)) throw new Error('a new name must be as long as the old one');
  const { central, local } = entryHeaders(bytes, name);
  raw.copy(bytes, central + 46);
  raw.copy(bytes, local + 30);
}

/** Sets the sizes the archive's list (the central directory) gives an entry. */
export function setListedSizes(
  bytes: Buffer,
  name: string,
  sizes: { compressed?: number; uncompressed?: number },
): void {
  const { central } = entryHeaders(bytes, name);
  if (sizes.compressed !== undefined) bytes.writeUInt32LE(sizes.compressed, central + 20);
  if (sizes.uncompressed !== undefined) bytes.writeUInt32LE(sizes.uncompressed, central + 24);
}

/** Sets bits of an entry's flags in the archive's list only. */
export function setListedFlags(bytes: Buffer, name: string, flags: number): void {
  const { central } = entryHeaders(bytes, name);
  bytes.writeUInt16LE(bytes.readUInt16LE(central + 8) | flags, central + 8);
}
