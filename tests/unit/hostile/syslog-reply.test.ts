/**
 * Syslog replies that are not what they should be: the probe and the download look at the first
 * bytes before anything else, hold nothing large in memory, write nothing that is no ZIP to disk,
 * and say what the reply was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PraSyslogSource, probeSyslog } from '../../../module/feeds/syslog/source';
import { PraClient } from '../../../module/pra/client';
import { parseBaseUrl } from '../../../module/pra/url';
import { startPraSimulator, type PraSimulator } from '../../../simulator/pra';
import { TempDir } from '../../support/temp-file';

let pra: PraSimulator;
let client: PraClient;
let dir: TempDir;

beforeEach(async () => {
  pra = await startPraSimulator({ closedSessions: 0, openSessions: 0 });
  client = new PraClient(
    { baseUrl: parseBaseUrl(pra.url), clientId: 'sim-client', clientSecret: 'sim-secret' },
    { timeoutMs: 5000, requestsPerSecond: 1000, maxRetryDelayMs: 10, maxAttempts: 1 },
  );
  dir = new TempDir();
});

afterEach(async () => {
  dir.remove();
  await pra.close();
});

const MiB = 1024 * 1024;

/** `total` bytes of `fill`, produced only as fast as they are read; `produced` counts them. */
function endless(fill: string, total: number, produced: { bytes: number }): () => Iterable<Uint8Array> {
  const chunk = Buffer.alloc(64 * 1024, fill);
  return function* () {
    for (let sent = 0; sent < total; sent += chunk.length) {
      produced.bytes += chunk.length;
      yield chunk;
    }
  };
}

function serve(body: () => Iterable<Uint8Array>, contentType = 'application/zip'): void {
  pra.injectFault({ kind: 'body', report: 'Syslog', count: 1, contentType, body });
}

describe('a Syslog reply that is no ZIP', () => {
  it('fails the probe after reading a bounded head of a 512 MiB body, saying what it was', async () => {
    const produced = { bytes: 0 };
    serve(endless('A', 512 * MiB, produced));
    await expect(probeSyslog(client)).rejects.toMatchObject({
      kind: 'unexpected_response',
      message: expect.stringMatching(
        /neither a ZIP archive nor PRA's <error> document \(it starts with "AAAA/,
      ),
    });
    // What the server had produced when the client hung up: the cap plus what the sockets buffer.
    expect(produced.bytes).toBeLessThan(64 * MiB);
  });

  it('says an HTML page is an HTML page, and writes nothing of it to disk', async () => {
    serve(() => [Buffer.from('<!DOCTYPE html><html><body>Service Unavailable</body></html>')], 'text/plain');
    const source = new PraSyslogSource(client, dir.path, () => undefined);
    await expect(source.download()).rejects.toMatchObject({
      kind: 'unexpected_response',
      message: expect.stringMatching(/an HTML page: check that the base URL is the PRA site/),
    });
    expect(fs.readdirSync(dir.path)).toEqual([]);
  });

  it('says a plain "Service Unavailable" text is neither a ZIP nor an <error> document', async () => {
    serve(() => [Buffer.from('Service Unavailable')]);
    const source = new PraSyslogSource(client, dir.path, () => undefined);
    await expect(source.download()).rejects.toThrow(/neither a ZIP archive.*"Service Unavailable"/);
  });

  it('reads a ZIP whose first chunk is a single byte', async () => {
    const archive = await simulatorArchive();
    serve(() => [archive.subarray(0, 1), archive.subarray(1, 3), archive.subarray(3)]);
    await expect(probeSyslog(client)).resolves.toBeUndefined();
    serve(() => [archive.subarray(0, 1), archive.subarray(1)]);
    const source = new PraSyslogSource(client, dir.path, () => undefined);
    const download = await source.download();
    expect(download).toBeDefined();
    expect(fs.statSync(path.join(dir.path, 'syslog-report.download')).size).toBe(archive.length);
    await source.discard();
  });
});

/** The simulator's own Syslog archive, as its reporting API serves it. */
async function simulatorArchive(): Promise<Buffer> {
  const body = await client.openReport({ report: 'Syslog', shape: 'binary' });
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}
