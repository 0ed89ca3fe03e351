/**
 * The end-to-end half of `bench:syslog`: the real entry point (`pull_pra_syslog`, with the image's
 * NODE_OPTIONS) downloads the generated archive from the PRA simulator, reads it and forwards every
 * record to the intake simulator. What the collector costs (wall time, CPU, peak RSS) is measured
 * from outside; that every record arrived once is checked by count and by an order-free digest of
 * the payloads, against the archive read here beforehand.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { readSyslogReport } from '../module/feeds/syslog/records';
import { CollectorProcess, platformLaunch } from '../simulator/collector-process';
import { startPraSimulator } from '../simulator/pra';
import { startSekoiaSimulator } from '../simulator/sekoia';
import { cpuSeconds, peakRssMb } from './proc-stats';

export interface CollectorRun {
  records: number;
  delivered: number;
  /** The delivered payloads are exactly the archive's records, each once. */
  exact: boolean;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

const CHUNK_BYTES = 1024 * 1024;
/** Every record of the generated archive is within PRA's retention; none is older than this. */
const LOOKBACK_HOURS = 2160;
const TIMEOUT_MS = 30 * 60 * 1000;

/** A multiset digest: the sum of each payload's 64-bit hash, so order does not matter and a copy counts. */
class PayloadDigest {
  count = 0;
  private sum = 0n;

  add(payload: string): void {
    this.count += 1;
    this.sum += createHash('sha1').update(payload).digest().readBigUInt64BE();
  }

  equals(other: PayloadDigest): boolean {
    return this.count === other.count && this.sum === other.sum;
  }
}

/** What the intake must receive: every record the collector would read in the archive. */
async function expectedDigest(zipPath: string): Promise<PayloadDigest> {
  const digest = new PayloadDigest();
  for await (const record of readSyslogReport(zipPath, () => undefined).records) digest.add(record.payload);
  return digest;
}

/** The archive's bytes, read as the simulator sends them: a chunk at a time, never whole. */
function* fileChunks(file: string): Generator<Uint8Array> {
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const chunk = Buffer.alloc(CHUNK_BYTES);
      const read = fs.readSync(fd, chunk, 0, CHUNK_BYTES, null);
      if (read === 0) return;
      yield chunk.subarray(0, read);
    }
  } finally {
    fs.closeSync(fd);
  }
}

export async function runCollector(zipPath: string, nodeOptions: string): Promise<CollectorRun> {
  const expected = await expectedDigest(zipPath);
  const delivered = new PayloadDigest();
  const pra = await startPraSimulator({ closedSessions: 0, openSessions: 0 });
  pra.injectFault({
    kind: 'body',
    body: () => fileChunks(zipPath),
    contentType: 'application/zip',
    count: 1,
    report: 'Syslog',
  });
  const sekoia = await startSekoiaSimulator({
    secrets: { client_secret: 'sim-secret' },
    storeEvents: false,
    onBatch: (batch) => batch.jsons.forEach((payload) => delivered.add(payload)),
  });
  const collector = CollectorProcess.start(
    platformLaunch(
      { pra, sekoia },
      {
        command: 'pull_pra_syslog',
        trigger: { frequency: 86_400, first_run_lookback_hours: LOOKBACK_HOURS, request_timeout: 300 },
        env: { NODE_OPTIONS: nodeOptions },
      },
    ),
  );
  try {
    const started = Date.now();
    const pid = collector.child.pid as number;
    await Promise.race([
      sekoia.waitFor(() => delivered.count >= expected.count, TIMEOUT_MS),
      collector.exited.then(({ code, signal }) => {
        throw new Error(
          `the collector exited (code ${code}, signal ${signal}): ${collector.stderr.join(' ').slice(0, 500)}`,
        );
      }),
    ]);
    const seconds = (Date.now() - started) / 1000;
    const run = { seconds, cpuSeconds: cpuSeconds(pid), peakRssMb: peakRssMb(pid) };
    return { records: expected.count, delivered: delivered.count, exact: delivered.equals(expected), ...run };
  } finally {
    await collector.stop('SIGKILL');
    await Promise.all([pra.close(), sekoia.close()]);
  }
}
