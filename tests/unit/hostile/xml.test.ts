/**
 * Parser level: the large hostile documents fail at the parser's caps after reading a small,
 * bounded part of them. (The DOCTYPE, small depth and size cases are in tests/unit/feeds/sessions/report-parser/errors.test.ts.)
 */
import { PraError } from '../../../module/pra/errors';
import { parseAccessSessionReport } from '../../../module/feeds/sessions/report-parser';
import { MAX_DEPTH, MAX_TOKEN_CHARS } from '../../../module/xml/reader';
import { billionLaughs, deepNesting, hugeAttribute, type CountingSource } from './inputs';

async function parseFailure(source: CountingSource | string): Promise<PraError> {
  const input = typeof source === 'string' ? [source] : source();
  try {
    for await (const item of parseAccessSessionReport(toAsync(input))) void item;
  } catch (error) {
    expect(error).toMatchObject({ kind: 'parse' });
    return error as PraError;
  }
  throw new Error('expected a parse error');
}

async function* toAsync(pieces: Iterable<string>): AsyncGenerator<string> {
  yield* pieces;
}

const MB = 1024 * 1024;

describe('hostile XML at the parser', () => {
  it('stops a 50 MB attribute at the value cap, having read about 1 MiB of it', async () => {
    const source = hugeAttribute('a', 50 * MB);
    const started = performance.now();
    const error = await parseFailure(source);
    expect(error.message).toMatch(/too large: over 1048576 characters/);
    expect(error.line).toBe(1);
    expect(source.produced).toBeLessThan(MAX_TOKEN_CHARS + MB);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('stops 100 000 nested elements at the depth cap within the first piece of input', async () => {
    const source = deepNesting('a', 100_000);
    const error = await parseFailure(source);
    expect(error.message).toMatch(new RegExp(`nested deeper than ${MAX_DEPTH} levels`));
    // The first 10 000 levels are one generator piece; the second piece is never asked for.
    expect(source.produced).toBeLessThan(40_000);
  });

  it('refuses the billion-laughs DTD without expanding it: little time, little memory', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const error = await parseFailure(billionLaughs('a'));
    expect(error.message).toMatch(/^DOCTYPE is not allowed in a PRA report/);
    expect(performance.now() - started).toBeLessThan(500);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * MB);
  });
});
