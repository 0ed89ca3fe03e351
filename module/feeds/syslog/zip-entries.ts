/**
 * The members of a Syslog report's ZIP, listed and put in reading order. What is wrong with one
 * entry (its name, its sizes) is that entry's problem: it is repaired or named in a warning, never
 * the reason to refuse the whole archive. Only an archive whose list of members cannot be read at
 * all is refused.
 */
import { types } from 'node:util';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { parseError, PraError } from '../../pra/errors';
import { entryName, printableName } from './member-names';
import { orderMembers } from './member-order';
import type { ArchiveWarning } from './warnings';

/**
 * A syslog report holds a few dozen files; the entries are all listed before the first is read (to
 * order them), so their number is bounded.
 */
export const MAX_MEMBERS = 10_000;

const STORED = 0;

export interface ArchiveMember {
  /** As the archive spells it: what the order goes by. */
  readonly name: string;
  /** As warnings show it. */
  readonly label: string;
  readonly modified: Date;
  /** The entry to read, with its sizes repaired if they could not both be right. */
  readonly entry: Entry;
  /** What was repaired, to warn of; undefined when nothing was. */
  readonly repair: string | undefined;
}

export async function openZip(path: string): Promise<ZipFile> {
  try {
    return await yauzl.openPromise(path, {
      lazyEntries: true,
      // The entries are all listed before any is read.
      autoClose: false,
      // Names are decoded in member-names.ts: yauzl refuses some, and with them the whole listing.
      decodeStrings: false,
      // The same for a stored entry whose two sizes disagree: repaired in repairStored.
      validateEntrySizes: false,
    });
  } catch (err) {
    throw notAnArchive(path, err);
  }
}

/** The members of the archive, oldest first (member-order.ts). */
export async function listMembers(
  zip: ZipFile,
  path: string,
  onWarning: (warning: ArchiveWarning) => void,
): Promise<ArchiveMember[]> {
  const listStart = centralDirectoryStart(zip);
  const entries = await listEntries(zip, path, onWarning);
  const ends = dataEnds(entries, listStart);
  const members: ArchiveMember[] = [];
  for (const entry of entries) members.push(await toMember(zip, entry, ends.get(entry) ?? listStart));
  return orderMembers(members);
}

async function listEntries(
  zip: ZipFile,
  path: string,
  onWarning: (warning: ArchiveWarning) => void,
): Promise<Entry[]> {
  const entries: Entry[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      if (entries.length === MAX_MEMBERS) {
        throw parseError(
          `Syslog report ${path} holds more than ${MAX_MEMBERS} files, far more than an appliance's ` +
            'syslog files: refusing to read it; check what the reporting API answered',
        );
      }
      entries.push(entry);
    }
  } catch (err) {
    if (entries.length === 0 || err instanceof PraError || isSystemError(err)) throw notAnArchive(path, err);
    // The entries after a corrupt one cannot be found: the list has no other index.
    const message =
      `the list of files of Syslog report ${path} is corrupt after its entry ${entries.length} ` +
      `(${errorText(err)}): the ${entries.length} files listed before are read, any after cannot be found`;
    onWarning({ kind: 'list-cut', member: path, listed: entries.length, message });
  }
  return entries;
}

/**
 * Where the archive's list starts, which the last entry's data cannot pass: yauzl's cursor before
 * the listing (its type says boolean, wrongly); the end of the file if yauzl ever changes that.
 */
function centralDirectoryStart(zip: ZipFile): number {
  const cursor: unknown = (zip as { readEntryCursor: unknown }).readEntryCursor;
  return typeof cursor === 'number' && cursor <= zip.fileSize ? cursor : zip.fileSize;
}

/** Where each entry's data must end at the latest: the next entry's header, or the archive's list. */
function dataEnds(entries: readonly Entry[], listStart: number): Map<Entry, number> {
  const offsets = [...new Set(entries.map((entry) => entry.relativeOffsetOfLocalHeader))];
  offsets.sort((a, b) => a - b);
  const next = new Map(offsets.map((offset, i) => [offset, offsets[i + 1] ?? listStart]));
  return new Map(entries.map((entry) => [entry, next.get(entry.relativeOffsetOfLocalHeader) ?? listStart]));
}

async function toMember(zip: ZipFile, entry: Entry, dataEnd: number): Promise<ArchiveMember> {
  const name = entryName(entry);
  const label = printableName(name);
  const modified = entry.getLastModDate();
  const repaired =
    entry.compressionMethod === STORED ? await repairStored(zip, entry, dataEnd, label) : undefined;
  return {
    name,
    label,
    // An impossible date would make the order depend on how the sort compares NaN.
    modified: Number.isNaN(modified.getTime()) ? new Date(0) : modified,
    entry: repaired?.entry ?? entry,
    repair: repaired?.message,
  };
}

/**
 * A stored entry's data is its content, so its two sizes must agree, and fit before the next entry.
 * When they do not, it is read with the larger size that fits (the other is the wrong one), or as
 * far as the next entry: reading past that would read the next member's lines as this one's.
 */
async function repairStored(
  zip: ZipFile,
  entry: Entry,
  dataEnd: number,
  label: string,
): Promise<{ entry: Entry; message: string } | undefined> {
  const { compressedSize: stored, uncompressedSize: content } = entry;
  let dataStart: number;
  try {
    // Size 0: yauzl checks the size against the file before it tells where the data starts.
    dataStart = (await zip.readLocalFileHeaderPromise(withSize(entry, 0), { minimal: true })).fileDataStart;
  } catch {
    return undefined; // Its header is unreadable: reading the member says so.
  }
  const room = Math.max(0, dataEnd - dataStart);
  if (stored === content && stored <= room) return undefined;
  const fitting = [stored, content].filter((size) => size <= room);
  const size = fitting.length > 0 ? Math.max(...fitting) : room;
  const message =
    `${label}: the archive's list gives it ${stored} bytes of data and ${content} bytes of content, ` +
    `and there are ${room} bytes before what follows it: read as ${size} bytes, its end may be missing or extra`;
  return { entry: withSize(entry, size), message };
}

function withSize(entry: Entry, size: number): Entry {
  const copy = Object.create(Object.getPrototypeOf(entry) as object) as Entry;
  return Object.assign(copy, entry, { compressedSize: size, uncompressedSize: size });
}

/** System errors (no such file, no permission, EIO) pass through: they are not the report's fault. */
function isSystemError(err: unknown): boolean {
  return types.isNativeError(err) && 'code' in err;
}

function notAnArchive(path: string, err: unknown): Error {
  if (err instanceof PraError || isSystemError(err)) return err as Error;
  return parseError(
    `Syslog report ${path} is not a readable ZIP archive (${errorText(err)}); check that the download ` +
      "completed and that the body was the ZIP, not PRA's XML <error> reply or a proxy's page",
  );
}

export function errorText(err: unknown): string {
  // isNativeError, unlike instanceof, also knows errors made in another realm (a vm context).
  return types.isNativeError(err) ? err.message : String(err);
}
