/**
 * Gzip decompression that, when the data turns out to be corrupt, first hands over what was
 * decompressed before the corruption. A zlib stream read through a pipeline or its async iterator
 * drops whatever it had buffered when it fails, an amount that depends on timing; here zlib is fed
 * one slice at a time and its output is taken before the next slice is written.
 *
 * Node's zlib still drops the output of the one call in which it finds the corruption: at most
 * one output chunk (16 KiB) before the point of detection. Deflate has no check per block, so
 * that output is suspect anyway.
 */
import { createGunzip, type Gunzip } from 'node:zlib';

/** Input written to zlib at once; bounds the output held in memory to this slice's worth. */
const INPUT_SLICE_BYTES = 16 * 1024;

/**
 * The decompressed bytes of `source`, a gzip file (several concatenated gzip streams are read one
 * after the other, as gunzip does). Throws zlib's error once the bytes before it are yielded.
 */
export async function* gunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  const inflater = createGunzip();
  const output: Buffer[] = [];
  inflater.on('data', (chunk: Buffer) => output.push(chunk));
  try {
    for await (const input of source) {
      for (let at = 0; at < input.length; at += INPUT_SLICE_BYTES) {
        const slice = input.subarray(at, at + INPUT_SLICE_BYTES);
        yield* takeAll(output, await settle(inflater, (done) => inflater.write(slice, done)));
      }
    }
    // end()'s callback comes with 'finish', before zlib reports a truncated stream; 'close' comes
    // after both.
    yield* takeAll(output, await settle(inflater, (done) => inflater.once('close', done).end()));
  } finally {
    inflater.destroy();
  }
}

/**
 * Starts an operation and resolves once it is done, with zlib's error if it found one: zlib reports
 * a corruption as an 'error' event, without calling the write callback.
 */
function settle(
  inflater: Gunzip,
  start: (done: (err?: Error | null) => void) => void,
): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const done = (err?: Error | null): void => {
      inflater.off('error', done);
      resolve(err ?? undefined);
    };
    inflater.on('error', done);
    start(done);
  });
}

function* takeAll(output: Buffer[], failure: Error | undefined): Generator<Buffer, void, undefined> {
  yield* output.splice(0);
  if (failure !== undefined) throw failure;
}
