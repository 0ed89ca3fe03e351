/**
 * Client level: the body caps (maxReportBytes, maxListingBytes) against the loopback PRA
 * simulator. HTML with status 200, a non-XML body and a stalled body are covered in
 * tests/pra/pra-client.test.ts; the collector's handling of all of them is in collector.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReportParseError } from '../../module/pra/errors';
import {
  PraClient,
  PraConfigurationError,
  PraResponseTooLargeError,
  PraUnexpectedResponseError,
  type PraClientOptions,
} from '../../module/pra/client';
import { startPraSimulator, type PraSimulator } from '../../simulator/pra';
import { hugeAttribute } from './inputs';

let sim: PraSimulator;

beforeEach(async () => {
  sim = await startPraSimulator({ closedSessions: 2, openSessions: 0, eventsPerSession: 5 });
});

afterEach(async () => {
  await sim.close();
});

function client(options: Partial<PraClientOptions> = {}): PraClient {
  return new PraClient({
    baseUrl: sim.url,
    clientId: 'sim-client',
    clientSecret: 'sim-secret',
    timeoutMs: 2000,
    maxRetryDelayMs: 10,
    requestsPerSecond: 1000,
    ...options,
  });
}

async function failure(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

async function drain(items: AsyncIterable<unknown>): Promise<void> {
  for await (const item of items) void item;
}

const reportingCalls = (): number => sim.requests.filter((r) => r.path === '/api/reporting').length;

describe('body caps', () => {
  it('stops an AccessSession body at maxReportBytes with a typed error, without reading the rest', async () => {
    const lsid = sim.sessions[0].lsid;
    // The parser's 1 MiB value cap would stop this body too; the 256 KiB body cap comes first.
    const source = hugeAttribute(lsid, 50 * 1024 * 1024);
    sim.injectFault({ kind: 'body', body: source, count: 1, lsid });
    const error = await failure(() => drain(client({ maxReportBytes: 256 * 1024 }).fetchSessions([lsid])));
    expect(error).toBeInstanceOf(PraResponseTooLargeError);
    // The trigger treats a PraUnexpectedResponseError as tenant-wide; an oversized report is the session's.
    expect(error).not.toBeInstanceOf(PraUnexpectedResponseError);
    expect(error).toBeInstanceOf(ReportParseError);
    expect(error.message).toMatch(/the AccessSession report from 127\.0\.0\.1:\d+ exceeds 262144 bytes/);
    expect(error.message).toMatch(/ask for fewer sessions/);
    // The simulator records a request once its reply is over: here, once the client hung up.
    await sim.waitFor(() => sim.requests.some((r) => r.fault === 'body'));
    expect(reportingCalls()).toBe(1);
    expect(source.produced).toBeLessThan(10 * 1024 * 1024);
  });

  it('stops a listing at maxListingBytes, without retrying it', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => `<session_summary lsid="s${i}"/>`).join('');
    sim.injectFault({
      kind: 'body',
      body: `<session_summary_list>${many}</session_summary_list>`,
      count: 5,
      target: 'reporting',
    });
    const error = await failure(() => client({ maxListingBytes: 4096 }).listSessions({ startTime: 0 }));
    expect(error).toBeInstanceOf(PraResponseTooLargeError);
    expect((error as PraResponseTooLargeError).report).toBe('AccessSessionListing');
    expect(error.message).toMatch(/exceeds 4096 bytes: use a narrower time window/);
    expect(reportingCalls()).toBe(1);
  });

  it('accepts a body exactly at the cap', async () => {
    const [lsid] = sim.sessions.map((s) => s.lsid);
    const size = Buffer.byteLength(sim.renderAccessSession([lsid]));
    const items: unknown[] = [];
    for await (const item of client({ maxReportBytes: size }).fetchSessions([lsid])) items.push(item);
    expect(items.length).toBeGreaterThan(1);
  });

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    let bodyWritten = false;
    const server = http.createServer((req, res) => {
      req.resume();
      if (req.url === '/oauth2/token') {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ access_token: 'stub', expires_in: 3600 }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': String(1024 * 1024) });
      res.flushHeaders();
      // The body would follow only if the client waited for it.
      setTimeout(() => {
        bodyWritten = res.write('<session_list>');
      }, 1000).unref();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const pra = new PraClient({
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        clientId: 'id',
        clientSecret: 'secret',
        maxReportBytes: 1024,
      });
      const error = await failure(() => drain(pra.fetchSessions(['a'])));
      expect(error).toBeInstanceOf(PraResponseTooLargeError);
      expect(bodyWritten).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.each([0, -1, Number.NaN])('refuses a cap of %p', (cap) => {
    expect(() => client({ maxReportBytes: cap })).toThrow(PraConfigurationError);
    expect(() => client({ maxListingBytes: cap })).toThrow(/maxListingBytes must be a positive number/);
  });
});
