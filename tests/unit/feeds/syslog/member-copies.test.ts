import { compareContents, type Comparison } from '../../../../module/feeds/syslog/member-copies';
import { MemberDataError } from '../../../../module/feeds/syslog/member-stream';

/** `text` in chunks of `size` characters, then a data error if `breaks`. */
async function* stream(text: string, size: number, breaks = false): AsyncGenerator<Buffer> {
  for (let at = 0; at < text.length; at += size) yield Buffer.from(text.slice(at, at + size));
  if (breaks) throw new MemberDataError('unexpected end of file');
}

const ORIGINAL = 'abcdefghijklmnopqrstuvwxyz'.repeat(40);

describe('comparing a member with one read before', () => {
  it.each<[string, string, boolean, Comparison]>([
    ['the same bytes', ORIGINAL, false, 'same'],
    ['its start', ORIGINAL.slice(0, 500), false, 'start'],
    ['its start, then a break', ORIGINAL.slice(0, 500), true, 'cut'],
    ['one byte different', `${ORIGINAL.slice(0, 700)}!${ORIGINAL.slice(701)}`, false, 'different'],
    ['more bytes', `${ORIGINAL}more`, false, 'different'],
  ])('tells %s, whatever the chunks of either', async (_what, copy, breaks, verdict) => {
    for (const [mine, theirs] of [
      [1, 1000],
      [7, 13],
      [1000, 3],
    ]) {
      const result = await compareContents(stream(copy, mine, breaks), stream(ORIGINAL, theirs), () => true);
      expect(result).toBe(verdict);
    }
  });

  it('takes a break of the original for a difference', async () => {
    const result = await compareContents(
      stream(ORIGINAL, 10),
      stream(ORIGINAL.slice(0, 100), 10, true),
      () => true,
    );
    expect(result).toBe('different');
  });

  it('stops when asked, and closes both streams', async () => {
    let closed = 0;
    async function* tracked(text: string): AsyncGenerator<Buffer> {
      try {
        yield* stream(text, 10);
      } finally {
        closed++;
      }
    }
    let asked = 0;
    const result = await compareContents(tracked(ORIGINAL), tracked(ORIGINAL), () => ++asked < 3);
    expect(result).toBe('stopped');
    expect(closed).toBe(2);
  });
});
