/**
 * What every PRA XML report shares: the expected root element, and the `<error>` element PRA
 * answers with (HTTP 200) both for "no data" and for real errors.
 */
import { apiError, parseError } from '../pra/errors';
import type { XmlSink } from './reader';

const NO_DATA =
  /^No\s.*\s(?:matching your chosen criteria is available|found for the given search criteria)\.?$/is;

/**
 * True for PRA's "no data" texts: "No … report information matching your chosen criteria is
 * available." (and variants: "No Support Team report information…", "No vault account activity
 * matching…", "No archives found for the given search criteria.").
 */
export function isNoDataMessage(text: string): boolean {
  return NO_DATA.test(text.trim());
}

/** Enough of an `<error>` text to recognise it and to show it; the rest is dropped. */
const MAX_ERROR_TEXT = 4096;

/**
 * What both reports share: the expected root, and `<error>` recognised at any depth (PRA puts it
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
      // An unexpected root (an HTML login page, another report type) must not read as "no sessions".
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
