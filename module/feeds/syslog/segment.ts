/**
 * One line of PRA's syslog: a segment of an audit message.
 *
 * `Dec 11 08:50:51 host BG[69065]: 1427:01:05:event=login;site=…;when=1765443051`
 * - the syslog date has neither year nor zone, so it is never used;
 * - then the host and the app tag with the sender's pid (`BG[69065]:`; older appliances write
 *   `BG:` without a pid), and an optional space;
 * - `1427` is the site id: the same on every message of a site, not a message counter;
 * - `01:05` is segment 1 of 5: a message over about 1 KB is cut into segments, anywhere, even in
 *   the middle of a key or a value, and its segments are written one after the other by one pid;
 * - the rest of the line is the segment's share of the payload: bytes, since the cut may fall
 *   inside a multi-byte UTF-8 character.
 */

export interface SyslogSegment {
  /** Host, app tag and pid: one process of the appliance, which writes its segments in order. */
  readonly sender: string;
  /** 1-based. */
  readonly index: number;
  readonly total: number;
  /** A view of the line. */
  readonly payload: Buffer;
}

/**
 * The header is ASCII and short; only this many bytes of a line are decoded to find it. Long
 * enough for an RFC 3339 date and a fully qualified host name.
 */
const HEADER_MAX_BYTES = 512;

// The date is traditional syslog (`Dec  1 08:50:51`) or, if the appliance's syslog daemon is set
// to high precision, RFC 3339; neither is used.
const HEADER =
  /^(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\S+) (\S+) ([^\s[\]:]+)(?:\[(\d+)\])?: ?\d+:(\d+):(\d+):/;

/**
 * The shortest line HEADER matches (`2025-12-11T0 h B:1:1:1:`): shorter lines are told apart
 * without decoding them, which matters for a member of millions of short lines that are not PRA's.
 */
const MIN_HEADER_BYTES = 23;

/** The segment a line holds, or undefined if the line is not a PRA audit message. */
export function parseSegment(line: Buffer): SyslogSegment | undefined {
  if (line.length < MIN_HEADER_BYTES) return undefined;
  // latin1 maps each byte to one character, so the header's length in characters is its length in
  // bytes, whatever bytes the line holds.
  const header = HEADER.exec(line.toString('latin1', 0, HEADER_MAX_BYTES));
  if (header === null) return undefined;
  const [matched, host, tag, pid, index, total] = header;
  const segment = { index: Number(index), total: Number(total) };
  if (segment.index < 1 || segment.index > segment.total) return undefined;
  return { sender: `${host} ${tag}[${pid ?? ''}]`, ...segment, payload: line.subarray(matched.length) };
}
