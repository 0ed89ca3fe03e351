import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PraApiError, ReportParseError } from '../pra/errors';
import type { SerializedItem } from '../feeds/sessions/events';
import type { ParseFailure, ParseReply, ParseRequest } from '../feeds/parse-worker';

/**
 * Chunks handed to the worker and not yet taken back as items. Enough to keep the worker busy
 * while the main thread pushes; few enough that a stalled intake holds only a few chunks' worth
 * of items (HTTP chunks are at most 64 KiB).
 */
const CHUNKS_AHEAD = 4;

/**
 * ts-jest runs the TypeScript sources, but a worker needs JavaScript: it then takes the compiled
 * build, which `npm test` makes before running jest.
 */
const WORKER_SCRIPT = __filename.endsWith('.ts')
  ? path.join(__dirname, '..', '..', 'dist', 'module', 'feeds', 'parse-worker.js')
  : path.join(__dirname, '..', 'feeds', 'parse-worker.js');

type Listener = (reply: ParseReply) => void;

/**
 * Parses AccessSession reports in a worker thread (see feeds/parse-worker.ts): the same items as
 * `parseAccessSessionReport`, with each event already serialised to its contract JSON.
 *
 * The input is read only as far as the consumer takes items (CHUNKS_AHEAD chunks ahead), so
 * backpressure reaches the HTTP stream as with an in-thread parse. Items of the chunks read before
 * a failure come out before the failure, whether it is the input's or the parse's. A worker that
 * dies fails the reports in progress and is replaced at the next report.
 */
export class ReportParserThread {
  private worker: Worker | undefined;
  private documents = 0;
  private readonly listeners = new Map<number, Listener>();

  async *parse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SerializedItem, void, undefined> {
    const worker = this.start();
    const document = ++this.documents;
    const post = (request: ParseRequest, transfer: ArrayBuffer[] = []): void =>
      worker.postMessage(request, transfer);
    const replies: ParseReply[] = [];
    let wake = (): void => undefined;
    this.listeners.set(document, (reply) => {
      replies.push(reply);
      wake();
    });
    const input = body[Symbol.asyncIterator]();
    let reading = false;
    let inputEnded = false;
    let inputFailure: { error: unknown } | undefined;
    let sent = 0;
    let taken = 0;
    let finished = false;
    const readAhead = (): void => {
      if (reading || inputEnded || finished || sent - taken >= CHUNKS_AHEAD) return;
      reading = true;
      input.next().then(
        (result) => {
          reading = false;
          if (finished) return;
          if (result.done) {
            inputEnded = true;
            post({ document, end: true });
          } else {
            // A copy: a chunk may be a view into a larger buffer that other chunks share.
            const chunk = new Uint8Array(result.value);
            post({ document, chunk }, [chunk.buffer as ArrayBuffer]);
          }
          sent += 1;
          readAhead();
        },
        (error: unknown) => {
          reading = false;
          inputEnded = true;
          inputFailure = { error };
          wake();
        },
      );
    };
    worker.ref();
    try {
      for (;;) {
        readAhead();
        const reply = replies.shift();
        if (reply !== undefined) {
          taken += 1;
          if ('error' in reply) throw revive(reply.error);
          yield* reply.items;
          if (reply.done) return;
        } else if (inputFailure !== undefined && taken === sent) {
          throw inputFailure.error;
        } else {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      }
    } finally {
      this.listeners.delete(document);
      // A read still pending stays unused (the caller destroys the body). The worker drops a
      // document it has already closed, so telling it again is harmless.
      finished = true;
      if (this.worker === worker) post({ document, abort: true });
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
    const worker = new Worker(WORKER_SCRIPT);
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

function revive(failure: ParseFailure): Error {
  switch (failure.kind) {
    case 'parse':
      return new ReportParseError(failure.reason, failure.line, failure.column);
    case 'api':
      return new PraApiError(failure.apiMessage);
    case 'other':
      return new Error(failure.message);
  }
}
