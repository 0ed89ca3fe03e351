/**
 * The XML layer under the PRA report parsers: saxes fed chunk by chunk, elements handed on by
 * local name, and the limits that keep a hostile or broken document from costing more than a
 * bounded amount of memory and time.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { parseError, PraError } from '../pra/errors';

/** Deeper than any PRA report (about 8 levels); a limit keeps saxes' tag stack bounded. */
export const MAX_DEPTH = 64;
/** Longest text run, tag, comment or attribute value accepted (UTF-16 code units). */
export const MAX_TOKEN_CHARS = 1024 * 1024;
/** saxes is fed at most this much at a time, so the token limit is checked often enough and the
 * items completed by one write stay few. */
const SLICE_CHARS = 64 * 1024;

/** Receives a document's elements by local name: prefixes are dropped, namespaces ignored. */
export interface XmlSink<T> {
  /** `depth` is 1 for the root element. */
  openElement(name: string, attributes: Readonly<Record<string, string>>, depth: number): void;
  closeElement(name: string, depth: number): void;
  /** Character data (text, decoded entities, CDATA) directly inside the element at `depth`;
   * one element's text may arrive in several pieces. */
  characters(text: string, depth: number): void;
  /** Hands over, and forgets, the items completed since the last call. */
  takeItems(): T[] | undefined;
}

/**
 * A document fed chunk by chunk, synchronously: `write` and `end` hand out the sink's items as the
 * slices that complete them are parsed. Bytes are decoded as UTF-8 whatever the XML declaration
 * says; invalid sequences become U+FFFD rather than an error.
 */
export class IncrementalXmlParser<T> {
  private readonly reader: XmlReader<T>;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly sink: XmlSink<T>) {
    this.reader = new XmlReader(sink);
  }

  /** Parses lazily: the next slice is parsed only when the caller asks for more items. */
  *write(chunk: Uint8Array | string): Generator<T, void, undefined> {
    // A string chunk after bytes: whatever incomplete sequence the decoder holds is lost anyway.
    const text =
      typeof chunk === 'string'
        ? this.decoder.decode() + chunk
        : this.decoder.decode(chunk, { stream: true });
    for (let start = 0; start < text.length; start += SLICE_CHARS) {
      this.reader.write(text.length <= SLICE_CHARS ? text : text.slice(start, start + SLICE_CHARS));
      const items = this.sink.takeItems();
      if (items !== undefined) yield* items;
    }
  }

  /** Ends the document: throws if it is incomplete. */
  *end(): Generator<T, void, undefined> {
    this.reader.write(this.decoder.decode());
    this.reader.end();
    const items = this.sink.takeItems();
    if (items !== undefined) yield* items;
  }
}

/**
 * Feeds `input` to saxes and yields the sink's items as soon as the slice that completed them has
 * been parsed. The next chunk is read only when the consumer asks for more, which gives
 * backpressure for free.
 */
export async function* streamXml<T>(
  input: AsyncIterable<Uint8Array | string>,
  sink: XmlSink<T>,
): AsyncGenerator<T, void, undefined> {
  const parser = new IncrementalXmlParser(sink);
  for await (const chunk of input) yield* parser.write(chunk);
  yield* parser.end();
}

const SAXES_POSITION_PREFIX = /^\d+:\d+: /;

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

class XmlReader<T> {
  private readonly parser = new SaxesParser({ xmlns: false, position: true });
  private depth = 0;
  /** Stream position of the last saxes event: a longer gap means one token is too large. */
  private lastEventAt = 0;
  private ending = false;

  constructor(private readonly sink: XmlSink<T>) {
    // At most seven handlers: an eighth property puts the SaxesParser object into dictionary mode
    // and parsing gets four times slower (measured on Node 20). Comments and processing
    // instructions therefore count towards the token-size gap; no real report has many in a row.
    const parser = this.parser;
    parser.on('error', (err) => {
      const reason = err.message.replace(SAXES_POSITION_PREFIX, '');
      throw this.error(this.ending ? `unexpected end of document: ${reason}` : reason);
    });
    parser.on('doctype', () => {
      // saxes never expands DTD entities, but no PRA report has a DOCTYPE and refusing it outright
      // leaves no room for entity tricks (billion laughs, external entities).
      throw this.error('DOCTYPE is not allowed in a PRA report');
    });
    parser.on('opentag', (tag) => this.open(tag));
    parser.on('closetag', (tag) => this.close(tag));
    parser.on('text', (text) => this.text(text));
    parser.on('cdata', (text) => this.text(text));
  }

  write(text: string): void {
    try {
      this.parser.write(text);
    } catch (err) {
      throw this.locate(err);
    }
    if (this.parser.position - this.lastEventAt > MAX_TOKEN_CHARS) {
      throw this.error(`XML token too large: over ${MAX_TOKEN_CHARS} characters in one text, tag or comment`);
    }
  }

  end(): void {
    this.ending = true;
    try {
      this.parser.close();
    } catch (err) {
      throw this.locate(err);
    }
  }

  private open(tag: SaxesTagPlain): void {
    this.lastEventAt = this.parser.position;
    if (++this.depth > MAX_DEPTH) throw this.error(`elements nested deeper than ${MAX_DEPTH} levels`);
    this.sink.openElement(localName(tag.name), tag.attributes, this.depth);
  }

  private close(tag: SaxesTagPlain): void {
    this.lastEventAt = this.parser.position;
    this.sink.closeElement(localName(tag.name), this.depth--);
  }

  private text(text: string): void {
    this.lastEventAt = this.parser.position;
    if (text.length > MAX_TOKEN_CHARS) {
      throw this.error(`text too large: over ${MAX_TOKEN_CHARS} characters`);
    }
    if (this.depth > 0) this.sink.characters(text, this.depth);
  }

  private error(message: string): PraError {
    return parseError(message, this.parser.line, this.parser.column + 1);
  }

  /** Sinks throw parse errors without a position; this is where the position is known. */
  private locate(err: unknown): unknown {
    return err instanceof PraError && err.kind === 'parse' && err.line === undefined
      ? this.error(err.reason)
      : err;
  }
}
