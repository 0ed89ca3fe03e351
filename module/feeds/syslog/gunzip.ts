/**
 * Gzip decompression that, when the data turns out to be corrupt, first hands over what was
 * decompressed before the corruption. A zlib stream read through a pipeline or its async iterator
 * drops whatever it had buffered when it fails, an amount that depends on timing; here zlib is fed
 * one slice at a time and the output of each slice is collected as it comes.
 *
 * Node's zlib still drops the output of the one call in which it finds the corruption: at most
 * one output chunk (16 KiB) before the point of detection. Deflate has no check per block, so
 * that output is suspect anyway.
 *
 * The output collected is bounded too: deflate inflates a slice up to a thousand times (a run of
 * one byte), so zlib is paused once MAX_HELD_OUTPUT_BYTES wait, and resumed once they are taken.
 */
import { createGunzip, type Gunzip } from 'node:zlib';

/** Input written to zlib at once. */
const INPUT_SLICE_BYTES = 16 * 1024;
/** Output collected before zlib is paused; what is held is about twice this at most. */
export const MAX_HELD_OUTPUT_BYTES = 1024 * 1024;

/** Starts writing to zlib; `done` is called once zlib has processed what was written. */
type Operation = (done: (err?: Error | null) => void) => void;

/** What a gunzip held; for the tests of its bound. */
export interface GunzipStats {
  peakHeldBytes: number;
}

/**
 * The decompressed bytes of `source`, a gzip file (several concatenated gzip streams are read one
 * after the other, as gunzip does). Throws zlib's error once the bytes before it are yielded.
 */
export async function* gunzip(
  source: AsyncIterable<Buffer>,
  stats: GunzipStats = { peakHeldBytes: 0 },
): AsyncGenerator<Buffer, void, undefined> {
  const inflater = createGunzip();
  const output = new HeldOutput(inflater, stats);
  // One slice is decompressed (in the thread pool) while the output of the one before is being
  // consumed, so that zlib and the consumer work at the same time.
  let inFlight: Promise<Error | undefined> = Promise.resolve(undefined);
  try {
    for await (const operation of operations(inflater, source)) {
      let outcome = await output.fullOr(inFlight);
      while (outcome === 'full') {
        yield* output.take();
        outcome = await output.fullOr(inFlight);
      }
      const ready = output.take();
      if (outcome.failure === undefined && operation !== undefined) inFlight = settle(inflater, operation);
      yield* ready;
      if (outcome.failure !== undefined) throw outcome.failure;
    }
  } finally {
    inflater.destroy();
  }
}

/** zlib's output, collected as it comes; zlib is paused while too much of it waits. */
class HeldOutput {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private onFull: (() => void) | undefined;

  constructor(
    private readonly inflater: Gunzip,
    private readonly stats: GunzipStats,
  ) {
    inflater.on('data', (chunk: Buffer) => this.add(chunk));
  }

  /** Waits for the operation to be done, or for the output to fill first. */
  fullOr(operation: Promise<Error | undefined>): Promise<'full' | { failure: Error | undefined }> {
    if (this.isFull()) return Promise.resolve('full');
    return new Promise((resolve) => {
      this.onFull = () => resolve('full');
      void operation.then((failure) => resolve({ failure }));
    }).finally(() => {
      this.onFull = undefined;
    }) as Promise<'full' | { failure: Error | undefined }>;
  }

  /** The output so far; zlib goes on if it was paused. */
  take(): Buffer[] {
    const chunks = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    if (this.inflater.isPaused()) this.inflater.resume();
    return chunks;
  }

  private add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    this.stats.peakHeldBytes = Math.max(this.stats.peakHeldBytes, this.bytes);
    if (this.isFull()) {
      // Paused, zlib's push() reports back-pressure, and zlib waits before inflating more.
      this.inflater.pause();
      this.onFull?.();
    }
  }

  private isFull(): boolean {
    return this.bytes >= MAX_HELD_OUTPUT_BYTES;
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
