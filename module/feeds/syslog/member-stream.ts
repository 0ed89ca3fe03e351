/**
 * The content of one member of a Syslog report, as a stream of chunks: gunzipped when its first
 * bytes are gzip's, as it is otherwise, whatever its name says.
 */
import type { Readable } from 'node:stream';
import type { Entry, ZipFile } from 'yauzl';
import { gunzip } from './gunzip';
import { SIGNATURE_BYTES, detectFormat } from './member-content';
import { errorText } from './zip-entries';

const DEFLATED = 8;

/** A member's bytes could not be read (corrupt or truncated ZIP or gzip data). */
export class MemberDataError extends Error {}

export interface MemberContent {
  /** Throws a MemberDataError where the data breaks off, once the chunks before it are yielded. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Frees the member's stream, read to its end or not. */
  close(): void;
}

/**
 * The member's content, or why it is not read when it is a compressed format this reader does not
 * know. Throws a MemberDataError when the member cannot be opened.
 */
export async function openContent(zip: ZipFile, entry: Entry): Promise<MemberContent | string> {
  let raw: Readable;
  try {
    raw = await zip.openReadStreamPromise(entry);
  } catch (err) {
    throw new MemberDataError(errorText(err));
  }
  const data =
    entry.compressionMethod === DEFLATED ? sized(guarded(raw), entry.uncompressedSize) : guarded(raw);
  const signature = await peek(data, SIGNATURE_BYTES);
  const format = detectFormat(signature.head);
  if (format.kind === 'unsupported') {
    raw.destroy();
    return `${format.name} data, only gzip and plain text are read`;
  }
  const chunks = format.kind === 'gzip' ? guarded(gunzip(signature.chunks)) : signature.chunks;
  return { chunks, close: () => raw.destroy() };
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
        throw err instanceof MemberDataError ? err : new MemberDataError(errorText(err));
      }
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await chunks.return?.();
  }
}

/**
 * Checks a deflated entry's size as yauzl's validateEntrySizes would (it is off: see openZip), the
 * only sign of deflate data corrupted in a way that still inflates.
 */
async function* sized(
  source: AsyncIterable<Buffer>,
  expected: number,
): AsyncGenerator<Buffer, void, undefined> {
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    if (bytes > expected) {
      throw new MemberDataError(`more data than the ${expected} bytes the archive's list gives it`);
    }
    yield chunk;
  }
  if (bytes < expected) {
    throw new MemberDataError(`${bytes} bytes of data, not the ${expected} the archive's list gives it`);
  }
}

export interface Peeked {
  /** The first bytes asked for: fewer if the source ended or failed sooner. */
  readonly head: Buffer;
  /** Whether the source ended (or failed) within them. */
  readonly ended: boolean;
  /** Whether it failed within them. */
  readonly failed: boolean;
  /** All of the source's chunks again, the head's included; then its failure, if it failed. */
  readonly chunks: AsyncIterable<Buffer>;
}

/** The first `bytes` bytes of `source`, and all of it again. A failure is kept for the replay. */
export async function peek(source: AsyncIterable<Buffer>, bytes: number): Promise<Peeked> {
  const iterator = source[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let seenBytes = 0;
  let ended = false;
  let failure: { error: unknown } | undefined;
  try {
    while (seenBytes < bytes && !ended) {
      const next = await iterator.next();
      if (next.done === true) ended = true;
      else {
        seen.push(next.value);
        seenBytes += next.value.length;
      }
    }
  } catch (error) {
    failure = { error };
  }
  const head = Buffer.concat(seen).subarray(0, bytes);
  async function* replay(): AsyncGenerator<Buffer, void, undefined> {
    // splice: the head's chunks are not kept alive for the rest of the member.
    for (const chunk of seen.splice(0)) yield chunk;
    if (failure !== undefined) throw failure.error;
    if (!ended) yield* { [Symbol.asyncIterator]: () => iterator };
  }
  return { head, ended: ended || failure !== undefined, failed: failure !== undefined, chunks: replay() };
}
