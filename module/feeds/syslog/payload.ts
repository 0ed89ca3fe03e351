/**
 * Reading a PRA audit payload: `key=value;key=value…`, where `=`, `;` and `\` inside a value are
 * escaped with a backslash, so `note=a\;when=1` is one field whose value is `a;when=1`.
 */

const WHEN_KEY = 'when=';
const BACKSLASH = 0x5c;
const SEMICOLON = 0x3b;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * The `when` field (the event time, unix seconds) of a payload, or undefined when there is none or
 * its value is not a number. The first `when` field decides.
 */
export function readWhen(payload: string): number | undefined {
  for (let at = payload.indexOf(WHEN_KEY); at !== -1; at = payload.indexOf(WHEN_KEY, at + 1)) {
    if (startsField(payload, at)) return digitsValue(payload, at + WHEN_KEY.length);
  }
  return undefined;
}

/**
 * Whether `at` is the start of a field: the payload's start, or just after a `;` that is not
 * escaped. A `;` is escaped when an odd number of backslashes precede it: `\\` is an escaped
 * backslash, and the run of backslashes starts after a character that is not one.
 */
function startsField(payload: string, at: number): boolean {
  if (at === 0) return true;
  if (payload.charCodeAt(at - 1) !== SEMICOLON) return false;
  let backslashes = 0;
  while (at - 2 - backslashes >= 0 && payload.charCodeAt(at - 2 - backslashes) === BACKSLASH) backslashes++;
  return backslashes % 2 === 0;
}

/** The value from `start` to the end of its field, if it is all digits and a safe integer. */
function digitsValue(payload: string, start: number): number | undefined {
  let end = start;
  while (end < payload.length && payload.charCodeAt(end) >= DIGIT_0 && payload.charCodeAt(end) <= DIGIT_9)
    end++;
  if (end === start || (end < payload.length && payload.charCodeAt(end) !== SEMICOLON)) return undefined;
  const value = Number(payload.slice(start, end));
  return Number.isSafeInteger(value) ? value : undefined;
}
