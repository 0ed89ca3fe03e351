/**
 * Members of one archive with the same content: a rotation caught half done leaves `syslog.1` beside
 * `syslog.1.gz`, or beside the start of it, still being written. A member whose content is that of
 * a member read before, or the start of it, holds no line that was not read already: it is not
 * read again.
 *
 * Nothing is held of a member but a digest of its first KEY_BYTES. A member whose first bytes match
 * those of one read before is compared with it byte for byte, both streamed from the archive,
 * before any of its lines is read; only a member that matches in its first bytes and differs later
 * is read twice.
 */
import { createHash } from 'node:crypto';
import { MemberDataError } from './member-stream';

/** Enough to tell syslog files apart (about forty lines), and little to hold before deciding. */
export const KEY_BYTES = 4096;
/** Members with the same first bytes compared at most, the latest: so the cost stays linear. */
const MAX_COMPARED = 2;

/** The digest of a member's first KEY_BYTES bytes (or of all of it, if shorter). */
export function contentKey(head: Buffer): string {
  return createHash('sha256').update(head).digest('base64');
}

/** The members read whole so far in this archive, by the key of their content. */
export class ReadContents<M> {
  private readonly byKey = new Map<string, M[]>();

  add(key: string, member: M): void {
    const members = this.byKey.get(key) ?? [];
    members.push(member);
    if (members.length > MAX_COMPARED) members.shift();
    this.byKey.set(key, members);
  }

  /** Those whose content starts like a member with this key, the latest first. */
  candidates(key: string): readonly M[] {
    return [...(this.byKey.get(key) ?? [])].reverse();
  }
}

/**
 * How `copy` compares with `original`: 'same', 'start' (it ends before the original does), 'cut'
 * (its data breaks off, and all of it before the break is the start of the original), 'different',
 * or 'stopped' when `running` said so first.
 */
export type Comparison = 'same' | 'start' | 'cut' | 'different' | 'stopped';

export async function compareContents(
  copy: AsyncIterable<Buffer>,
  original: AsyncIterable<Buffer>,
  running: () => boolean,
): Promise<Comparison> {
  const theirs = new Cursor(original);
  const mine = copy[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (!running()) return 'stopped';
      let next: IteratorResult<Buffer>;
      try {
        next = await mine.next();
      } catch (err) {
        if (err instanceof MemberDataError) return 'cut';
        throw err;
      }
      if (next.done === true) return (await theirs.atEnd()) ? 'same' : 'start';
      if (!(await theirs.match(next.value))) return 'different';
    }
  } finally {
    await mine.return?.();
    await theirs.close();
  }
}

/** Reads a stream as far as it is compared, whatever its chunks. */
class Cursor {
  private readonly chunks: AsyncIterator<Buffer>;
  private rest: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  /** Whether the next bytes are `bytes`; the stream breaking off or ending first is a difference. */
  async match(bytes: Buffer): Promise<boolean> {
    let left = bytes;
    while (left.length > 0) {
      if (this.rest.length === 0 && !(await this.fill())) return false;
      const length = Math.min(left.length, this.rest.length);
      if (!left.subarray(0, length).equals(this.rest.subarray(0, length))) return false;
      left = left.subarray(length);
      this.rest = this.rest.subarray(length);
    }
    return true;
  }

  async atEnd(): Promise<boolean> {
    return this.rest.length === 0 && !(await this.fill());
  }

  async close(): Promise<void> {
    await this.chunks.return?.();
  }

  /** False when there is nothing more (the end, or a break: either way, no more to match). */
  private async fill(): Promise<boolean> {
    while (!this.ended && this.rest.length === 0) {
      try {
        const next = await this.chunks.next();
        if (next.done === true) this.ended = true;
        else this.rest = next.value;
      } catch (err) {
        if (!(err instanceof MemberDataError)) throw err;
        this.ended = true;
      }
    }
    return this.rest.length > 0;
  }
}
