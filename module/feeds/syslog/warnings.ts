/** What the reading of a Syslog report warns of. The caller logs `message`, which names the member. */

interface MemberWarning<K extends string> {
  readonly kind: K;
  /** The member, as a log line may show its name (member-names.ts). */
  readonly member: string;
  readonly message: string;
}

/** Records forwarded incomplete because too much waited for segments (HoldLimits in assembler.ts). */
export type RecordsForcedOutWarning = MemberWarning<'records-forced-out'> & { readonly records: number };

export type ArchiveWarning =
  /** Nothing of the member was read: a directory, encrypted, a compression not read. */
  | MemberWarning<'member-skipped'>
  /** The member's data broke off (corrupt or truncated): the lines before the break were read. */
  | MemberWarning<'member-cut'>
  /** Not read: its content, or the start of it, is that of `original`, read already in this archive. */
  | (MemberWarning<'member-duplicate'> & { readonly original: string })
  /** Read despite a fault of its own: sizes in the archive's list that disagree, NUL bytes in lines. */
  | MemberWarning<'member-repaired'>
  /** One line was skipped: longer than MAX_LINE_BYTES, or without a line end at the member's end. */
  | (MemberWarning<'line-skipped'> & { readonly line: number })
  | RecordsForcedOutWarning
  /**
   * The archive's list of members broke off after `listed` of them, which were read; `member` is
   * the archive's path.
   */
  | (MemberWarning<'list-cut'> & { readonly listed: number });
