/**
 * What a member of a Syslog report holds, decided from its first bytes rather than its name: the
 * rotated files are probably gzip, but neither their names nor their compression are documented.
 */

/** Enough for every signature below. */
export const SIGNATURE_BYTES = 6;

const GZIP = [0x1f, 0x8b];

/** Formats a syslog file may plausibly be rotated into, named in the warning that skips them. */
const UNSUPPORTED_SIGNATURES: readonly { name: string; bytes: readonly number[] }[] = [
  { name: 'bzip2', bytes: [0x42, 0x5a, 0x68] },
  { name: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: 'lz4', bytes: [0x04, 0x22, 0x4d, 0x18] },
  { name: 'Unix compress (.Z)', bytes: [0x1f, 0x9d] },
  { name: 'ZIP', bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: 'ZIP', bytes: [0x50, 0x4b, 0x05, 0x06] },
  { name: '7-Zip', bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
];

export type MemberFormat =
  | { readonly kind: 'gzip' }
  /**
   * Not compressed in a way we know: read as text, line by line. Binary content is not refused for
   * its bytes: an unclean shutdown leaves a run of NUL bytes in a text file, and the lines after it
   * are worth reading; the lines of a binary file are not PRA records, and are skipped one by one.
   */
  | { readonly kind: 'plain' }
  | { readonly kind: 'unsupported'; readonly name: string };

/** `head`: the member's first SIGNATURE_BYTES bytes, or all of it if shorter. */
export function detectFormat(head: Uint8Array): MemberFormat {
  if (startsWith(head, GZIP)) return { kind: 'gzip' };
  const unsupported = UNSUPPORTED_SIGNATURES.find((signature) => startsWith(head, signature.bytes));
  return unsupported === undefined ? { kind: 'plain' } : { kind: 'unsupported', name: unsupported.name };
}

function startsWith(head: Uint8Array, bytes: readonly number[]): boolean {
  return head.length >= bytes.length && bytes.every((byte, i) => head[i] === byte);
}
