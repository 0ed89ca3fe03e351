/**
 * A reply that trickles: never silent for the timeout, never done. Against a loopback server that
 * sends bytes when the test says so, with the client's clock in the test's hands: what is measured
 * is the time the client waits for PRA, whatever the machine's speed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MIN_BYTES_PER_SECOND, type ReportBody } from '../../../module/pra/body';
import { PraClient } from '../../../module/pra/client';
import { ManualClock } from '../../support/manual-clock';
import { PraError } from '../../../module/pra/errors';
import { parseBaseUrl } from '../../../module/pra/url';

const TIMEOUT_MS = 5000;
const PRELUDE = '<?xml version="1.0"?><vault_account_activity_list>';

/** A PRA whose token endpoint answers at once and whose report replies send what `drip` is given. */
class TricklingPra {
  private reply: http.ServerResponse | undefined;
  private readonly server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/oauth2/token') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ access_token: 'stub-token', token_type: 'bearer', expires_in: 3600 }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/xml' });
    res.write(PRELUDE);
    this.reply = res;
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  drip(bytes: number): void {
    this.reply?.write(Buffer.alloc(bytes, 0x20));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let pra: TricklingPra;
let baseUrl: string;
let clock: ManualClock;

beforeEach(async () => {
  pra = new TricklingPra();
  baseUrl = await pra.start();
  clock = new ManualClock();
});

afterEach(async () => {
  await pra.close();
});

function client(): PraClient {
  return new PraClient(
    { baseUrl: parseBaseUrl(baseUrl), clientId: 'id', clientSecret: 'secret' },
    { timeoutMs: TIMEOUT_MS, requestsPerSecond: 1000, maxRetryDelayMs: 10, clock },
  );
}

/**
 * Waits for the next `bytes` of the body while `waitMs` of the clock pass; the server sends them
 * once that time is over, unless they were sent already (`sent`). The watchdog is armed by next()
 * itself, before the clock moves.
 */
async function receive(
  chunks: AsyncIterator<Buffer>,
  waitMs: number,
  bytes: number,
  sent = false,
): Promise<number> {
  let next = chunks.next();
  expect(clock.pendingTimers).toBe(1);
  clock.advance(waitMs);
  if (!sent) pra.drip(bytes);
  let received = 0;
  for (;;) {
    const result = await next;
    if (result.done === true) return received;
    received += result.value.length;
    if (received >= bytes) return received;
    next = chunks.next();
  }
}

async function open(report: 'VaultAccountActivity' | 'Syslog'): Promise<AsyncIterator<Buffer>> {
  const body: ReportBody = await client().openReport({
    report,
    shape: report === 'Syslog' ? 'binary' : 'xml',
    params: report === 'Syslog' ? {} : { start_time: '0', duration: '60' },
  });
  return body[Symbol.asyncIterator]();
}

describe('a reply that trickles', () => {
  it.each(['VaultAccountActivity', 'Syslog'] as const)(
    'cuts a %s reply sending 8 bytes every 2 s once the timeout is spent, as a timeout',
    async (report) => {
      const chunks = await open(report);
      // The prelude, sent with the headers.
      expect(await receive(chunks, 0, PRELUDE.length, true)).toBe(PRELUDE.length);
      let failure: unknown;
      let steps = 0;
      while (failure === undefined && steps < 45) {
        steps += 1;
        failure = await receive(chunks, 2000, 8).then(
          () => undefined,
          (error: unknown) => error,
        );
      }
      // Never 5 s of silence; cut in the third pause, when 5 s of waiting had passed in all.
      expect(steps).toBe(3);
      expect(failure).toBeInstanceOf(PraError);
      const bytes = PRELUDE.length + 16;
      expect(failure).toMatchObject({ kind: 'transport', timedOut: true, code: 'ETIMEDOUT' });
      const message = (failure as PraError).message;
      expect(message).toContain(`PRA streamed the ${report} report from ${new URL(baseUrl).host} too slowly`);
      expect(message).toContain(`${bytes} bytes received`);
      expect(message).toContain(
        `deadline of ${Math.round(TIMEOUT_MS + (bytes * 1000) / MIN_BYTES_PER_SECOND)} ms`,
      );
      expect(message).toMatch(/check the load of the PRA appliance and the network/);
    },
  );

  it('lets a reply at a sound rate take many times the timeout', async () => {
    const chunks = await open('VaultAccountActivity');
    await receive(chunks, 0, PRELUDE.length, true);
    // 256 KiB every 2 s, twice the floor rate, for 60 s: twelve timeouts long.
    for (let step = 0; step < 30; step += 1) {
      expect(await receive(chunks, 2000, 256 * 1024)).toBe(256 * 1024);
    }
    expect(clock.now()).toBe(60_000);
  });

  it('does not count the time the consumer holds a chunk', async () => {
    const chunks = await open('VaultAccountActivity');
    await receive(chunks, 0, PRELUDE.length, true);
    await receive(chunks, 4000, 8);
    // An intake push retrying for a minute: PRA is not the one keeping the collector waiting.
    clock.advance(60_000);
    await receive(chunks, 900, 8);
    // 4.9 s of waiting so far: the next pause ends the allowance.
    await expect(receive(chunks, 2000, 8)).rejects.toMatchObject({ timedOut: true });
  });

  it('still cuts a silent reply after the timeout, naming the silence', async () => {
    const chunks = await open('VaultAccountActivity');
    await receive(chunks, 0, PRELUDE.length, true);
    const error = await receive(chunks, TIMEOUT_MS, 0).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ kind: 'transport', timedOut: true });
    expect((error as Error).message).toMatch(/^PRA sent no data for 5000 ms while streaming/);
  });
});
