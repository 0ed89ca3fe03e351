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
import { apiError, PraError } from '../../pra/errors';
import { streamXml } from '../../xml/reader';
import { ErrorTextSink, isNoDataMessage } from '../../xml/report-sink';
import { ErrorTexts, type ReportAsked } from '../error-texts';
import { isZipHead, peek, ZIP_SIGNATURE_BYTES } from '../report-head';
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
const SYSLOG: ReportAsked = { report: 'Syslog', windows: false };
/** PRA's `<error>` document is a line of text; anything longer is no such document. */
const MAX_ERROR_DOCUMENT_BYTES = 1024 * 1024;
/** Disk errors that the operator, not PRA, must fix. */
const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EFBIG']);

export class PraSyslogSource implements SyslogSource {
  private readonly file: string;

  constructor(
    private readonly client: PraClient,
    dataDir: string,
    private readonly onWarning: (warning: ArchiveWarning) => void,
    /** False once the trigger stops: the reader then ends within a chunk, whatever a member holds. */
    private readonly running: () => boolean = () => true,
  ) {
    this.file = path.join(dataDir, DOWNLOAD_FILE);
  }

  async download(): Promise<SyslogArchive | undefined> {
    await this.discard();
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const body = await openSyslogReport(this.client);
    try {
      const zip = await zipOf(this.client, body);
      if (zip === undefined) return undefined;
      await this.save(zip);
    } finally {
      body.destroy();
    }
    return readSyslogReport(this.file, this.onWarning, { running: this.running });
  }

  discard(): Promise<void> {
    return fs.promises.rm(this.file, { force: true });
  }

  /** Streams the archive to disk; a full disk says which file and what to free, not "ENOSPC … write". */
  private async save(zip: AsyncIterable<Buffer>): Promise<void> {
    const written = { bytes: 0 };
    try {
      await pipeline(Readable.from(counted(zip, written)), fs.createWriteStream(this.file, { mode: 0o600 }));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined || !DISK_CODES.has(code)) throw error;
      throw new Error(
        `could not write the Syslog archive to ${this.file} (${code}) after ${written.bytes} bytes: ` +
          `check the free space and the permissions of the data directory ${path.dirname(this.file)}`,
        { cause: error },
      );
    }
  }
}

/** A token, then the report's status and first bytes: what proves the API account can read syslog. */
export async function probeSyslog(client: PraClient): Promise<void> {
  const body = await openSyslogReport(client);
  try {
    await zipOf(client, body);
  } finally {
    body.destroy();
  }
}

function openSyslogReport(client: PraClient): ReturnType<PraClient['openReport']> {
  return client.openReport({ report: 'Syslog', shape: 'binary', maxBytes: MAX_ARCHIVE_BYTES });
}

/**
 * The reply's bytes from the first when it is a ZIP, known from its first four bytes whatever the
 * chunking; undefined when it is PRA's "no data" `<error>`. Any other reply throws what it is.
 */
async function zipOf(
  client: PraClient,
  body: AsyncIterable<Buffer>,
): Promise<AsyncIterable<Buffer> | undefined> {
  const { head, whole } = await peek(body, ZIP_SIGNATURE_BYTES);
  if (isZipHead(head)) return whole;
  await ErrorTexts.of(client).whole(SYSLOG, () => readErrorDocument(whole), undefined);
  return undefined;
}

/**
 * A Syslog reply that is no ZIP may only be PRA's `<error>` document: "no data" returns, another
 * text throws it as PRA's error; a page or a text that is not such a document says what it is.
 */
async function readErrorDocument(body: AsyncIterable<Buffer>): Promise<void> {
  const { head, whole } = await peek(body, 256);
  const sink = new ErrorTextSink();
  try {
    for await (const item of streamXml(capped(whole, MAX_ERROR_DOCUMENT_BYTES), sink)) void item;
  } catch (error) {
    if (!(error instanceof PraError) || sink.text === undefined) throw notAnArchive(head, error);
  }
  if (sink.text === undefined) throw notAnArchive(head);
  if (!isNoDataMessage(sink.text)) throw apiError(sink.text.trim());
}

function notAnArchive(head: Buffer, cause?: unknown): PraError {
  const start = head.toString('utf8').replace(/\s+/g, ' ').trim();
  const what = /^(?:<!doctype html|<html)/i.test(start)
    ? 'an HTML page'
    : `a body that is neither a ZIP archive nor PRA's <error> document (it starts with ${JSON.stringify(start.slice(0, 60))})`;
  return new PraError(
    'unexpected_response',
    `PRA answered the Syslog report with ${what}: check that the base URL is the PRA site and that no proxy, load balancer or login portal answers in its place`,
    { cause },
  );
}

async function* capped(body: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > maxBytes) throw new PraError('unexpected_response', `more than ${maxBytes} bytes`);
    yield chunk;
  }
}

async function* counted(body: AsyncIterable<Buffer>, count: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    yield chunk;
    count.bytes += chunk.length;
  }
}
