/**
 * How the Syslog feed asks PRA: `generate_report=Syslog`, which answers the whole archive of the
 * appliance's syslog files as a ZIP every time (no time parameter), or an XML `<error>` document.
 * The archive is streamed to a file in the data directory, never held in memory, and read from
 * there; the file goes once the cycle is over, or at the next start after a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PraClient } from '../../pra/client';
import { parseError } from '../../pra/errors';
import { streamXml } from '../../xml/reader';
import { PraReportSink } from '../../xml/report-sink';
import type { ArchiveWarning } from './archive';
import { readSyslogReport, type SyslogReadCounts, type SyslogRecord } from './records';

/** One download, read once. */
export interface SyslogArchive {
  records: AsyncIterable<SyslogRecord>;
  /** Final once the records are read. */
  counts: SyslogReadCounts;
}

/** What the Syslog cycle needs of PRA; the cycle's tests give it an in-memory one. */
export interface SyslogSource {
  /** The current archive; undefined when PRA answers "no data". */
  download(): Promise<SyslogArchive | undefined>;
  /** Frees what the last download left (its file). */
  discard(): Promise<void>;
}

/** An appliance's syslog files, compressed, are far below this; it bounds what a runaway reply may write to disk. */
const MAX_ARCHIVE_BYTES = 8 * 1024 * 1024 * 1024;
const DOWNLOAD_FILE = 'syslog-report.download';
const ZIP_MAGIC = Buffer.from('PK');

/** A Syslog reply that is not a ZIP may only be PRA's `<error>` document. */
class ErrorDocumentSink extends PraReportSink<never> {
  constructor() {
    super('error');
  }
  protected open(): void {}
  protected close(): void {}
  protected text(): void {}
}

export class PraSyslogSource implements SyslogSource {
  private readonly file: string;

  constructor(
    private readonly client: PraClient,
    dataDir: string,
    private readonly onWarning: (warning: ArchiveWarning) => void,
  ) {
    this.file = path.join(dataDir, DOWNLOAD_FILE);
  }

  async download(): Promise<SyslogArchive | undefined> {
    await this.discard();
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const body = await this.client.openReport({
      report: 'Syslog',
      shape: 'binary',
      maxBytes: MAX_ARCHIVE_BYTES,
    });
    try {
      await pipeline(Readable.from(body), fs.createWriteStream(this.file, { mode: 0o600 }));
    } finally {
      body.destroy();
    }
    if (!(await startsWith(this.file, ZIP_MAGIC))) {
      await readErrorDocument(this.file);
      return undefined;
    }
    return readSyslogReport(this.file, this.onWarning);
  }

  discard(): Promise<void> {
    return fs.promises.rm(this.file, { force: true });
  }
}

/** A token, then the report's status and first bytes: what proves the API account can read syslog. */
export async function probeSyslog(client: PraClient): Promise<void> {
  const body = await client.openReport({ report: 'Syslog', shape: 'binary', maxBytes: MAX_ARCHIVE_BYTES });
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of body) {
      chunks.push(chunk);
      // A ZIP is proof enough; an `<error>` is read whole to tell "no data" from a refusal.
      if (chunks.length === 1 && chunk.subarray(0, 2).equals(ZIP_MAGIC)) return;
    }
    await drain(streamXml(Readable.from(chunks), new ErrorDocumentSink()));
  } finally {
    body.destroy();
  }
}

async function startsWith(file: string, magic: Buffer): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(magic.length);
    const { bytesRead } = await handle.read(head, 0, magic.length, 0);
    return bytesRead === magic.length && head.equals(magic);
  } finally {
    await handle.close();
  }
}

/** "No data" returns; any other `<error>` throws it; anything else is no Syslog report at all. */
async function readErrorDocument(file: string): Promise<void> {
  const size = (await fs.promises.stat(file)).size;
  if (size > 1024 * 1024) {
    throw parseError(`the Syslog report is neither a ZIP nor an <error> document (${size} bytes)`);
  }
  await drain(streamXml(fs.createReadStream(file), new ErrorDocumentSink()));
}

async function drain(items: AsyncIterable<unknown>): Promise<void> {
  for await (const item of items) void item;
}
