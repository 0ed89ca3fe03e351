/**
 * Client level: the body caps of a report request against the loopback PRA simulator. HTML with status 200, a non-XML body and a stalled body are covered in
 * tests/unit/pra/pra-client.test.ts; the collector's handling of all of them is in tests/process/hostile/collector.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSessionListing } from '../../../module/feeds/sessions/listing';
import { PraClient, type ReportRequest } from '../../../module/pra/client';
import { PraError } from '../../../module/pra/errors';
import { parseBaseUrl } from '../../../module/pra/url';
import { startPraSimulator, type PraSimulator } from '../../../simulator/pra';
import { hugeAttribute } from './inputs';

let sim: PraSimulator;

beforeEach(async () => {
  sim = await startPraSimulator({ closedSessions: 2, openSessions: 0, eventsPerSession: 5 });
});

afterEach(async () => {
  await sim.close();
});

function client(baseUrl = sim.url): PraClient {
  return new PraClient(
    { baseUrl: parseBaseUrl(baseUrl), clientId: 'sim-client', clientSecret: 'sim-secret' },
    { timeoutMs: 2000, maxRetryDelayMs: 10, requestsPerSecond: 1000 },
  );
}

function detail(lsid: string, maxBytes: number): ReportRequest {
  return { report: 'AccessSession', params: { lsids: lsid }, maxBytes };
}

async function failure(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

async function drain(pra: PraClient, request: ReportRequest): Promise<number> {
  let bytes = 0;
  for await (const chunk of await pra.openReport(request)) bytes += chunk.length;
  return bytes;
}

const reportingCalls = (): number => sim.requests.filter((r) => r.path === '/api/reporting').length;

describe('body caps', () => {
  it('stops a body at its cap with an error that blames the request, without reading the rest', async () => {
    const lsid = sim.sessions[0].lsid;
    // The parser's 1 MiB value cap would stop this body too; the 256 KiB body cap comes first.
    const source = hugeAttribute(lsid, 50 * 1024 * 1024);
    sim.injectFault({ kind: 'body', body: source, count: 1, lsid });
    const error = await failure(() => drain(client(), detail(lsid, 256 * 1024)));
    // An oversized report belongs to what was asked for: the collector narrows it down, not the tenant.
    expect(error).toMatchObject({ kind: 'too_large', blame: 'request' });
    expect(error.message).toMatch(/the AccessSession report from 127\.0\.0\.1:\d+ exceeds 262144 bytes/);
    expect(error.message).toMatch(/fewer items at once/);
    // The simulator records a request once its reply is over: here, once the client hung up.
    await sim.waitFor(() => sim.requests.some((r) => r.fault === 'body'));
    expect(reportingCalls()).toBe(1);
    expect(source.produced).toBeLessThan(10 * 1024 * 1024);
  });

  it('stops a report read whole at its cap, without retrying it', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => `<session_summary lsid="s${i}"/>`).join('');
    sim.injectFault({
      kind: 'body',
      body: `<session_summary_list>${many}</session_summary_list>`,
      count: 5,
      target: 'reporting',
    });
    const listing = {
      report: 'AccessSessionListing',
      params: { start_time: '0', duration: '60' },
      maxBytes: 4096,
    };
    const error = await failure(() => client().readReport(listing, parseSessionListing));
    expect(error).toMatchObject({ kind: 'too_large' });
    expect(error.message).toMatch(
      /AccessSessionListing report from .* exceeds 4096 bytes: ask for a narrower window/,
    );
    expect(reportingCalls()).toBe(1);
  });

  it('accepts a body exactly at the cap', async () => {
    const [lsid] = sim.sessions.map((s) => s.lsid);
    const size = Buffer.byteLength(sim.renderAccessSession([lsid]));
    expect(await drain(client(), detail(lsid, size))).toBe(size);
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
      const pra = client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const error = await failure(() => drain(pra, detail('a', 1024)));
      expect(error).toBeInstanceOf(PraError);
      expect(error).toMatchObject({ kind: 'too_large' });
      expect(bodyWritten).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
