/**
 * The lines of a Syslog report: a ZIP of the appliance's syslog files, read from disk one member
 * at a time, oldest member first, without holding the archive, a member or more than a chunk and a
 * line of it in memory. What is wrong with a member (its name, its sizes, its data, a line of it) is
 * skipped or repaired with a warning naming it; the other members are read all the same.
 */
import { MemberReader, type LineBatch } from './member-reader';
import type { ArchiveWarning } from './warnings';
import { listMembers, openZip } from './zip-entries';

export { MAX_MEMBERS } from './zip-entries';
export type { LineBatch } from './member-reader';
export type { ArchiveWarning, RecordsForcedOutWarning } from './warnings';

export interface ArchiveReadOptions {
  onWarning(warning: ArchiveWarning): void;
  /**
   * Asked before each member and each chunk of one (64 KiB of it at most): once false, the lines
   * end there, as if the archive ended.
   */
  running?: () => boolean;
}

/**
 * Yields the lines of every readable member of the ZIP at `path`, oldest member first (see
 * member-order.ts for how the age is told from the names), as bytes without the line end (`\n` or
 * `\r\n`). A line is a view of a chunk: copy it to keep it after asking for the next one.
 * Members are gzip or plain text, decided by their content; another compressed format is skipped
 * with a warning, and so is a line over MAX_LINE_BYTES, and a member whose content was read already
 * in another one (member-copies.ts). Lines are read only as the consumer asks for them.
 *
 * Throws a 'parse' PraError if the file is not a ZIP archive, its list of entries cannot be read at
 * all, or it is longer than MAX_MEMBERS. Errors opening the file itself (ENOENT, EACCES) are thrown
 * as they are.
 */
export async function* readArchiveLines(
  path: string,
  options: ArchiveReadOptions,
): AsyncGenerator<Buffer, void, undefined> {
  for await (const batch of readArchiveBatches(path, options)) yield* batch.lines;
}

/** The same lines, a batch for each chunk that completes some: the loop over lines need not await. */
export async function* readArchiveBatches(
  path: string,
  options: ArchiveReadOptions,
): AsyncGenerator<LineBatch, void, undefined> {
  const running = options.running ?? ((): boolean => true);
  const zip = await openZip(path);
  try {
    const members = await listMembers(zip, path, options.onWarning);
    const reader = new MemberReader(zip, { onWarning: options.onWarning, running });
    for (const member of members) {
      if (!running()) return;
      yield* reader.read(member);
    }
  } finally {
    zip.close();
  }
}
