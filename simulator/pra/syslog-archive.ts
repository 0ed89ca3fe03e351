/**
 * The Syslog report: a ZIP of every syslog file of the appliance, streamed. Rotated files are gzip
 * members compressed once (they never change); the current file, and with logrotate's delaycompress
 * the newest rotated one, are plain text.
 */
import { ZipFile } from 'yazl';

import type { SimSyslogOptions } from './feed-types';
import type { SyslogFile, SyslogLog } from './syslog-log';

export interface ArchiveMember {
  name: string;
  content: Buffer;
  /** Unix seconds. */
  mtime: number;
  gzip: boolean;
}

export interface ArchiveNaming {
  fileName: string;
  rotatedNaming: NonNullable<SimSyslogOptions['rotatedNaming']>;
}

/**
 * The members in name order, as a directory listing gives them: `syslog.10.gz` sorts before
 * `syslog.2.gz`, so a collector must order rotated members by their number, not by position.
 */
export function archiveMembers(log: SyslogLog, naming: ArchiveNaming): ArchiveMember[] {
  const rotated = log.rotated.map((file: SyslogFile, i): ArchiveMember => {
    const number = i + 1;
    const plain = naming.rotatedNaming === 'delaycompress' && number === 1;
    return {
      name: `${naming.fileName}.${number}${plain ? '' : '.gz'}`,
      content: plain ? file.bytes() : file.gzipped(),
      mtime: file.mtime,
      gzip: !plain,
    };
  });
  const current = {
    name: naming.fileName,
    content: log.current.bytes(),
    mtime: log.current.mtime,
    gzip: false,
  };
  return [current, ...rotated].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The ZIP, produced as the client reads it. Gzip members are stored: deflating them again gains nothing. */
export function zipStream(members: readonly ArchiveMember[]): AsyncIterable<Buffer> {
  const zip = new ZipFile();
  for (const member of members) {
    zip.addBuffer(member.content, member.name, {
      mtime: new Date(member.mtime * 1000),
      compress: !member.gzip,
    });
  }
  zip.end();
  return zip.outputStream as AsyncIterable<Buffer>;
}
