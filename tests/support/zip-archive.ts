import yazl from 'yazl';
import { collect } from './async';

export interface ZipMember {
  /** Path in the archive; a name ending in `/` is a directory, without content. */
  name: string;
  content?: Buffer | string;
  /** Defaults to a fixed date, so that only the tests that care about times set them. */
  mtime?: Date;
  /** Deflate the member in the ZIP (yazl's default) or store it. */
  compress?: boolean;
  /** Sets the entry's "encrypted" flag: yazl cannot encrypt, and the reader only looks at the flag. */
  encrypted?: boolean;
  /** Records another ZIP compression method for the entry (yazl only writes deflate or stored). */
  compressionMethod?: number;
}

const DEFAULT_MTIME = new Date('2025-12-11T08:00:00Z');

/** The bytes of a ZIP archive holding `members`, in the given order. */
export async function zipBytes(members: readonly ZipMember[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const member of members) {
    const mtime = member.mtime ?? DEFAULT_MTIME;
    if (member.name.endsWith('/')) {
      zip.addEmptyDirectory(member.name, { mtime });
    } else {
      const content = Buffer.from(member.content ?? '');
      zip.addBuffer(content, member.name, { mtime, compress: member.compress ?? true });
    }
  }
  zip.end();
  const bytes = Buffer.concat(await collect(zip.outputStream as AsyncIterable<Buffer>));
  for (const member of members) patchEntry(bytes, member);
  return bytes;
}

const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50;

/** Rewrites the flag and method of `member`'s entry in both its central and local headers. */
function patchEntry(bytes: Buffer, member: ZipMember): void {
  if (!member.encrypted && member.compressionMethod === undefined) return;
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end === -1 || bytes.readUInt32LE(end) !== END_OF_CENTRAL_DIRECTORY_SIGNATURE) {
    throw new Error('no end of central directory record');
  }
  let at = bytes.readUInt32LE(end + 16);
  for (let i = 0; i < bytes.readUInt16LE(end + 10); i++) {
    if (bytes.readUInt32LE(at) !== CENTRAL_HEADER_SIGNATURE) throw new Error('bad central header');
    const nameLength = bytes.readUInt16LE(at + 28);
    const name = bytes.toString('utf8', at + 46, at + 46 + nameLength);
    if (name === member.name) {
      const local = bytes.readUInt32LE(at + 42);
      if (member.encrypted) {
        bytes.writeUInt16LE(bytes.readUInt16LE(at + 8) | 1, at + 8);
        bytes.writeUInt16LE(bytes.readUInt16LE(local + 6) | 1, local + 6);
      }
      if (member.compressionMethod !== undefined) {
        bytes.writeUInt16LE(member.compressionMethod, at + 10);
        bytes.writeUInt16LE(member.compressionMethod, local + 8);
      }
      return;
    }
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  throw new Error(`no entry named ${member.name}`);
}
