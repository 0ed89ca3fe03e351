/**
 * Gzip decompression that, when the data turns out to be corrupt, first hands over what was
 * decompressed before the corruption. A zlib stream read through a pipeline or its async iterator
 * drops whatever it had buffered when it fails, an amount that depends on timing; here zlib is fed
 * one slice at a time and the output of each slice is collected as it comes.
 *
 * Node's zlib still drops the output of the one call in which it finds the corruption: at most
 * one output chunk (16 KiB) before the point of detection. Deflate has no check per block, so
 * that output is suspect anyway.
 */
import { createGunzip, type Gunzip } from 'node:zlib';

/** Input written to zlib at once; bounds the output held in memory to two slices' worth. */
const INPUT_SLICE_BYTES = 16 * 1024;

/** Starts writing to zlib; `done` is called once zlib has processed what was written. */
type Operation = (done: (err?: Error | null) => void) => void;

/**
 * The decompressed bytes of `source`, a gzip file (several concatenated gzip streams are read one
 * after the other, as gunzip does). Throws zlib's error once the bytes before it are yielded.
 */
export async function* gunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  const inflater = createGunzip();
  const output: Buffer[] = [];
  inflater.on('data', (chunk: Buffer) => output.push(chunk));
  // One slice is decompressed (in the thread pool) while the output of the one before is being
  // consumed, so that zlib and the consumer work at the same time.
  let inFlight: Promise<Error | undefined> = Promise.resolve(undefined);
  try {
    for await (const operation of operations(inflater, source)) {
      const failure = await inFlight;
      const ready = output.splice(0);
      if (failure === undefined && operation !== undefined) inFlight = settle(inflater, operation);
      yield* ready;
      if (failure !== undefined) throw failure;
    }
  } finally {
    inflater.destroy();
  }
}

/** The writes of `source`'s bytes a slice at a time, then the end, then undefined: nothing more. */
async function* operations(
  inflater: Gunzip,
  source: AsyncIterable<Buffer>,
): AsyncGenerator<Operation | undefined, void, undefined> {
  for await (const input of source) {
    for (let at = 0; at < input.length; at += INPUT_SLICE_BYTES) {
      const slice = input.subarray(at, at + INPUT_SLICE_BYTES);
      yield (done) => inflater.write(slice, done);
    }
  }
  // end()'s callback comes with 'finish', before zlib reports a truncated stream; 'close' comes
  // after both.
  yield (done) => inflater.once('close', done).end();
  yield undefined;
}

/**
 * Starts an operation and resolves once it is done, with zlib's error if it found one: zlib reports
 * a corruption as an 'error' event, without calling the write callback.
 */
function settle(inflater: Gunzip, start: Operation): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const done = (err?: Error | null): void => {
      inflater.off('error', done);
      resolve(err ?? undefined);
    };
    inflater.on('error', done);
    start(done);
  });
}
