import { LineSplitter } from '../../../../module/feeds/syslog/lines';

/** Splits `input` fed in pieces of `size` bytes; returns the lines (copied) and the tail. */
function split(
  input: Buffer,
  size: number,
  maxLineBytes = 64,
): { lines: string[]; tail?: string; tooLong: number[] } {
  const tooLong: number[] = [];
  const splitter = new LineSplitter((line) => tooLong.push(line), maxLineBytes);
  const lines: string[] = [];
  for (let at = 0; at < input.length; at += size) {
    for (const line of splitter.push(input.subarray(at, at + size))) lines.push(line.toString('utf8'));
  }
  return { lines, tail: splitter.takeUnterminated()?.toString('utf8'), tooLong };
}

describe('LineSplitter', () => {
  const input = Buffer.from(`first\r\nzweite Zeile 東京 🚀\n\n${'l'.repeat(70)}\nlast\r\nno end`, 'utf8');

  it.each([1, 2, 3, 7, 64, input.length])(
    'gives the same lines whatever the chunk size (%i bytes)',
    (size) => {
      expect(split(input, size)).toStrictEqual({
        lines: ['first', 'zweite Zeile 東京 🚀', '', 'last'],
        tail: 'no end',
        tooLong: [4],
      });
    },
  );

  it('keeps a line of exactly the bound and skips one byte more', () => {
    const { lines, tooLong } = split(Buffer.from(`${'a'.repeat(64)}\n${'b'.repeat(65)}\nc\n`), 10);
    expect(lines).toStrictEqual(['a'.repeat(64), 'c']);
    expect(tooLong).toStrictEqual([2]);
  });

  it('reports an over-long line once, however many chunks it spans', () => {
    const { lines, tooLong, tail } = split(Buffer.from(`${'x'.repeat(1000)}\nnext\n${'y'.repeat(100)}`), 16);
    expect(lines).toStrictEqual(['next']);
    expect(tooLong).toStrictEqual([1, 3]);
    expect(tail).toBeUndefined();
  });

  it('has no tail when the input ends with a line end', () => {
    expect(split(Buffer.from('a\n'), 1).tail).toBeUndefined();
  });

  it('does not keep the chunk alive through a partial line', () => {
    const splitter = new LineSplitter(() => undefined);
    const chunk = Buffer.from('abc\ndef');
    splitter.push(chunk);
    chunk.fill(0x2d);
    expect(splitter.push(Buffer.from('\n')).map(String)).toStrictEqual(['def']);
  });
});

describe('NUL bytes', () => {
  // What an unclean shutdown leaves: the last writes lost as a run of NULs, often in the middle of a
  // line, and the next line written after the reboot right after the run.
  const input = Buffer.concat([
    Buffer.from('before\nhalf a li'),
    Buffer.alloc(300),
    Buffer.from('after the reboot\nx\u0000y\u0000z\n\u0000\nlast'),
  ]);

  it.each([1, 2, 7, 64, 100, input.length])(
    'reads a line from after its last NUL byte, whatever the chunk size (%i bytes)',
    (size) => {
      expect(split(input, size, 1000)).toStrictEqual({
        lines: ['before', 'after the reboot', 'z', ''],
        tail: 'last',
        tooLong: [],
      });
    },
  );

  it('counts the lines that held NUL bytes, once each', () => {
    const splitter = new LineSplitter(() => undefined);
    for (let at = 0; at < input.length; at += 3) splitter.push(input.subarray(at, at + 3));
    expect(splitter.linesWithNul).toBe(3);
  });

  it('does not count a run of NULs without a line end as a line too long', () => {
    const tooLong: number[] = [];
    const splitter = new LineSplitter((line) => tooLong.push(line), 64);
    for (let i = 0; i < 100; i++) splitter.push(Buffer.alloc(1000));
    expect(splitter.push(Buffer.from('text\n')).map(String)).toStrictEqual(['text']);
    expect(tooLong).toStrictEqual([]);
  });

  it('reads a line after a NUL once a line too long was being skipped', () => {
    const { lines, tooLong } = split(Buffer.from(`${'l'.repeat(100)}\u0000kept\nnext\n`), 10, 64);
    expect(lines).toStrictEqual(['kept', 'next']);
    expect(tooLong).toStrictEqual([1]);
  });
});
