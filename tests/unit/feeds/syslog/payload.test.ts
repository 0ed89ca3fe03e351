import { readWhen } from '../../../../module/feeds/syslog/payload';

describe('the when field', () => {
  it.each([
    ['in the middle', 'site=s;when=1765443051;who=a', 1765443051],
    ['at the start', 'when=1765443051;site=s', 1765443051],
    ['at the end', 'site=s;who=a;when=1765443051', 1765443051],
    ['alone', 'when=0', 0],
    ['after an escaped backslash, which does not escape the ;', 'note=a\\\\;when=12', 12],
    ['after a value holding an escaped ;', 'note=a\\;b;when=13', 13],
    ['the first of two', 'when=1;when=2', 1],
    ['after a when inside a value', 'note=x\\;when=1;when=2', 2],
  ])('is read %s', (_where, payload, when) => {
    expect(readWhen(payload)).toBe(when);
  });

  it.each([
    ['absent', 'site=s;who=a'],
    ['only inside a value, after an escaped ;', 'note=a\\;when=1'],
    ['only inside a value, after an escaped = and ;', 'note=a\\=b\\;when=1;who=c'],
    ['only after three backslashes (an escaped backslash, then an escaped ;)', 'note=a\\\\\\;when=1'],
    ['only as the end of another key', 'lastwhen=1;x=2'],
    ['only inside a value, after a space', 'note=see when=1'],
    ['empty', 'when=;x=1'],
    ['not a number', 'when=yesterday'],
    ['a number with more after it', 'when=12abc;x=1'],
    ['a number with an escape in it', 'when=12\\;3'],
    ['negative', 'when=-5'],
    ['beyond a safe integer', 'when=99999999999999999999'],
  ])('is undefined when %s', (_why, payload) => {
    expect(readWhen(payload)).toBeUndefined();
  });
});
