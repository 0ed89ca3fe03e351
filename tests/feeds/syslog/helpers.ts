import { gzipSync } from 'node:zlib';
import { readArchiveLines, type ArchiveWarning } from '../../../module/feeds/syslog/archive';
import { TempDir } from '../../support/temp-file';
import type { ZipMember } from '../../support/zip-archive';

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
