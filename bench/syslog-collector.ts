/**
 * The end-to-end half of `bench:syslog`: the real entry point (`pull_pra_syslog`, with the image's
 * NODE_OPTIONS) downloads the generated archive from the PRA simulator, reads it and forwards every
 * record to the intake simulator. What the collector costs (wall time, CPU, peak RSS) is measured
 * from outside; that every record arrived once is checked by the exactly-once judge against the
 * payloads the generator wrote (their digests), never by reading the archive with the module.
 */
import fs from 'node:fs';
import { CollectorProcess, platformLaunch } from '../simulator/collector-process';
import { digestKey, ExactlyOnce, type DeliveryCount } from '../simulator/delivery-check';
import { startPraSimulator } from '../simulator/pra';
import { startSekoiaSimulator } from '../simulator/sekoia';
import { cpuSeconds, peakRssMb } from './proc-stats';

export interface CollectorRun {
  records: number;
  delivered: number;
  /** The delivered payloads against the generated records: each must arrive once. */
  delivery: DeliveryCount;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

const CHUNK_BYTES = 1024 * 1024;
/** Every record of the generated archive is within PRA's retention; none is older than this. */
const LOOKBACK_HOURS = 2160;
const TIMEOUT_MS = 30 * 60 * 1000;

/** The length of one digest of the generator's file (see digestKey). */
const DIGEST_CHARS = 16;

/** A judge expecting each payload whose digest the generator wrote, once per digest. */
function judgeOf(payloadDigestsPath: string): ExactlyOnce {
  const judge = new ExactlyOnce(digestKey);
  const digests = fs.readFileSync(payloadDigestsPath, 'latin1');
  for (let i = 0; i < digests.length; i += DIGEST_CHARS) judge.expect(digests.slice(i, i + DIGEST_CHARS));
  return judge;
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

export async function runCollector(
  zipPath: string,
  payloadDigestsPath: string,
  nodeOptions: string,
): Promise<CollectorRun> {
  const judge = judgeOf(payloadDigestsPath);
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
    onBatch: (batch) => judge.record(batch.jsons),
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
      sekoia.waitFor(() => judge.delivered >= judge.expected, TIMEOUT_MS),
      collector.exited.then(({ code, signal }) => {
        throw new Error(
          `the collector exited (code ${code}, signal ${signal}): ${collector.stderr.join(' ').slice(0, 500)}`,
        );
      }),
    ]);
    const seconds = (Date.now() - started) / 1000;
    const run = { seconds, cpuSeconds: cpuSeconds(pid), peakRssMb: peakRssMb(pid) };
    const delivery = judge.count();
    return { records: delivery.expected, delivered: delivery.delivered, delivery, ...run };
  } finally {
    await collector.stop('SIGKILL');
    await Promise.all([pra.close(), sekoia.close()]);
  }
}
