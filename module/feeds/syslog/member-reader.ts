/**
 * Reads the members of a Syslog report one at a time into batches of lines, never holding more than
 * a chunk and a line of a member: the lines a chunk completes are one batch.
 */
import type { ZipFile } from 'yauzl';
import { LineSplitter, MAX_LINE_BYTES } from './lines';
import { KEY_BYTES, ReadContents, compareContents, contentKey, type Comparison } from './member-copies';
import { MemberDataError, openContent, peek, type MemberContent } from './member-stream';
import type { ArchiveWarning } from './warnings';
import type { ArchiveMember } from './zip-entries';

/** Lines of one member, views of one chunk: copy a line to keep it past the next batch. */
export interface LineBatch {
  /** The member, as warnings name it. */
  readonly member: string;
  readonly lines: readonly Buffer[];
}

export interface MemberReadOptions {
  onWarning(warning: ArchiveWarning): void;
  /** Asked before each chunk: false ends the reading there. */
  running(): boolean;
}

type Outcome = 'read' | 'cut' | 'stopped';

export class MemberReader {
  /** Members read whole, to know a copy of one of them (member-copies.ts). */
  private readonly contents = new ReadContents<ArchiveMember>();

  constructor(
    private readonly zip: ZipFile,
    private readonly options: MemberReadOptions,
  ) {}

  /** The member's lines; warns of what was not read, naming the member. */
  async *read(member: ArchiveMember): AsyncGenerator<LineBatch, void, undefined> {
    const skip = unreadable(member);
    if (skip !== undefined) return this.warn('member-skipped', member, `skipped ${member.label}: ${skip}`);
    if (member.repair !== undefined) this.warn('member-repaired', member, member.repair);
    let content = await this.open(member, true);
    try {
      if (content === undefined) return;
      const head = await peek(content.chunks, KEY_BYTES);
      // An empty member is the start of every other, and a copy of none.
      const key = head.head.length > 0 && !head.failed ? contentKey(head.head) : undefined;
      let chunks = head.chunks;
      const copy = key === undefined ? 'none' : await this.findOriginal(member, key, chunks);
      if (copy === 'copy' || copy === 'stopped') return;
      if (copy === 'compared') {
        // The comparison consumed the content: read it again from its start.
        content.close();
        content = await this.open(member, true);
        if (content === undefined) return;
        chunks = content.chunks;
      }
      const outcome = yield* this.lines(member, chunks);
      if (outcome === 'read' && key !== undefined) this.contents.add(key, member);
    } finally {
      content?.close();
    }
  }

  /** Whether the member is a copy of one read before, compared with those whose start is the same. */
  private async findOriginal(
    member: ArchiveMember,
    key: string,
    chunks: AsyncIterable<Buffer>,
  ): Promise<'none' | 'compared' | 'copy' | 'stopped'> {
    const candidates = this.contents.candidates(key);
    for (const [i, original] of candidates.entries()) {
      const mine = i === 0 ? { chunks, close: () => undefined } : await this.open(member, false);
      const theirs = await this.open(original, false);
      try {
        if (mine === undefined || theirs === undefined) continue;
        const verdict = await compareContents(mine.chunks, theirs.chunks, this.options.running);
        if (verdict === 'stopped') return 'stopped';
        if (verdict !== 'different') {
          this.warnCopy(member, original, verdict);
          return 'copy';
        }
      } finally {
        mine?.close();
        theirs?.close();
      }
    }
    return candidates.length > 0 ? 'compared' : 'none';
  }

  private async *lines(
    member: ArchiveMember,
    chunks: AsyncIterable<Buffer>,
  ): AsyncGenerator<LineBatch, Outcome, undefined> {
    const splitter = new LineSplitter((line) =>
      this.warnLine(
        member,
        line,
        `skipped line ${line} of ${member.label}: longer than ${MAX_LINE_BYTES} bytes`,
      ),
    );
    try {
      for await (const chunk of chunks) {
        if (!this.options.running()) return 'stopped';
        const lines = splitter.push(chunk);
        if (lines.length > 0) yield { member: member.label, lines };
      }
    } catch (err) {
      if (!(err instanceof MemberDataError)) throw err;
      const lastLine = splitter.currentLine - 1;
      const message =
        `${member.label} is corrupt or truncated ${lastLine === 0 ? 'from its start' : `after line ${lastLine}`} ` +
        `(${err.message}): the lines before were read, the rest of this file is skipped`;
      this.warn('member-cut', member, message);
      return 'cut';
    } finally {
      this.warnNul(member, splitter.linesWithNul);
    }
    if (splitter.takeUnterminated() !== undefined) {
      // syslog ends every message with a line end: without one, the line is a write in progress (the
      // live file, caught mid-write) or a cut; the next download holds it whole if it is ever whole.
      const line = splitter.currentLine - 1;
      this.warnLine(
        member,
        line,
        `skipped line ${line} of ${member.label}: no line end, the line may be incomplete`,
      );
    }
    return 'read';
  }

  /** The member's content; undefined, after a warning if `warn`, when there is none to read. */
  private async open(member: ArchiveMember, warn: boolean): Promise<MemberContent | undefined> {
    try {
      const content = await openContent(this.zip, member.entry);
      if (typeof content !== 'string') return content;
      if (warn) this.warn('member-skipped', member, `skipped ${member.label}: ${content}`);
    } catch (err) {
      if (!(err instanceof MemberDataError)) throw err;
      const message = `${member.label} is corrupt or truncated from its start (${err.message}): it is skipped`;
      if (warn) this.warn('member-cut', member, message);
    }
    return undefined;
  }

  private warnCopy(
    member: ArchiveMember,
    original: ArchiveMember,
    how: Exclude<Comparison, 'different' | 'stopped'>,
  ): void {
    const what = {
      same: `the same content as ${original.label}`,
      start: `its content is the start of ${original.label}'s (a copy caught being written)`,
      cut: `its content, up to where it is corrupt or truncated, is the start of ${original.label}'s`,
    }[how];
    const message = `skipped ${member.label}: ${what}, which was read already; its lines would be read twice`;
    this.options.onWarning({
      kind: 'member-duplicate',
      member: member.label,
      original: original.label,
      message,
    });
  }

  private warnNul(member: ArchiveMember, lines: number): void {
    if (lines === 0) return;
    const message =
      `${member.label}: ${lines} line${lines === 1 ? '' : 's'} held NUL bytes (left by an unclean shutdown ` +
      'or a disk fault), each read from after its last NUL byte';
    this.warn('member-repaired', member, message);
  }

  private warnLine(member: ArchiveMember, line: number, message: string): void {
    this.options.onWarning({ kind: 'line-skipped', member: member.label, line, message });
  }

  private warn(
    kind: 'member-skipped' | 'member-cut' | 'member-repaired',
    member: ArchiveMember,
    message: string,
  ): void {
    this.options.onWarning({ kind, member: member.label, message });
  }
}

/** Why nothing of the member can be read, if so. */
function unreadable(member: ArchiveMember): string | undefined {
  const { entry } = member;
  if (member.name.endsWith('/')) return 'a directory';
  if (entry.isEncrypted()) return 'encrypted';
  if (!entry.canDecodeFileData()) {
    return `ZIP compression method ${entry.compressionMethod}, only deflated and stored members are read`;
  }
  return undefined;
}
