/**
 * Secret hygiene, end to end: recognisable secrets (PRA client secret, PRA access tokens, intake
 * key, platform token) go through several cycles with failures that log (a 500 burst, evicted
 * tokens, refused credentials, a failed intake push), then every output of the collector is
 * searched for them: stdout and stderr, the logs API payloads, /metrics, /health and every file
 * of the data directory. Each must appear zero times.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PraSimulator } from '../../../simulator/pra';
import { Scenario } from '../../support/scenario';

const CLIENT_SECRET = 'SECRET-client-7f3a9c';
const INTAKE_KEY = 'INTAKE-KEY-51b2e8';
const PLATFORM_TOKEN = 'PLATFORM-TOKEN-2c4d9a';
/** Every access token the PRA simulator issues starts with this. */
const ACCESS_TOKEN_PREFIX = 'ACCESS-TOKEN-';
/** The Basic credentials as they travel to the token endpoint. */
const BASIC_CREDENTIALS = Buffer.from(`sim-client:${CLIENT_SECRET}`).toString('base64');

const NEEDLES = [CLIENT_SECRET, INTAKE_KEY, PLATFORM_TOKEN, ACCESS_TOKEN_PREFIX, BASIC_CREDENTIALS];

function dataFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8'));
}

/** The access token of the last report request: the one the collector uses now. */
function lastBearer(pra: PraSimulator): string {
  const last = pra.requests.filter((r) => r.path === '/api/reporting' && r.headers.authorization).at(-1);
  return String(last?.headers.authorization ?? '').replace(/^Bearer /, '');
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

it('no secret appears in any log, logs API payload, metric, health body or state file', async () => {
  const stack = await Scenario.run({
    pra: { clientSecret: CLIENT_SECRET, tokenPrefix: ACCESS_TOKEN_PREFIX, closedSessions: 2 },
    sekoia: { secrets: { client_secret: CLIENT_SECRET }, intakeKey: INTAKE_KEY, token: PLATFORM_TOKEN },
  });
  const { pra, sekoia, collector } = stack;
  try {
    const cycleFailures = (): number => stack.logs(/^Collection cycle failed/).length;
    await sekoia.waitFor(() => sekoia.eventCount === 10);

    // A 500 burst: every attempt of one listing fails (Retry-After 0 keeps the retries quick).
    pra.injectFault({ kind: 'status', status: 500, retryAfter: 0, count: 5, target: 'reporting' });
    await stack.waitForLogs(/^Collection cycle failed, retrying next cycle: PRA answered HTTP 500/);
    expect(stack.logs(/^PRA request retried$/).length).toBeGreaterThanOrEqual(4);

    // Tokens evicted: the next report call gets a 401 and a fresh token.
    const issued = pra.tokensIssued;
    pra.evictTokens();
    pra.addSession({ events: 3, endTime: null });
    await sekoia.waitFor(() => sekoia.eventCount === 13);
    expect(pra.tokensIssued).toBeGreaterThan(issued);

    // PRA echoes the access token in an `<error>`, for one session and every cycle: its text goes
    // to the logs, then to the state file once the session is set aside.
    const echoing = pra.addSession({ events: 2, endTime: null });
    pra.injectFault({
      kind: 'body',
      lsid: echoing.lsid,
      count: 1000,
      body: () => [
        `<?xml version="1.0"?><error>Token ${lastBearer(pra)} is not valid for this report</error>`,
      ],
    });
    await stack.waitForLogs(new RegExp(`^Session ${echoing.lsid} set aside after`));
    const echoed = /Token \*\*\* is not valid for this report/;
    expect(stack.logs(echoed).length).toBeGreaterThan(0);
    expect(sekoia.logs.some((entry) => echoed.test(entry.message))).toBe(true);
    expect(stack.state().set_aside[echoing.lsid]?.error).toMatch(echoed);

    // Credentials refused for a while: a critical log, then collection resumes.
    pra.evictTokens();
    pra.injectFault({ kind: 'status', status: 401, count: 1, target: 'token' });
    await sekoia.waitFor(() => sekoia.logs.some((entry) => entry.level === 'critical'));
    expect(sekoia.logs.find((entry) => entry.level === 'critical')?.message).toMatch(
      /PRA rejected the OAuth client credentials/,
    );

    // The intake refuses one push: it is retried.
    sekoia.injectIntakeFault({ status: 500, count: 1 });
    const failuresBefore = cycleFailures();
    pra.addSession({ events: 2 });
    await sekoia.waitFor(() => sekoia.eventCount >= 15, 10_000);
    expect(cycleFailures()).toBe(failuresBefore);

    const metrics = await stack.metrics();
    const health = (await stack.health()).body;
    expect(metrics).toMatch(
      /symphony_module_beyondtrust_pra_requests_total\{report="token",status="401"\} 1/,
    );
    expect((await collector.stop('SIGTERM')).code).toBe(0);

    // The recognisable values did travel, so a leak would have been found.
    const sentToPra = JSON.stringify(pra.requests.map((r) => r.headers.authorization));
    expect(sentToPra).toContain(BASIC_CREDENTIALS);
    expect(sentToPra).toContain(`Bearer ${ACCESS_TOKEN_PREFIX}`);
    // The intake's User-Agent carries the intake key by contract: a request header, not an output.
    expect(sekoia.requests.some((r) => r.headers['user-agent'] === `sekoiaio-connector-${INTAKE_KEY}`)).toBe(
      true,
    );

    const outputs: Record<string, string> = {
      stdout: JSON.stringify(collector.lines),
      stderr: collector.stderr.join('\n'),
      'logs API': JSON.stringify(sekoia.logs),
      metrics,
      health,
      'data directory': dataFiles(collector.dataDir).join('\n'),
    };
    expect(outputs.stdout.length).toBeGreaterThan(1000);
    expect(sekoia.logs.length).toBeGreaterThan(5);
    expect(outputs['data directory']).toContain('"tracked"');
    const found = Object.entries(outputs).flatMap(([where, text]) =>
      NEEDLES.filter((needle) => occurrences(text, needle) > 0).map((needle) => `${needle} in ${where}`),
    );
    expect(found).toEqual([]);
  } finally {
    await stack.stop();
  }
});
