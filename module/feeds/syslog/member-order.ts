/**
 * The order in which the members of a Syslog report are read: oldest first, so that a message whose
 * segments straddle a rotation is read in the order it was written.
 *
 * How PRA names the files in the archive is not documented, so the order is inferred from the usual
 * rotation schemes, and a name that fits none of them still has a place:
 * - the live file (no rotation suffix, `syslog`) is the newest of its family;
 * - numbered rotation (`syslog.1`, `syslog.2.gz`): the higher the number, the older;
 * - dated rotation (`syslog-20251211`, `syslog-2025121108`, `syslog-2025-12-11.gz`): by date;
 * - a compression extension (`.gz`, `.bz2`, `.xz`, `.zst`) is not part of the name for this purpose;
 * - equal rank (`syslog.1` beside `syslog.1.gz`), or a family that mixes numbers and dates: the
 *   entry's modification time, then the name.
 * A family (the name without its rotation suffix) is read whole before the next; families come in
 * the order of their oldest member's modification time, then their name.
 */

/** What the order needs to know of a ZIP entry. */
export interface OrderedMember {
  /** The entry's path in the archive. */
  readonly name: string;
  readonly modified: Date;
}

type Rotation =
  | { readonly scheme: 'live' }
  | { readonly scheme: 'numbered'; readonly number: number }
  /** `stamp`: the date's digits padded to a fixed length, so that strings compare as dates. */
  | { readonly scheme: 'dated'; readonly stamp: string };

interface ParsedName {
  readonly family: string;
  readonly rotation: Rotation;
}

const COMPRESSION_EXTENSION = /\.(?:gz|bz2|xz|zst|z)$/i;
/** Rotation numbers stay small; eight digits after a dot are a date, not a count. */
const NUMBERED = /^(.+)\.(\d{1,6})$/;
/** A date, then optionally more digits: an hour (`-%Y%m%d%H`) or a time (`-%Y%m%d-%s`). */
const DATED = /^(.+)[-._](\d{4})-?(\d{2})-?(\d{2})([-_T]?\d+)?$/;
/** Long enough for a date followed by epoch seconds. */
const STAMP_DIGITS = 24;

export function parseMemberName(name: string): ParsedName {
  const base = name.replace(COMPRESSION_EXTENSION, '');
  const dated = DATED.exec(base);
  if (dated !== null && isPlausibleDate(dated[2], dated[3], dated[4])) {
    const digits = dated[2] + dated[3] + dated[4] + (dated[5] ?? '').replace(/\D/g, '');
    return { family: dated[1], rotation: { scheme: 'dated', stamp: digits.padEnd(STAMP_DIGITS, '0') } };
  }
  const numbered = NUMBERED.exec(base);
  if (numbered !== null) {
    return { family: numbered[1], rotation: { scheme: 'numbered', number: Number(numbered[2]) } };
  }
  return { family: base, rotation: { scheme: 'live' } };
}

function isPlausibleDate(year: string, month: string, day: string): boolean {
  const [y, m, d] = [Number(year), Number(month), Number(day)];
  return y >= 1970 && y <= 2999 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/** The members, oldest first. */
export function orderMembers<M extends OrderedMember>(members: readonly M[]): M[] {
  const families = new Map<string, { member: M; rotation: Rotation }[]>();
  for (const member of members) {
    const { family, rotation } = parseMemberName(member.name);
    const list = families.get(family) ?? [];
    list.push({ member, rotation });
    families.set(family, list);
  }
  const ordered = [...families.entries()].map(([family, list]) => ({
    family,
    members: orderFamily(list),
  }));
  ordered.sort(
    (a, b) =>
      oldest(a.members) - oldest(b.members) || (a.family < b.family ? -1 : a.family > b.family ? 1 : 0),
  );
  return ordered.flatMap((family) => family.members);
}

function orderFamily<M extends OrderedMember>(list: { member: M; rotation: Rotation }[]): M[] {
  const rotatedSchemes = new Set(list.map((item) => item.rotation.scheme).filter((s) => s !== 'live'));
  // A family that both numbers and dates its files has no single order of suffixes: time decides.
  const bySuffix = rotatedSchemes.size <= 1;
  return list
    .sort(
      (a, b) =>
        (bySuffix ? compareRotations(a.rotation, b.rotation) : compareLiveLast(a.rotation, b.rotation)) ||
        compareByTimeThenName(a.member, b.member),
    )
    .map((item) => item.member);
}

/** Negative when `a` is older. Both rotated members use the same scheme, or one is live. */
function compareRotations(a: Rotation, b: Rotation): number {
  if (a.scheme === 'numbered' && b.scheme === 'numbered') return b.number - a.number;
  if (a.scheme === 'dated' && b.scheme === 'dated') return a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0;
  return compareLiveLast(a, b);
}

function compareLiveLast(a: Rotation, b: Rotation): number {
  return Number(a.scheme === 'live') - Number(b.scheme === 'live');
}

function compareByTimeThenName(a: OrderedMember, b: OrderedMember): number {
  return a.modified.getTime() - b.modified.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function oldest(members: readonly OrderedMember[]): number {
  return members.reduce((min, member) => Math.min(min, member.modified.getTime()), Infinity);
}
