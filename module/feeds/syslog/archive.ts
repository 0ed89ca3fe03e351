/**
 * The lines of a Syslog report: a ZIP of the appliance's syslog files, read from disk one member
 * at a time, oldest member first, without holding the archive, a member or more than one line of
 * it in memory.
 */
import type { Readable } from 'node:stream';
import { types } from 'node:util';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { parseError, PraError } from '../../pra/errors';
import { gunzip } from './gunzip';
import { LineSplitter, MAX_LINE_BYTES } from './lines';
import { SIGNATURE_BYTES, TEXT_CHECK_BYTES, detectFormat, looksBinary } from './member-content';
import { orderMembers } from './member-order';

/**
 * A syslog report holds a few dozen files; the entries are all listed before the first is read (to
 * order them), so their number is bounded.
 */
export const MAX_MEMBERS = 10_000;

/** Something of the archive that was not read. The caller logs `message`, which names the member. */
export type ArchiveWarning =
  /** Nothing of the member was read: a directory, encrypted, not text or gzip. */
  | { readonly kind: 'member-skipped'; readonly member: string; readonly message: string }
  /** The member's data broke off (corrupt or truncated): the lines before the break were read. */
  | { readonly kind: 'member-cut'; readonly member: string; readonly message: string }
  /** One line was skipped: longer than MAX_LINE_BYTES, or without a line end at the member's end. */
  | {
      readonly kind: 'line-skipped';
      readonly member: string;
      readonly line: number;
      readonly message: string;
    };

export interface ArchiveReadOptions {
  onWarning(warning: ArchiveWarning): void;
}

/**
 * Yields the lines of every readable member of the ZIP at `path`, oldest member first (see
 * member-order.ts for how the age is told from the names), as bytes without the line end (`\n` or
 * `\r\n`). A line is a view of a chunk: copy it to keep it after asking for the next one.
 * Members are gzip or plain text, decided by their content; anything else is skipped with a
 * warning, and so is a line over MAX_LINE_BYTES. Lines are read only as the consumer asks for them.
 *
 * Throws a 'parse' PraError if the file is not a ZIP archive, or its list of entries is corrupt or
 * longer than MAX_MEMBERS. Errors opening the file itself (ENOENT, EACCES) are thrown as they are.
 */
export async function* readArchiveLines(
  path: string,
  options: ArchiveReadOptions,
): AsyncGenerator<Buffer, void, undefined> {
  const zip = await openZip(path);
  try {
    for (const entry of await listMembers(zip, path)) {
      const skipReason = entrySkipReason(entry);
      if (skipReason === undefined) {
        yield* memberLines(zip, entry, options.onWarning);
      } else {
        options.onWarning({ kind: 'member-skipped', member: entry.fileName, message: skipReason });
      }
    }
  } finally {
    zip.close();
  }
}

async function openZip(path: string): Promise<ZipFile> {
  try {
    // autoClose off: the entries are all listed before any is read.
    return await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
  } catch (err) {
    throw notAnArchive(path, err);
  }
}

async function listMembers(zip: ZipFile, path: string): Promise<Entry[]> {
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
    throw notAnArchive(path, err);
  }
  const ordered = orderMembers(
    entries.map((entry) => ({ name: entry.fileName, modified: entry.getLastModDate(), entry })),
  );
  return ordered.map((member) => member.entry);
}

/** System errors (no such file, no permission) pass through: they are not the report's fault. */
function notAnArchive(path: string, err: unknown): Error {
  if (err instanceof PraError || (types.isNativeError(err) && 'code' in err)) return err;
  const reason = errorMessage(err);
  return parseError(
    `Syslog report ${path} is not a readable ZIP archive (${reason}); check that the download ` +
      "completed and that the body was the ZIP, not PRA's XML <error> reply or a proxy's page",
  );
}

function entrySkipReason(entry: Entry): string | undefined {
  const name = entry.fileName;
  if (name.endsWith('/')) return `skipped ${name}: a directory`;
  if (entry.isEncrypted()) return `skipped ${name}: encrypted`;
  if (!entry.canDecodeFileData()) {
    const method = entry.compressionMethod;
    return `skipped ${name}: ZIP compression method ${method}, only deflated and stored members are read`;
  }
  return undefined;
}

/** A member's bytes could not be read (corrupt or truncated ZIP or gzip data). */
class MemberDataError extends Error {}

async function* memberLines(
  zip: ZipFile,
  entry: Entry,
  onWarning: (warning: ArchiveWarning) => void,
): AsyncGenerator<Buffer, void, undefined> {
  const member = entry.fileName;
  const splitter = new LineSplitter((line) =>
    onWarning({
      kind: 'line-skipped',
      member,
      line,
      message: `skipped line ${line} of ${member}: longer than ${MAX_LINE_BYTES} bytes`,
    }),
  );
  let raw: Readable | undefined;
  try {
    raw = await zip.openReadStreamPromise(entry).catch((err: unknown) => {
      throw new MemberDataError(errorMessage(err));
    });
    const text = await textContent(raw, member, onWarning);
    if (text === undefined) return;
    for await (const chunk of text) yield* splitter.push(chunk);
  } catch (err) {
    if (!(err instanceof MemberDataError)) throw err;
    const lastLine = splitter.currentLine - 1;
    const message =
      `${member} is corrupt or truncated ${lastLine === 0 ? 'from its start' : `after line ${lastLine}`} ` +
      `(${err.message}): the lines before were read, the rest of this file is skipped`;
    onWarning({ kind: 'member-cut', member, message });
    return;
  } finally {
    raw?.destroy();
  }
  if (splitter.takeUnterminated() !== undefined) {
    // syslog ends every message with a line end: without one, the line is a write in progress (the
    // live file, caught mid-write) or a cut; the next download holds it whole if it is ever whole.
    const line = splitter.currentLine - 1;
    const message = `skipped line ${line} of ${member}: no line end, the line may be incomplete`;
    onWarning({ kind: 'line-skipped', member, line, message });
  }
}

/**
 * The member's text, gunzipped if it is gzip; undefined, after a warning, if it is neither gzip
 * nor text.
 */
async function textContent(
  raw: Readable,
  member: string,
  onWarning: (warning: ArchiveWarning) => void,
): Promise<AsyncIterable<Buffer> | undefined> {
  const skip = (reason: string): undefined => {
    onWarning({ kind: 'member-skipped', member, message: `skipped ${member}: ${reason}` });
    return undefined;
  };
  const signature = await peek(guarded(raw), SIGNATURE_BYTES);
  const format = detectFormat(signature.head);
  if (format.kind === 'unsupported') return skip(`${format.name} data, only gzip and plain text are read`);
  const content = format.kind === 'gzip' ? guarded(gunzip(signature.chunks)) : signature.chunks;
  const text = await peek(content, TEXT_CHECK_BYTES);
  if (looksBinary(text.head)) {
    return skip(`binary content (a NUL byte in its first ${TEXT_CHECK_BYTES} bytes), not text`);
  }
  return text.chunks;
}

/** Tags the source's read errors, so that they are told from errors of this module's own code. */
async function* guarded(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  const chunks = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (err) {
        throw new MemberDataError(errorMessage(err));
      }
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await chunks.return?.();
  }
}

/** The first `bytes` bytes of `source` (fewer if it is shorter), and all of its chunks again. */
async function peek(
  source: AsyncIterable<Buffer>,
  bytes: number,
): Promise<{ head: Buffer; chunks: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let seenBytes = 0;
  let ended = false;
  while (seenBytes < bytes && !ended) {
    const next = await iterator.next();
    if (next.done === true) ended = true;
    else {
      seen.push(next.value);
      seenBytes += next.value.length;
    }
  }
  async function* replay(): AsyncGenerator<Buffer, void, undefined> {
    // splice: the head's chunks are not kept alive for the rest of the member.
    for (const chunk of seen.splice(0)) yield chunk;
    if (!ended) yield* { [Symbol.asyncIterator]: () => iterator };
  }
  return { head: Buffer.concat(seen).subarray(0, bytes), chunks: replay() };
}

function errorMessage(err: unknown): string {
  // isNativeError, unlike instanceof, also knows errors made in another realm (a vm context).
  return types.isNativeError(err) ? err.message : String(err);
}
