import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost, RetryAbortedError } from '@sekoia/automation-sdk-shim';
import type { ReportItem } from '../../../module/feeds/sessions/events';
import { parseAccessSessionReport } from '../../../module/feeds/sessions/report-parser';
import { listSessions, probeSessions, type ListingWindow } from '../../../module/feeds/sessions/source';
import { PraClient, type PraClientOptions } from '../../../module/pra/client';
import { PraError, type PraErrorKind } from '../../../module/pra/errors';
import { parseRetryAfter } from '../../../module/pra/failures';
import { parseBaseUrl } from '../../../module/pra/url';
import { startPraSimulator } from '../../../simulator/pra';
import type { PraSimulator, RecordedRequest } from '../../../simulator/pra/types';
import { collect, eventually } from '../../support/async';
import { ManualClock } from '../../support/manual-clock';

const SECRET = 'sim-secret';
const EVERYTHING: ListingWindow = { field: 'start', from: 0, to: 4_000_000_000 };

let sim: PraSimulator;

beforeEach(async () => {
  sim = await startPraSimulator({ closedSessions: 5, openSessions: 1, eventsPerSession: 20 });
});

afterEach(async () => {
  await sim.close();
});

interface TestClientOptions extends Partial<PraClientOptions> {
  baseUrl?: string;
  clientSecret?: string;
}

function client({ baseUrl, clientSecret = SECRET, ...overrides }: TestClientOptions = {}): PraClient {
  return new PraClient(
    { baseUrl: parseBaseUrl(baseUrl ?? sim.url), clientId: 'sim-client', clientSecret },
    { timeoutMs: 2000, maxRetryDelayMs: 50, requestsPerSecond: 1000, ...overrides },
  );
}

/** A detail request parsed in this thread: what is under test is the client's streaming. */
async function* fetchSessions(pra: PraClient, lsids: string[]): AsyncGenerator<ReportItem> {
  const body = await pra.openReport({ report: 'AccessSession', params: { lsids: lsids.join(',') } });
  try {
    yield* parseAccessSessionReport(body);
  } finally {
    body.destroy();
  }
}

function reportingRequests(): RecordedRequest[] {
  return sim.requests.filter((r) => r.path === '/api/reporting');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function expectKind(error: unknown, kind: PraErrorKind): PraError {
  expect(error).toBeInstanceOf(PraError);
  expect((error as PraError).kind).toBe(kind);
  return error as PraError;
}

function closedLsids(count: number): string[] {
  return sim.sessions
    .filter((s) => s.endTime !== null)
    .slice(0, count)
    .map((s) => s.lsid);
}

describe('configuration', () => {
  it('requires https except for loopback hosts', () => {
    for (const baseUrl of [
      'http://example.com',
      'ftp://example.com',
      'not a url',
      'https://u:p@example.com',
    ]) {
      expect(() => parseBaseUrl(baseUrl)).toThrow(expect.objectContaining({ kind: 'configuration' }));
    }
    for (const baseUrl of [
      'http://127.0.0.1',
      'http://127.1.2.3:8080/',
      'http://localhost/some/path',
      'http://[::1]:1',
      'https://example.beyondtrustcloud.com/',
    ]) {
      expect(() => parseBaseUrl(baseUrl)).not.toThrow();
    }
    expect(parseBaseUrl('http://localhost:8/some/path?x=1').href).toBe('http://localhost:8/');
  });

  it('recognises loopback hosts only', () => {
    for (const host of [
      'localhost',
      'LOCALHOST.',
      '127.0.0.1',
      '127.255.0.9',
      '::1',
      '[::1]',
      '::ffff:7f00:1',
    ]) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of [
      'example.com',
      '128.0.0.1',
      '10.0.0.1',
      '::2',
      'localhost.example.com',
      '127.0.0.1.nip.io',
    ]) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('token', () => {
  it('reuses one token across calls, concurrent ones included', async () => {
    const pra = client();
    await Promise.all([listSessions(pra, EVERYTHING), listSessions(pra, EVERYTHING), probeSessions(pra)]);
    await collect(fetchSessions(pra, closedLsids(1)));
    expect(sim.tokensIssued).toBe(1);
    expect(pra.requestCount).toBe(5);
    expect(sim.requests).toHaveLength(5);
  });

  it('gets a new token once after a 401 and succeeds', async () => {
    const pra = client();
    await listSessions(pra, EVERYTHING);
    sim.evictTokens();
    const lsids = await listSessions(pra, EVERYTHING);
    expect(lsids.length).toBeGreaterThan(0);
    expect(sim.tokensIssued).toBe(2);
    expect(sim.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
      '/oauth2/token 200',
      '/api/reporting 200',
      '/api/reporting 401',
      '/oauth2/token 200',
      '/api/reporting 200',
    ]);
  });

  it('hands every token issued to onToken before any request carries it', async () => {
    const handed: Array<{ token: string; carriedBefore: number }> = [];
    const carrying = (token: string): number =>
      sim.requests.filter((r) => r.headers.authorization === `Bearer ${token}`).length;
    const pra = client({ onToken: (token) => handed.push({ token, carriedBefore: carrying(token) }) });
    await listSessions(pra, EVERYTHING);
    sim.evictTokens();
    await listSessions(pra, EVERYTHING);
    const carried = [...new Set(reportingRequests().map((r) => String(r.headers.authorization).slice(7)))];
    expect(handed.map((entry) => entry.token)).toEqual(carried);
    expect(carried).toHaveLength(2);
    expect(handed.map((entry) => entry.carriedBefore)).toEqual([0, 0]);
  });

  it('fails on authentication when the fresh token is refused too', async () => {
    sim.injectFault({ kind: 'status', status: 401, count: 2, target: 'reporting' });
    const error = await rejection(listSessions(client(), EVERYTHING));
    expectKind(error, 'authentication');
    expect((error as Error).message).toMatch(/30 tokens/);
    expect(reportingRequests()).toHaveLength(2);
    expect(sim.tokensIssued).toBe(2);
  });

  it('names the cause of a wrong secret without showing it, and does not retry', async () => {
    const secret = 'wrong-secret-5f3a9c';
    const error = await rejection(listSessions(client({ clientSecret: secret }), EVERYTHING));
    expectKind(error, 'authentication');
    expect((error as Error).message).toMatch(/invalid_client/);
    expect(String(error)).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(sim.requests).toHaveLength(1);
  });

  it('retries the token endpoint on 5xx', async () => {
    sim.injectFault({ kind: 'status', status: 503, count: 2, target: 'token' });
    await listSessions(client(), EVERYTHING);
    expect(sim.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
      '/oauth2/token 503',
      '/oauth2/token 503',
      '/oauth2/token 200',
      '/api/reporting 200',
    ]);
  });

  it('retries a token answer cut short by a reset', async () => {
    sim.injectFault({ kind: 'reset', count: 1, target: 'token', afterBytes: 5 });
    await expect(listSessions(client(), EVERYTHING)).resolves.toEqual(expect.any(Array));
    expect(sim.requests.filter((r) => r.path === '/oauth2/token')).toHaveLength(2);
    expect(sim.tokensIssued).toBe(2);
  });
});

describe('statuses and retries', () => {
  it('fails on permission on 403, naming the permission, without retrying', async () => {
    sim.injectFault({ kind: 'status', status: 403, count: 1, target: 'reporting' });
    const error = await rejection(listSessions(client(), EVERYTHING));
    expectKind(error, 'permission');
    expect((error as Error).message).toMatch(/Allow Access to Access Session Reports and Recordings/);
    expect(reportingRequests()).toHaveLength(1);
  });

  it('honours Retry-After on 429, then succeeds', async () => {
    sim.injectFault({ kind: 'status', status: 429, retryAfter: 1, count: 1, target: 'reporting' });
    const clock = new ManualClock();
    const retries: number[] = [];
    const pra = client({ maxRetryDelayMs: 5000, clock, onRetry: ({ delayMs }) => retries.push(delayMs) });
    const listing = listSessions(pra, EVERYTHING);
    await eventually(() => retries.length === 1);
    // The second attempt waits for the clock to pass Retry-After, not a moment less.
    clock.advance(999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reportingRequests()).toHaveLength(1);
    clock.advance(1);
    expect((await listing).length).toBeGreaterThan(0);
    expect(retries).toEqual([1000]);
    expect(reportingRequests().map((r) => r.status)).toEqual([429, 200]);
  });

  it('retries 500 twice, then succeeds', async () => {
    sim.injectFault({ kind: 'status', status: 500, count: 2, target: 'reporting' });
    const reasons: string[] = [];
    const pra = client({ onRetry: ({ reason }) => reasons.push(reason) });
    expect((await listSessions(pra, EVERYTHING)).length).toBeGreaterThan(0);
    expect(reportingRequests().map((r) => r.status)).toEqual([500, 500, 200]);
    expect(reasons).toEqual(['HTTP 500', 'HTTP 500']);
  });

  it('gives up with the last HTTP status after maxAttempts', async () => {
    sim.injectFault({ kind: 'status', status: 500, count: 1000, target: 'reporting' });
    const statuses: Array<number | 'error'> = [];
    const pra = client({ maxAttempts: 4, onRequest: ({ status }) => statuses.push(status) });
    const error = await rejection(listSessions(pra, EVERYTHING));
    expectKind(error, 'http');
    expect((error as PraError).status).toBe(500);
    expect((error as Error).message).toMatch(/after 4 attempts/);
    expect(reportingRequests()).toHaveLength(4);
    expect(statuses).toEqual([200, 500, 500, 500, 500]);
  });

  it('sends Connection: close, the user agent and the bearer token on every request', async () => {
    sim.injectFault({ kind: 'status', status: 502, count: 1, target: 'any' });
    const pra = client();
    await listSessions(pra, EVERYTHING);
    await collect(fetchSessions(pra, closedLsids(2)));
    expect(sim.requests.length).toBeGreaterThanOrEqual(4);
    for (const request of sim.requests) {
      expect(request.method).toBe('POST');
      expect(request.headers.connection).toBe('close');
      expect(request.headers['user-agent']).toBe('sekoiaio-connector/beyondtrust-2.0.0');
    }
    for (const request of reportingRequests().filter((r) => r.status === 200)) {
      expect(request.headers.authorization).toMatch(/^Bearer \S+$/);
    }
  });

  it('stops a retry wait as soon as the signal aborts', async () => {
    sim.injectFault({ kind: 'status', status: 503, retryAfter: 30, count: 10, target: 'reporting' });
    const controller = new AbortController();
    // The clock never moves: only the abort can end the 30 s wait.
    const pra = client({
      maxRetryDelayMs: 30_000,
      signal: controller.signal,
      clock: new ManualClock(),
      onRetry: () => setImmediate(() => controller.abort()),
    });
    const error = await rejection(listSessions(pra, EVERYTHING));
    expect(error).toBeInstanceOf(RetryAbortedError);
    expect(reportingRequests()).toHaveLength(1);
  });
});

describe('reports', () => {
  it('lists sessions of a window and returns [] for an empty one', async () => {
    const pra = client();
    const closed = await listSessions(pra, { field: 'end', from: 0, to: 4_000_000_000 });
    expect(new Set(closed)).toEqual(new Set(closedLsids(100)));
    const future = Math.floor(Date.now() / 1000) + 86_400;
    expect(await listSessions(pra, { field: 'start', from: future, to: future + 60 })).toEqual([]);
    expect(await collect(fetchSessions(pra, ['0123456789abcdef0123456789abcdef']))).toEqual([]);
    expect(
      reportingRequests().map((r) => [r.params.end_time, r.params.start_time, r.params.duration]),
    ).toEqual([
      ['0', undefined, '4000000000'],
      [undefined, String(future), '60'],
      [undefined, undefined, undefined],
    ]);
  });

  it('fetches a batch of sessions in one request', async () => {
    const lsids = closedLsids(3);
    const items = await collect(fetchSessions(client(), lsids));
    const ends = items.filter((i) => i.kind === 'session');
    expect(new Set(ends.map((i) => i.lsid))).toEqual(new Set(lsids));
    expect(items.filter((i) => i.kind === 'event').length).toBe(60);
    const requests = reportingRequests();
    expect(requests).toHaveLength(1);
    expect(requests[0].params.generate_report).toBe('AccessSession');
    expect(requests[0].params.lsids).toBe(lsids.join(','));
  });

  it('fails with a parse error on malformed XML', async () => {
    sim.injectFault({ kind: 'malformed', count: 1, target: 'reporting' });
    const error = await rejection(collect(fetchSessions(client(), closedLsids(3))));
    expectKind(error, 'parse');
    expect(reportingRequests()).toHaveLength(1);
  });

  it('propagates a reset mid-body after the items already parsed, without retrying', async () => {
    const lsids = closedLsids(5);
    const size = Buffer.byteLength(sim.renderAccessSession(lsids));
    sim.injectFault({ kind: 'reset', count: 1, afterBytes: Math.floor(size * 0.7), target: 'reporting' });
    const items: ReportItem[] = [];
    const error = await rejection(collect(fetchSessions(client(), lsids), items));
    expectKind(error, 'transport');
    expect((error as PraError).timedOut).toBe(false);
    expect(items.some((i) => i.kind === 'session')).toBe(true);
    expect(items.filter((i) => i.kind === 'session').length).toBeLessThan(5);
    expect(reportingRequests()).toHaveLength(1);
  });

  it('retries a listing whose body was cut', async () => {
    sim.injectFault({ kind: 'reset', count: 1, afterBytes: 10, target: 'reporting' });
    expect((await listSessions(client(), EVERYTHING)).length).toBeGreaterThan(0);
    expect(reportingRequests()).toHaveLength(2);
  });

  it('times out a reply slower than timeoutMs', async () => {
    sim.injectFault({ kind: 'slow', delayMs: 1000, count: 10, target: 'reporting' });
    const clock = new ManualClock();
    const pra = client({ timeoutMs: 100, maxAttempts: 2, clock });
    const outcome = rejection(collect(fetchSessions(pra, closedLsids(1))));
    // Each wait of the client (the token's, each attempt's timeout, the backoff) passes on its clock.
    let settled = false;
    void outcome.finally(() => (settled = true));
    while (!settled) {
      await eventually(() => settled || clock.pendingTimers > 0);
      clock.advance(100);
    }
    const error = await outcome;
    expectKind(error, 'transport');
    expect((error as PraError).timedOut).toBe(true);
    expect((error as Error).message).toMatch(/within 100 ms/);
  });

  it('stops streaming when the signal aborts', async () => {
    const big = sim.addSession({ startTime: 1000, endTime: 2000, events: 3000 });
    const controller = new AbortController();
    const items: ReportItem[] = [];
    const consume = async (): Promise<void> => {
      for await (const item of fetchSessions(client({ signal: controller.signal }), [big.lsid])) {
        items.push(item);
        controller.abort();
      }
    };
    expect(await rejection(consume())).toBeInstanceOf(RetryAbortedError);
    expect(items.length).toBeLessThan(3000);
  });

  it('closes the connection when the consumer stops early', async () => {
    // Large enough that the server is still writing, blocked on backpressure, when we stop.
    const big = sim.addSession({ startTime: 1000, endTime: 2000, events: 3000 });
    const before = openSockets();
    for await (const item of fetchSessions(client(), [big.lsid])) {
      expect(item.kind).toBe('event');
      break;
    }
    // Socket handles close a few event-loop turns after destroy(); nothing to wait on but the count.
    await eventually(() => openSockets() <= before, 2000);
  });
});

describe('transport failures', () => {
  it('names a host that does not resolve, after at most two attempts', async () => {
    let attempts = 0;
    const pra = client({
      baseUrl: 'https://pra.nonexistent.invalid',
      maxRetryDelayMs: 10,
      onRequest: () => {
        attempts += 1;
      },
    });
    const error = await rejection(probeSessions(pra));
    expectKind(error, 'transport');
    expect((error as Error).message).toMatch(/cannot resolve host pra\.nonexistent\.invalid/);
    expect(attempts).toBe(2);
  });

  it('says that a server answering plain HTTP to https does not speak TLS, without blaming a certificate', async () => {
    const pra = client({ baseUrl: sim.url.replace(/^http:/, 'https:') });
    const error = await rejection(probeSessions(pra));
    expectKind(error, 'transport');
    expect((error as Error).message).toBe(
      `the server at 127.0.0.1:${new URL(sim.url).port} answered in plain HTTP (or another protocol), not TLS (EPROTO): check the scheme and port of the base URL`,
    );
    expect(pra.requestCount).toBe(1);
  });

  it('refuses a certificate it cannot verify, without retrying', async () => {
    const fixtures = path.join(__dirname, 'fixtures');
    const server = https.createServer(
      {
        key: readFileSync(path.join(fixtures, 'self-signed-key.pem')),
        cert: readFileSync(path.join(fixtures, 'self-signed-cert.pem')),
      },
      (_req, res) => res.end('{}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const pra = client({ baseUrl: `https://127.0.0.1:${port}` });
      const error = await rejection(probeSessions(pra));
      expectKind(error, 'transport');
      expect((error as Error).message).toMatch(/TLS certificate verification failed for 127\.0\.0\.1/);
      expect(pra.requestCount).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('credential check', () => {
  it('passes with good credentials after one token and one listing', async () => {
    await probeSessions(client());
    expect(sim.requests.map((r) => r.path)).toEqual(['/oauth2/token', '/api/reporting']);
    expect(sim.requests[1].params.duration).toBe('1');
  });

  it('reports bad credentials', async () => {
    await expect(probeSessions(client({ clientSecret: 'nope' }))).rejects.toMatchObject({
      kind: 'authentication',
    });
  });

  it('reports a missing reporting permission', async () => {
    sim.injectFault({ kind: 'status', status: 403, count: 1, target: 'reporting' });
    await expect(probeSessions(client())).rejects.toMatchObject({ kind: 'permission' });
  });
});

function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

/**
 * Answers the simulator cannot give (an `<error>` that is not "no data", an HTML page, a
 * redirect): a token endpoint that always succeeds and a reporting endpoint with a fixed reply.
 */
async function withStub(
  reply: (res: http.ServerResponse) => void,
  run: (pra: PraClient) => Promise<void>,
  options: TestClientOptions = {},
): Promise<void> {
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/oauth2/token') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ access_token: 'stub-token', token_type: 'bearer', expires_in: 1799 }));
    } else {
      reply(res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await run(client({ baseUrl: `http://127.0.0.1:${port}`, maxRetryDelayMs: 10, ...options }));
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('unexpected answers', () => {
  it('fails with an api error for an <error> that is not "no data"', async () => {
    await withStub(
      (res) => {
        res.setHeader('Content-Type', 'text/xml');
        res.end('<?xml version="1.0"?><error>Invalid lsid.</error>');
      },
      async (pra) => {
        const error = await rejection(collect(fetchSessions(pra, ['x'])));
        expectKind(error, 'api');
        expect((error as PraError).message).toBe('PRA reporting API answered with an error: Invalid lsid.');
      },
    );
  });

  it('refuses an HTML page by its content type', async () => {
    await withStub(
      (res) => {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end('<html><body>Please log in</body></html>');
      },
      async (pra) => {
        const error = await rejection(listSessions(pra, EVERYTHING));
        expectKind(error, 'unexpected_response');
        expect((error as Error).message).toMatch(/text\/html/);
      },
    );
  });

  it('refuses a body that is not XML and an empty body', async () => {
    for (const body of ['Service temporarily unavailable', '  \n']) {
      await withStub(
        (res) => res.end(body),
        async (pra) => {
          const error = await rejection(collect(fetchSessions(pra, ['x'])));
          expectKind(error, 'unexpected_response');
        },
      );
    }
  });

  it('times out a body that stalls', async () => {
    await withStub(
      (res) => {
        res.writeHead(200, { 'Content-Type': 'text/xml' });
        res.write('<?xml version="1.0"?><session_list>');
      },
      async (pra) => {
        const error = await rejection(collect(fetchSessions(pra, ['x'])));
        expectKind(error, 'transport');
        expect((error as PraError).timedOut).toBe(true);
      },
      { timeoutMs: 100 },
    );
  });

  it('does not follow a redirect', async () => {
    await withStub(
      (res) => {
        res.writeHead(302, { Location: 'https://login.example.com/sso?token=abc' });
        res.end();
      },
      async (pra) => {
        const error = await rejection(listSessions(pra, EVERYTHING));
        expectKind(error, 'http');
        expect((error as PraError).status).toBe(302);
        expect((error as Error).message).toContain('https://login.example.com/sso');
        expect((error as Error).message).not.toContain('token=abc');
      },
    );
  });
});
