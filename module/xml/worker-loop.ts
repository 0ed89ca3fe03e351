/**
 * The worker side of ParserThread: bytes in, items out, for whichever report parser a document
 * names. Parsing and serialising are most of a collector's CPU; here they run on the second core
 * while the main thread talks to PRA, the intake and the disk.
 */
import type { MessagePort } from 'node:worker_threads';
import { PraError } from '../pra/errors';

/** A report parser fed synchronously: what each chunk (and the end) completes. */
export interface ChunkParser<T> {
  write(chunk: Uint8Array): Iterable<T>;
  end(): Iterable<T>;
}

/** `parser` with each item it completes passed through `map` (serialised, timed) before it leaves. */
export function mapItems<T, U>(parser: ChunkParser<T>, map: (item: T) => U): ChunkParser<U> {
  return {
    *write(chunk) {
      for (const item of parser.write(chunk)) yield map(item);
    },
    *end() {
      for (const item of parser.end()) yield map(item);
    },
  };
}

/** Parsers by the name a document asks for (the report name), each made fresh per document. */
export type ParserFactories = Readonly<Record<string, () => ChunkParser<unknown>>>;

/** Documents are numbered by the main thread, from 1, in the order they start. */
export type ParseRequest =
  | { document: number; parser: string; chunk: Uint8Array }
  | { document: number; parser: string; end: true }
  /** The main thread gave up on the document: free it. */
  | { document: number; abort: true };

/** One reply per `chunk` or `end` request, in order; after an `error`, none for that document. */
export type ParseReply =
  { document: number; items: unknown[]; done: boolean } | { document: number; error: ParseFailure };

/** An error as it crosses the thread boundary: classes do not survive structured cloning. */
export type ParseFailure =
  | {
      kind: 'pra';
      praKind: PraError['kind'];
      reason: string;
      line?: number;
      column?: number;
      apiMessage?: string;
    }
  | { kind: 'other'; message: string };

interface OpenDocument {
  number: number;
  parser: ChunkParser<unknown>;
}

export function describeFailure(error: unknown): ParseFailure {
  if (error instanceof PraError) {
    const { kind, reason, line, column, apiMessage } = error;
    return { kind: 'pra', praKind: kind, reason, line, column, apiMessage };
  }
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}

export function reviveFailure(failure: ParseFailure): Error {
  if (failure.kind === 'other') return new Error(failure.message);
  const { line, column, apiMessage } = failure;
  return new PraError(failure.praKind, failure.reason, { line, column, apiMessage });
}

/** Answers parse requests on `port` until the thread ends. */
export function serveParsers(port: MessagePort, factories: ParserFactories): void {
  let latest = 0;
  let open: OpenDocument | undefined;
  port.on('message', (request: ParseRequest) => {
    // Requests still queued for a document that failed or was abandoned are dropped.
    if (request.document < latest || (request.document === latest && open === undefined)) return;
    if ('abort' in request) {
      latest = request.document;
      open = undefined;
      return;
    }
    try {
      if (request.document > latest) {
        latest = request.document;
        open = { number: latest, parser: createParser(factories, request.parser) };
      }
      const document = open as OpenDocument;
      const last = 'end' in request;
      const items = [...(last ? document.parser.end() : document.parser.write(request.chunk))];
      if (last) open = undefined;
      port.postMessage({ document: document.number, items, done: last } satisfies ParseReply);
    } catch (error) {
      open = undefined;
      port.postMessage({ document: request.document, error: describeFailure(error) } satisfies ParseReply);
    }
  });
}

function createParser(factories: ParserFactories, name: string): ChunkParser<unknown> {
  const factory = factories[name];
  if (factory === undefined) throw new Error(`no parser for ${name} in the parse thread`);
  return factory();
}
