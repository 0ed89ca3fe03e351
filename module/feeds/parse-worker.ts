/**
 * The AccessSession report parse, run in a worker thread by ReportParserThread: bytes in, items
 * out with each event already serialised. Parsing and serialising are most of the collector's CPU;
 * here they run on the second core while the main thread talks to PRA, the intake and the disk.
 */
import { parentPort } from 'node:worker_threads';
import { PraApiError, ReportParseError } from '../pra/errors';
import { EventSerializer } from './sessions/event-json';
import type { ReportItem, SerializedItem } from './sessions/events';
import { createAccessSessionParser } from './sessions/report-parser';
import type { IncrementalXmlParser } from '../xml/reader';

/** Documents are numbered by the main thread, from 1, in the order they start. */
export type ParseRequest =
  | { document: number; chunk: Uint8Array }
  | { document: number; end: true }
  /** The main thread gave up on the document: free it. */
  | { document: number; abort: true };

/** One reply per `chunk` or `end` request, in order; after an `error`, none for that document. */
export type ParseReply =
  { document: number; items: SerializedItem[]; done: boolean } | { document: number; error: ParseFailure };

/** An error as it crosses the thread boundary: classes do not survive structured cloning. */
export type ParseFailure =
  | { kind: 'parse'; reason: string; line?: number; column?: number }
  | { kind: 'api'; apiMessage: string }
  | { kind: 'other'; message: string };

interface OpenDocument {
  number: number;
  parser: IncrementalXmlParser<ReportItem>;
  serializer: EventSerializer;
}

function describeFailure(error: unknown): ParseFailure {
  if (error instanceof ReportParseError) {
    return { kind: 'parse', reason: error.reason, line: error.line, column: error.column };
  }
  if (error instanceof PraApiError) return { kind: 'api', apiMessage: error.apiMessage };
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}

function serve(port: NonNullable<typeof parentPort>): void {
  let latest = 0;
  let open: OpenDocument | undefined;
  port.on('message', (request: ParseRequest) => {
    // Requests still queued for a document that failed or was abandoned are dropped.
    if (request.document < latest || (request.document === latest && open === undefined)) return;
    if (request.document > latest) {
      latest = request.document;
      open = { number: latest, parser: createAccessSessionParser(), serializer: new EventSerializer() };
    }
    const document = open as OpenDocument;
    if ('abort' in request) {
      open = undefined;
      return;
    }
    const last = 'end' in request;
    try {
      const items: SerializedItem[] = [];
      const parsed = last ? document.parser.end() : document.parser.write(request.chunk);
      for (const item of parsed) items.push(document.serializer.serializeItem(item));
      if (last) open = undefined;
      port.postMessage({ document: document.number, items, done: last } satisfies ParseReply);
    } catch (error) {
      open = undefined;
      port.postMessage({ document: document.number, error: describeFailure(error) } satisfies ParseReply);
    }
  });
}

if (parentPort) serve(parentPort);
