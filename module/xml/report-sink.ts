/**
 * What every PRA XML report shares: the expected root element, and the `<error>` element PRA
 * answers with (HTTP 200) both for "no data" and for real errors.
 */
import { apiError, parseError } from '../pra/errors';
import type { XmlSink } from './reader';

/**
 * English: "No <what> matching your chosen criteria is available." where <what> names the report
 * ("Support report information", "Support Team report information", "vault account activity"),
 * and the Bomgar-era "No archives found for the given search criteria.". Anchored at both ends so
 * that an error merely quoting one of them ("Error: No …") stays an error.
 */
const ENGLISH_NO_DATA =
  /^No\s.*\s(?:matching your chosen criteria is available|found for the given search criteria)\.?$/is;

/**
 * French: only the phrase "correspondant à vos critères" is required, because the rest of the
 * sentence has not been seen from a real tenant (probably "Aucune … n'est disponible.", with a
 * straight or a typographic apostrophe). The accent-less "criteres" is accepted too, as any
 * ASCII-only rendering of the text would give it.
 */
const FRENCH_NO_DATA = /correspondant\s+[àa]\s+vos\s+crit[èe]res/iu;

/**
 * True when an `<error>` text is PRA's "no data" reply, which is localised in the API account's
 * language. Any other text is a real error: reading one as "no data" would lose events silently,
 * so only the known wordings pass.
 */
export function isNoDataMessage(text: string): boolean {
  // NFC: an accented letter may also arrive as a letter followed by a combining accent.
  const message = text.trim().normalize('NFC');
  return ENGLISH_NO_DATA.test(message) || FRENCH_NO_DATA.test(message);
}

/**
 * English names of a report the appliance does not know ("Unknown report type.", "Invalid report
 * type: X."). Other languages are recognised by comparison instead (see feeds/error-texts.ts).
 */
const ENGLISH_UNKNOWN_REPORT =
  /\b(?:unknown|invalid|unsupported)\s+report\s+type\b|\bunknown\s+report\b|\breport\s+type\b.*\bnot\s+(?:available|supported|valid)\b/i;

export function isUnknownReportMessage(text: string): boolean {
  return ENGLISH_UNKNOWN_REPORT.test(text);
}

/** Enough of an `<error>` text to recognise it and to show it; the rest is dropped. */
const MAX_ERROR_TEXT = 4096;

/**
 * What every PRA XML report shares: the expected root, and `<error>` recognised at any depth (PRA puts it
 * as the root or inside the list). Everything inside an `<error>` is kept from the subclass.
 */
export abstract class PraReportSink<T> implements XmlSink<T> {
  protected out: T[] = [];
  private errorDepth = 0;
  private errorText = '';

  constructor(private readonly rootName: string) {}

  openElement(name: string, attributes: Readonly<Record<string, string>>, depth: number): void {
    if (this.errorDepth !== 0) return;
    if (name === 'error') {
      this.errorDepth = depth;
      this.errorText = '';
    } else if (depth === 1 && name !== this.rootName) {
      // An unexpected root (an HTML login page, another report type) must not read as "no data".
      throw parseError(`unexpected root element <${name}>, expected <${this.rootName}>`);
    } else {
      this.open(name, attributes, depth);
    }
  }

  closeElement(name: string, depth: number): void {
    if (this.errorDepth === 0) {
      this.close(name, depth);
    } else if (depth === this.errorDepth) {
      this.errorDepth = 0;
      const message = this.errorText.trim();
      if (!isNoDataMessage(message)) throw apiError(message);
    }
  }

  characters(text: string, depth: number): void {
    if (this.errorDepth === 0) {
      this.text(text, depth);
    } else if (this.errorText.length < MAX_ERROR_TEXT) {
      this.errorText += text.slice(0, MAX_ERROR_TEXT - this.errorText.length);
    }
  }

  takeItems(): T[] | undefined {
    if (this.out.length === 0) return undefined;
    const items = this.out;
    this.out = [];
    return items;
  }

  protected abstract open(name: string, attributes: Readonly<Record<string, string>>, depth: number): void;
  protected abstract close(name: string, depth: number): void;
  protected abstract text(text: string, depth: number): void;
}

/**
 * Any PRA reply, whatever its root: the text of its first `<error>` element, at any depth, or
 * undefined when it has none (a report, even an empty one). For asking PRA what it answers.
 */
export class ErrorTextSink implements XmlSink<never> {
  text: string | undefined;
  private errorDepth = 0;

  openElement(name: string, _attributes: Readonly<Record<string, string>>, depth: number): void {
    if (this.errorDepth === 0 && this.text === undefined && name === 'error') {
      this.errorDepth = depth;
      this.text = '';
    }
  }

  closeElement(_name: string, depth: number): void {
    if (depth === this.errorDepth) this.errorDepth = 0;
  }

  characters(text: string): void {
    if (this.errorDepth !== 0 && (this.text?.length ?? 0) < MAX_ERROR_TEXT) {
      this.text = `${this.text ?? ''}${text}`.slice(0, MAX_ERROR_TEXT);
    }
  }

  takeItems(): undefined {
    return undefined;
  }
}
