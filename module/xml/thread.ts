import { Worker } from 'node:worker_threads';
import { reviveFailure, type ParseReply, type ParseRequest } from './worker-loop';

/**
 * Chunks handed to the worker and not yet taken back as items. Enough to keep the worker busy
 * while the main thread pushes; few enough that a stalled intake holds only a few chunks' worth
 * of items (HTTP chunks are at most 64 KiB).
 */
const CHUNKS_AHEAD = 4;

type Listener = (reply: ParseReply) => void;

/**
 * Parses report bodies in a worker thread that runs `serveParsers` (worker-loop.ts): the same
 * items as the named parser gives in this thread.
 *
 * The input is read only as far as the consumer takes items (CHUNKS_AHEAD chunks ahead), so
 * backpressure reaches the HTTP stream as with an in-thread parse. Items of the chunks read before
 * a failure come out before the failure, whether it is the input's or the parse's. A worker that
 * dies fails the reports in progress and is replaced at the next report.
 */
export class ParserThread<Parser extends string = string> {
  private worker: Worker | undefined;
  private documents = 0;
  private readonly listeners = new Map<number, Listener>();

  /** `script`: the compiled worker entry point, which calls serveParsers. */
  constructor(private readonly script: string) {}

  async *parse<T>(parser: Parser, body: AsyncIterable<Uint8Array>): AsyncGenerator<T, void, undefined> {
    const worker = this.start();
    const document = ++this.documents;
    const feed = new ChunkFeed(
      body,
      (request, transfer) => worker.postMessage(request, transfer),
      document,
      parser,
    );
    this.listeners.set(document, (reply) => feed.receive(reply));
    worker.ref();
    try {
      yield* feed.items() as AsyncGenerator<T>;
    } finally {
      this.listeners.delete(document);
      feed.finish();
      // The worker drops a document it has already closed, so telling it again is harmless.
      if (this.worker === worker) worker.postMessage({ document, abort: true } satisfies ParseRequest);
      // Idle, the worker must not keep the process alive; busy, it must.
      if (this.listeners.size === 0) worker.unref();
    }
  }

  /** Stops the worker; a later parse starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(this.script);
    worker.unref();
    worker.on('message', (reply: ParseReply) => this.listeners.get(reply.document)?.(reply));
    const fail = (message: string): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const [document, listener] of this.listeners) {
        listener({ document, error: { kind: 'other', message } });
      }
    };
    worker.on('error', (error) => fail(`the report parser thread failed: ${error.message}`));
    worker.on('exit', (code) => fail(`the report parser thread exited (code ${code})`));
    this.worker = worker;
    return worker;
  }
}

/** One document's traffic: input chunks read ahead and posted, replies queued until taken. */
class ChunkFeed {
  private readonly replies: ParseReply[] = [];
  private readonly input: AsyncIterator<Uint8Array>;
  private wake = (): void => undefined;
  private reading = false;
  private inputEnded = false;
  private inputFailure: { error: unknown } | undefined;
  private sent = 0;
  private taken = 0;
  private finished = false;

  constructor(
    body: AsyncIterable<Uint8Array>,
    private readonly post: (request: ParseRequest, transfer: ArrayBuffer[]) => void,
    private readonly document: number,
    private readonly parser: string,
  ) {
    this.input = body[Symbol.asyncIterator]();
  }

  receive(reply: ParseReply): void {
    this.replies.push(reply);
    this.wake();
  }

  /** A read still pending stays unused: the caller destroys the body. */
  finish(): void {
    this.finished = true;
  }

  async *items(): AsyncGenerator<unknown, void, undefined> {
    for (;;) {
      this.readAhead();
      const reply = this.replies.shift();
      if (reply !== undefined) {
        this.taken += 1;
        if ('error' in reply) throw reviveFailure(reply.error);
        yield* reply.items;
        if (reply.done) return;
      } else if (this.inputFailure !== undefined && this.taken === this.sent) {
        throw this.inputFailure.error;
      } else {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    }
  }

  private readAhead(): void {
    if (this.reading || this.inputEnded || this.finished || this.sent - this.taken >= CHUNKS_AHEAD) return;
    this.reading = true;
    this.input.next().then(
      (result) => {
        this.reading = false;
        if (this.finished) return;
        const { document, parser } = this;
        if (result.done) {
          this.inputEnded = true;
          this.post({ document, parser, end: true }, []);
        } else {
          // A copy: a chunk may be a view into a larger buffer that other chunks share.
          const chunk = new Uint8Array(result.value);
          this.post({ document, parser, chunk }, [chunk.buffer as ArrayBuffer]);
        }
        this.sent += 1;
        this.readAhead();
      },
      (error: unknown) => {
        this.reading = false;
        this.inputEnded = true;
        this.inputFailure = { error };
        this.wake();
      },
    );
  }
}
