/**
 * Bytes of one archive member to lines, with a bound on the length of a line so that a member
 * without line ends (or a hostile one) cannot make memory grow.
 *
 * Lines stay bytes: PRA cuts a long message into segments, one per line, possibly in the middle of
 * a multi-byte UTF-8 character, so text is only decoded once the segments are joined again.
 */

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Longest line kept, in bytes. PRA cuts its syslog messages into segments of about 1 KB, so a real
 * line is far below this; anything longer is not a PRA message and is not worth the memory.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Splits a byte stream on `\n` and drops a `\r` before it. */
export class LineSplitter {
  /** Bytes of the line in progress, from earlier chunks. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** The line in progress is over the bound: its bytes are dropped until its end. */
  private overlong = false;
  /** 1-based number of the line in progress. */
  private lineNumber = 1;

  constructor(
    /** Called once per line over MAX_LINE_BYTES, which is skipped. */
    private readonly onLineTooLong: (lineNumber: number) => void,
    private readonly maxLineBytes: number = MAX_LINE_BYTES,
  ) {}

  /**
   * The lines that `chunk` completes, in order. A line that lies within `chunk` is a view of it,
   * not a copy: copy it to keep it beyond the chunk's life.
   */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = chunk.indexOf(LINE_FEED); end !== -1; end = chunk.indexOf(LINE_FEED, start)) {
      const line = this.finishLine(chunk.subarray(start, end));
      if (line !== undefined) lines.push(line);
      start = end + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
    return lines;
  }

  /** Bytes received after the last line end (a line without `\n`), or undefined if there are none. */
  takeUnterminated(): Buffer | undefined {
    if (this.partialBytes === 0 && !this.overlong) return undefined;
    return this.finishLine(Buffer.alloc(0));
  }

  /** Number of the line that the next byte belongs to. */
  get currentLine(): number {
    return this.lineNumber;
  }

  private keep(bytes: Buffer): void {
    if (this.overlong) return;
    if (this.partialBytes + bytes.length > this.maxLineBytes) {
      this.startSkipping();
      return;
    }
    // A copy: the chunk's memory would otherwise be kept alive by the view.
    this.partial.push(Buffer.from(bytes));
    this.partialBytes += bytes.length;
  }

  private finishLine(tail: Buffer): Buffer | undefined {
    if (!this.overlong && this.partialBytes + tail.length > this.maxLineBytes) this.startSkipping();
    const overlong = this.overlong;
    const bytes = overlong || this.partialBytes === 0 ? tail : Buffer.concat([...this.partial, tail]);
    this.partial = [];
    this.partialBytes = 0;
    this.overlong = false;
    this.lineNumber++;
    if (overlong) return undefined;
    const end =
      bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.length - 1 : bytes.length;
    return bytes.subarray(0, end);
  }

  private startSkipping(): void {
    this.overlong = true;
    this.partial = [];
    this.partialBytes = 0;
    this.onLineTooLong(this.lineNumber);
  }
}
