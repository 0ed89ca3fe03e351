/** The text of one element of a PRA report, collected while the element is open. */
import { parseError } from '../pra/errors';
import { MAX_TOKEN_CHARS } from './reader';

const WHITESPACE_ONLY = /^\s*$/;

/**
 * Collects the character data directly inside one element (text in its children is theirs, not
 * its own). One element at a time: PRA puts every value a parser reads in a leaf element.
 */
export class TextCapture {
  private depth = 0;
  private text = '';
  private hadChild = false;

  /** Starts collecting the text of the element just opened at `depth`. */
  start(depth: number): void {
    this.depth = depth;
    this.text = '';
    this.hadChild = false;
  }

  /** To be called when an element opens directly inside the captured one. */
  childOpened(): void {
    this.hadChild = true;
  }

  characters(text: string, depth: number): void {
    if (depth !== this.depth) return;
    // The reader bounds each text run; runs split by comments or children must be bounded too.
    if (this.text.length + text.length > MAX_TOKEN_CHARS) {
      throw parseError(`element text too large: over ${MAX_TOKEN_CHARS} characters`);
    }
    this.text += text;
  }

  /** Ends the capture: the element's text exactly as written, entities and CDATA decoded. */
  finish(): string {
    // Indentation around child elements is layout, not a value; a leaf's text is kept as is.
    const text = this.hadChild && WHITESPACE_ONLY.test(this.text) ? '' : this.text;
    this.depth = 0;
    this.text = '';
    return text;
  }
}
