/**
 * Writes a realistic PRA Syslog report (a ZIP of rotated syslog files) of about a given
 * uncompressed size, straight to disk, a line at a time. Deterministic: the same size and seed give
 * the same archive.
 *
 * What it holds, as an appliance's syslog does: a live file and `syslog.1` in plain text, older
 * rotations gzip-compressed (`syslog.2.gz`…); PRA audit messages from several worker pids written
 * concurrently, so their segments interleave; messages over 1000 bytes cut into segments at a
 * byte count, so a cut may fall in a key, a value or a multi-byte character; messages that
 * straddle a rotation; escaped values, non-ASCII names; and a few lines of other daemons.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import yazl from 'yazl';
import { Rng } from '../simulator/pra/data';
import { segmentHeader, syslogDate } from '../simulator/pra/syslog-log';

export interface GeneratedArchive {
  /** Bytes of syslog text in the archive's members, uncompressed. */
  textBytes: number;
  lines: number;
  /** Audit messages written, every one of them whole. */
  records: number;
  /** Lines of other daemons, which are not PRA audit messages. */
  otherLines: number;
}

const MEMBERS = 8;
/** PRA cuts messages over about 1 KB. */
const SEGMENT_BYTES = 1000;
const PIDS = [4211, 4212, 4213, 4214, 69065, 69066, 69070, 71002];
const SITE_ID = 1427;
const HOST = 'pra01';
const BATCH_BYTES = 1024 * 1024;
const USERS = [
  'JOHN DOE (john.doe@example.org)',
  'Jürgen Müller (j.mueller@example.de)',
  'API client (4c6f1e2a9b)',
  'Søren Ødegård (soren@example.no)',
  '佐藤 花子 (hanako.sato@example.jp)',
];
const PERMISSIONS = ['jump_item_role', 'vault_account_role', 'session_policy', 'team_role', 'admin_flag'];

/** One audit message's payload; about one in ten is long enough to be cut into segments. */
function payload(rng: Rng, when: number, n: number): string {
  const who = `site=pra.example.com;when=${when};who=${rng.pick(USERS)};who_ip=192.0.2.${n % 250}`;
  const kind = rng.next();
  if (kind < 0.4) return `${who};event=token;client_id=4c6f1e2a9b`;
  if (kind < 0.65) return `${who};event=login;status=success;target=web/login;session=${n.toString(16)}`;
  if (kind < 0.8) return `${who};event=logout;target=web/login`;
  if (kind < 0.9) {
    const note = rng.chance(0.5) ? 'ticket CHG-42\\; approved by J. Doe' : 'ratio a\\=b, path C:\\\\pra';
    return `${who};event=setting_changed;old_api=0;new_api=1;comment=${note}`;
  }
  const changes = Array.from(
    { length: rng.int(20, 139) },
    (_, i) =>
      `old_${rng.pick(PERMISSIONS)}_${i}=none;new_${rng.pick(PERMISSIONS)}_${i}=Privileged Operators ${n % 97}`,
  );
  return `${who};event=user_changed;user=op${n % 53};${changes.join(';')}`;
}

/** The syslog lines of one message, one per segment of at most SEGMENT_BYTES bytes. */
function segmentLines(pid: number, when: number, message: string): Buffer[] {
  const bytes = Buffer.from(message, 'utf8');
  const total = Math.ceil(bytes.length / SEGMENT_BYTES);
  return Array.from({ length: total }, (_, i) => {
    const header = segmentHeader(when, { host: HOST, pid, siteId: SITE_ID, noSpace: false }, i + 1, total);
    const piece = bytes.subarray(i * SEGMENT_BYTES, (i + 1) * SEGMENT_BYTES);
    return Buffer.concat([Buffer.from(header), piece, Buffer.from('\n')]);
  });
}

/** Writes the messages of every pid, interleaved, until `shouldStop`; messages may be left open. */
class SyslogWriter {
  readonly counts = { textBytes: 0, lines: 0, records: 0, otherLines: 0 };
  private readonly rng: Rng;
  private readonly open = new Map<number, Buffer[]>();
  private when: number;

  constructor(
    seed: number,
    firstWhen: number,
    private readonly onRecord: (payload: string) => void,
  ) {
    this.rng = new Rng(seed);
    this.when = firstWhen;
  }

  /** Writes about `bytes` bytes of lines to `out`; with `closeAll`, finishes every open message. */
  async write(out: Writable, bytes: number, closeAll: boolean): Promise<void> {
    let written = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const flush = async (): Promise<void> => {
      if (!out.write(Buffer.concat(batch))) await once(out, 'drain');
      batch = [];
      batchBytes = 0;
    };
    while (written < bytes || (closeAll && this.open.size > 0)) {
      const line = written < bytes ? this.nextLine() : this.nextLineOfOpenMessage();
      batch.push(line);
      batchBytes += line.length;
      written += line.length;
      if (batchBytes >= BATCH_BYTES) await flush();
    }
    await flush();
    this.counts.textBytes += written;
  }

  private nextLine(): Buffer {
    this.counts.lines++;
    if (this.rng.chance(0.005)) {
      this.counts.otherLines++;
      return Buffer.from(
        `${syslogDate(this.when)} ${HOST} kernel: [${this.when % 100000}.123] eth0: link up\n`,
      );
    }
    const pid = this.rng.pick(PIDS);
    let segments = this.open.get(pid);
    if (segments === undefined) {
      this.when += this.rng.int(0, 1);
      const message = payload(this.rng, this.when, this.counts.records);
      this.onRecord(message);
      segments = segmentLines(pid, this.when, message);
      this.counts.records++;
      this.open.set(pid, segments);
    }
    return this.takeSegment(pid, segments);
  }

  private nextLineOfOpenMessage(): Buffer {
    const [pid, segments] = this.open.entries().next().value as [number, Buffer[]];
    this.counts.lines++;
    return this.takeSegment(pid, segments);
  }

  private takeSegment(pid: number, segments: Buffer[]): Buffer {
    const line = segments.shift() as Buffer;
    if (segments.length === 0) this.open.delete(pid);
    return line;
  }
}

/**
 * Writes the members into `dir` (oldest first, so that time runs forward across rotations), then
 * the archive `zipPath` holding them: gzip members stored as they are, text members deflated.
 * `onRecord` gets the payload of every audit message as it is generated: every one is written
 * whole, so these are the events a collector must forward, known without reading the archive.
 */
export async function generateSyslogArchive(
  dir: string,
  zipPath: string,
  textBytes: number,
  seed: number,
  /** The `when` of the first record (unix seconds); each next one is 0 or 1 s later. */
  firstWhen: number,
  onRecord: (payload: string) => void = () => undefined,
): Promise<GeneratedArchive> {
  await mkdir(dir, { recursive: true });
  const writer = new SyslogWriter(seed, firstWhen, onRecord);
  const zip = new yazl.ZipFile();
  for (let rotation = MEMBERS - 1; rotation >= 0; rotation--) {
    const gzip = rotation >= 2;
    const name = rotation === 0 ? 'syslog' : `syslog.${rotation}${gzip ? '.gz' : ''}`;
    const file = createWriteStream(join(dir, name));
    const out = gzip ? createGzip() : file;
    if (gzip) out.pipe(file);
    await writer.write(out, textBytes / MEMBERS, rotation === 0);
    out.end();
    await once(file, 'close');
    zip.addFile(join(dir, name), name, { compress: !gzip });
  }
  zip.end();
  const output = createWriteStream(zipPath);
  zip.outputStream.pipe(output);
  await once(output, 'close');
  return writer.counts;
}
