/**
 * The names of a Syslog report's members. The archive is never extracted, so a name is only a label:
 * it orders the members (member-order.ts) and names them in warnings. yauzl's own decoding refuses
 * names that would be unsafe to extract to (`../etc/evil`, `/var/log/syslog.1`, `C:\x`), and the
 * refusal ends the listing of the whole archive; here every name is taken as it is, and made safe to
 * print instead.
 */
import yauzl, { type Entry } from 'yauzl';

/** A name is cut to this many characters in a warning: ZIP allows 65,535 bytes. */
const MAX_SHOWN_CHARS = 256;

/**
 * Control characters (a newline would forge a log line, an escape sequence rewrite a terminal),
 * and the marks that reorder the text shown around them.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * The entry's name as the archive spells it: UTF-8 when its flag or Info-ZIP's Unicode path field
 * says so, CP437 otherwise, a `\` read as `/` (as Windows archivers mean it). Never refused.
 */
export function entryName(entry: Entry): string {
  // With decodeStrings off, yauzl leaves the raw bytes and the extra fields for this.
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
}

/** `name` as a warning shows it: unprintable characters escaped (`\u000a`), a very long name cut. */
export function printableName(name: string): string {
  if (name === '') return '(a member without a name)';
  const escaped = name.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length <= MAX_SHOWN_CHARS
    ? escaped
    : `${escaped.slice(0, MAX_SHOWN_CHARS)}… (${escaped.length} characters)`;
}
