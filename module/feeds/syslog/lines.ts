/**
 * Bytes of one archive member to lines, with a bound on the length of a line so that a member
 * without line ends (or a hostile one) cannot make memory grow.
 *
 * Lines stay bytes: PRA cuts a long message into segments, one per line, possibly in the middle of
 * a multi-byte UTF-8 character, so text is only decoded once the segments are joined again.
 *
 * Syslog text never holds a NUL byte. A run of them is what an unclean shutdown leaves where the
 * file's last writes were lost (often in the middle of a line, the next line written after the
 * reboot following the run), or what a disk fault leaves: a line is what follows its last NUL byte.
 * A binary file read this way gives lines that are not PRA records, which the reader skips; a
 * member is never skipped for its bytes.
 */

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const NUL = 0x00;

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
  /** Whether the line in progress held a NUL byte, so that such lines are counted once each. */
  private lineHadNul = false;
  /** Lines that held NUL bytes, read from after the last of them. */
  linesWithNul = 0;

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
    // One search of the whole chunk: almost every chunk has no NUL, and is cut without looking again.
    const hasNul = chunk.indexOf(NUL) !== -1;
    let start = 0;
    for (let end = chunk.indexOf(LINE_FEED); end !== -1; end = chunk.indexOf(LINE_FEED, start)) {
      if (hasNul || this.partialBytes > 0 || this.overlong) {
        const bytes = chunk.subarray(start, end);
        const line = this.finishLine(hasNul ? this.afterNul(bytes) : bytes);
        if (line !== undefined) lines.push(line);
      } else if (end - start > this.maxLineBytes) {
        this.onLineTooLong(this.lineNumber++);
      } else {
        // The usual line, whole within the chunk: one view of it, nothing else made.
        lines.push(chunk.subarray(start, end > start && chunk[end - 1] === CARRIAGE_RETURN ? end - 1 : end));
        this.lineNumber++;
      }
      start = end + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.keep(hasNul ? this.afterNul(rest) : rest);
    }
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

  /** What follows the last NUL byte of `bytes`; the line in progress before it is dropped. */
  private afterNul(bytes: Buffer): Buffer {
    const at = bytes.lastIndexOf(NUL);
    if (at === -1) return bytes;
    if (!this.lineHadNul) {
      this.lineHadNul = true;
      this.linesWithNul++;
    }
    this.partial = [];
    this.partialBytes = 0;
    this.overlong = false;
    return bytes.subarray(at + 1);
  }

  private keep(bytes: Buffer): void {
    if (this.overlong || bytes.length === 0) return;
    if (this.partialBytes + bytes.length > this.maxLineBytes) {
      this.startSkipping();
      return;
    }
    // A copy when the bytes are a small part of their chunk, which the view would keep alive; a
    // chunk that is all of this line (a long line spans many) is kept as it is.
    this.partial.push(bytes.buffer.byteLength > 2 * bytes.length ? Buffer.from(bytes) : bytes);
    this.partialBytes += bytes.length;
  }

  private finishLine(tail: Buffer): Buffer | undefined {
    if (!this.overlong && this.partialBytes + tail.length > this.maxLineBytes) this.startSkipping();
    const overlong = this.overlong;
    const bytes = overlong || this.partialBytes === 0 ? tail : Buffer.concat([...this.partial, tail]);
    this.partial = [];
    this.partialBytes = 0;
    this.overlong = false;
    this.lineHadNul = false;
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
