/**
 * Hostile state files, end to end: the real entry point, under the image's NODE_OPTIONS, started
 * on a data directory whose context.json is valid JSON of the wrong shape, ahead of the clock,
 * unreadable where it cannot be moved aside, or in a directory that is no directory. Each time the
 * collector says what it dropped or why it waits, never loops, and ends within the grace on SIGTERM.
 */
import fs from 'node:fs';
import path from 'node:path';
import { imageEnvironment } from '../../../scripts/image-replay';
import type { CollectorProcess } from '../../../simulator/collector-process';
import { checkFeedDelivery } from '../../../simulator/expected-events';
import { startSekoiaSimulator } from '../../../simulator/sekoia';
import { deferred, makeConnector, Sandbox } from '../../../packages/automation-sdk-shim/tests/helpers';
import { Scenario, type ScenarioOptions } from '../../support/scenario';
import { TempDir } from '../../support/temp-file';
import { REPO_ROOT } from '../../support/paths';

const IMAGE_NODE_OPTIONS = imageEnvironment(
  fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'),
).NODE_OPTIONS;
/** What the platform gives a pod between SIGTERM and SIGKILL, as far as this module counts on it. */
const GRACE_MS = 5000;
const VAULT = 'pull_pra_vault_account_activity';

let stack: Scenario | undefined;
let preload: TempDir | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
  preload?.remove();
  preload = undefined;
});

/** The simulators, a data directory holding `state` as context.json, and no collector yet. */
async function withState(state: unknown, options: ScenarioOptions = {}): Promise<Scenario> {
  stack = await Scenario.start(options);
  fs.writeFileSync(path.join(stack.dataDir, 'context.json'), JSON.stringify(state));
  return stack;
}

function launch(running: Scenario, command = 'pull_pra_sessions', nodeOptions = ''): CollectorProcess {
  return running.launch({ command, env: { NODE_OPTIONS: `${IMAGE_NODE_OPTIONS} ${nodeOptions}`.trim() } });
}

/** SIGTERM; the exit code, or a failure when the process outlives the grace (it is then killed). */
async function stopWithinGrace(collector: CollectorProcess): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), GRACE_MS)));
  const exit = await Promise.race([collector.stop('SIGTERM'), late]);
  clearTimeout(timer);
  if (exit === 'late') {
    await collector.stop('SIGKILL');
    throw new Error(`the collector was still running ${GRACE_MS} ms after SIGTERM`);
  }
  return exit.code;
}

/** Resolves once /health shows `count` more heartbeats: the waiting loop went round that many times. */
async function moreHeartbeats(running: Scenario, count: number): Promise<void> {
  const seen = new Set<string>();
  const heartbeat = async (): Promise<string> =>
    (JSON.parse((await running.health()).body) as { last_heartbeat: string }).last_heartbeat;
  const first = await heartbeat();
  while (seen.size < count) {
    const current = await heartbeat();
    if (current !== first) seen.add(current);
  }
}

function levelCount(collector: CollectorProcess, level: string): number {
  return collector.lines.filter((line) => line.level === level).length;
}

describe('a state file of the wrong shape', () => {
  it('sessions: null and number entries are dropped with errors naming them, the rest flows, SIGTERM ends it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const running = await withState({
      version: 2,
      most_recent_date_seen: '',
      closed_watermark: now - 7200,
      started_watermark: now - 7200,
      seen: {},
      tracked: { x: null, y: 5, z: { forwarded: 'many', failures: 0, since: now } },
      set_aside: { gone: null },
    });
    const collector = launch(running);
    const all = await running.expected();
    await running.delivered(all);
    await running.moreCycles(2);
    expect(running.report(all)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });

    const statePath = path.join(running.dataDir, 'context.json');
    const errors = running.sekoia.logs
      .filter((entry) => entry.level === 'error')
      .map((entry) => entry.message);
    expect(errors).toEqual([
      `State file ${statePath}: 3 entries of tracked dropped, those sessions are no longer followed (one a listing ` +
        'returns again starts over): tracked["x"] (not an object: null); tracked["y"] (not an object: 5); ' +
        'tracked["z"] (forwarded is not a count: "many").',
      `State file ${statePath}: 1 entry of set_aside dropped, those sessions are collected again if a listing ` +
        'returns them: set_aside["gone"] (not an object: null).',
    ]);
    expect(levelCount(collector, 'error')).toBe(2);
    expect((await running.health()).status).toBe(200);
    expect(await stopWithinGrace(collector)).toBe(0);
    const saved = running.state();
    expect(Object.keys(saved.tracked)).toEqual([]);
    expect(saved.set_aside).toEqual({});
  });

  it('Vault: a null set-aside window, bad copies and failures are dropped, every event arrives once', async () => {
    const now = Math.floor(Date.now() / 1000);
    const running = await withState(
      {
        version: 1,
        most_recent_date_seen: '',
        watermark: now - 7200,
        floor: now - 7200,
        accepted: { x: 5, [now - 7000]: null },
        failures: { 1: null },
        set_aside: [null],
      },
      { pra: { closedSessions: 0, openSessions: 0 } },
    );
    const collector = launch(running, VAULT);
    const report = () => checkFeedDelivery('VaultAccountActivity', running.pra, running.sekoia.events);
    await running.nothingLost(report);
    running.pra.addVaultActivity({ timestamp: running.pra.currentTime() });
    await running.nothingLost(report);
    await running.moreRequests('VaultAccountActivity', 2);
    expect(report()).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    const errors = collector.lines
      .filter((line) => line.level === 'error')
      .map((line) => String(line.message));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/2 entries of accepted dropped.*accepted\["x"\] \(the key is not a time/);
    expect(errors[1]).toMatch(/1 entry of failures dropped.*failures\["1"\] \(not an object: null\)/);
    expect(errors[2]).toMatch(/1 entry of set_aside dropped.*set_aside\[0\] \(not an object: null\)/);
    expect(await stopWithinGrace(collector)).toBe(0);
  });
});

describe('a state file ahead of the clock', () => {
  it('Vault: the events written after the start are forwarded, once, and the warning names the file and the time', async () => {
    const now = Math.floor(Date.now() / 1000);
    const running = await withState(
      {
        version: 1,
        most_recent_date_seen: '',
        watermark: now + 3600,
        floor: now - 7200,
        accepted: {},
        failures: {},
        set_aside: [],
      },
      { pra: { closedSessions: 0, openSessions: 0, vaultActivities: 0 } },
    );
    const collector = launch(running, VAULT);
    await running.moreRequests('VaultAccountActivity', 1);
    for (let i = 0; i < 10; i++) running.pra.addVaultActivity({ timestamp: running.pra.currentTime() - i });
    const report = () => checkFeedDelivery('VaultAccountActivity', running.pra, running.sekoia.events);
    await running.nothingLost(report);
    await running.moreRequests('VaultAccountActivity', 2);
    expect(report()).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    expect(running.sekoia.events).toHaveLength(10);
    const warning = collector.lines.find((line) => /is ahead of the clock/.test(String(line.message)));
    const ahead = new Date((now + 3600) * 1000).toISOString().replace('.000Z', '+00:00');
    expect(warning?.message).toContain(
      `State file ${path.join(running.dataDir, 'context.json')}: the watermark ${ahead}`,
    );
    expect(await stopWithinGrace(collector)).toBe(0);
  });

  it('sessions: those already seen are not forwarded again, cycle after cycle; a new one is, once', async () => {
    const running = await Scenario.start({
      pra: { closedSessions: 3, openSessions: 0, historySeconds: 120 },
    });
    stack = running;
    const now = running.pra.currentTime();
    const seen = Object.fromEntries(running.pra.sessions.map((s) => [s.lsid, s.endTime as number]));
    fs.writeFileSync(
      path.join(running.dataDir, 'context.json'),
      JSON.stringify({
        version: 2,
        most_recent_date_seen: '',
        closed_watermark: now + 3600,
        started_watermark: now + 3600,
        seen,
        tracked: {},
        set_aside: {},
      }),
    );
    const collector = launch(running);
    const later = running.pra.addSession({ events: 4 });
    const expected = await running.expected([later.lsid]);
    await running.delivered(expected);
    await running.moreCycles(4);
    expect(running.report(expected)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    expect(
      collector.lines.filter((line) => /watermark .* is ahead of the clock/.test(String(line.message))),
    ).toHaveLength(1);
    expect(await stopWithinGrace(collector)).toBe(0);
  });
});

describe('a state file that cannot be used nor moved aside', () => {
  it('one critical naming the file and both problems, then it waits: no PRA request, no loop, exit 1 on SIGTERM', async () => {
    const running = await Scenario.start();
    stack = running;
    const statePath = path.join(running.dataDir, 'context.json');
    fs.writeFileSync(statePath, '{"version": 2, "tracked": {');
    // As on a read-only volume; the test runs as root, which a chmod would not stop.
    preload = new TempDir();
    const script = preload.write(
      'read-only.js',
      `const fs = require('node:fs');
const rename = fs.renameSync;
fs.renameSync = function (from, to) {
  if (String(to).includes('.unreadable-')) {
    throw Object.assign(new Error('EROFS: read-only file system, rename'), { code: 'EROFS' });
  }
  return rename.apply(this, arguments);
};
`,
    );
    const collector = launch(running, 'pull_pra_sessions', `--require ${script}`);
    await running.sekoia.waitFor(() => running.sekoia.logs.some((entry) => entry.level === 'critical'));
    const criticals = running.sekoia.logs.filter((entry) => entry.level === 'critical');
    expect(criticals.map((entry) => entry.message)).toEqual([
      `State file ${statePath}: is not valid JSON. It could not be moved aside either (EROFS). Make the data ` +
        `directory ${running.dataDir} writable by the collector, or move ${statePath} away yourself. This ` +
        'collector does not collect meanwhile, and looks again every 1 s.',
    ]);
    // It looks again every second without a word more, and asks PRA nothing.
    const lines = collector.lines.length;
    await moreHeartbeats(running, 2);
    expect((await running.health()).status).toBe(200);
    expect(running.pra.requests.filter((r) => r.params.generate_report !== undefined)).toEqual([]);
    expect(collector.lines.length - lines).toBeLessThan(5);
    expect(await stopWithinGrace(collector)).toBe(1);
    expect(fs.readFileSync(statePath, 'utf8')).toBe('{"version": 2, "tracked": {');
  });

  it('a data directory that is a file: one critical saying so, no collection, exit 1 on SIGTERM', async () => {
    const running = await Scenario.start();
    stack = running;
    const notADirectory = path.join(running.dataDir, 'data');
    fs.writeFileSync(notADirectory, '');
    const collector = running.launch({
      dataDir: notADirectory,
      env: { NODE_OPTIONS: IMAGE_NODE_OPTIONS },
    });
    await running.sekoia.waitFor(() => running.sekoia.logs.some((entry) => entry.level === 'critical'));
    expect(
      running.sekoia.logs.filter((entry) => entry.level === 'critical').map((entry) => entry.message),
    ).toEqual([
      `The data directory ${notADirectory} cannot be used (not a directory): the collector keeps its state and a ` +
        'lock there. Give it a directory it can create and write files in. This collector does not collect ' +
        'meanwhile, and looks again every 1 s.',
    ]);
    const lines = collector.lines.length;
    await moreHeartbeats(running, 2);
    expect(collector.lines.length - lines).toBeLessThan(5);
    expect(running.sekoia.events).toEqual([]);
    expect(await stopWithinGrace(collector)).toBe(1);
  });
});

describe('secrets in the state file', () => {
  const CLIENT_SECRET = 'SECRET-client-7f3a9c';
  const TOKEN_PREFIX = 'ACCESS-TOKEN-';
  const INTAKE_KEY = 'INTAKE-KEY-51b2e8';

  it('an error text echoing the client secret, the access token and the intake key is saved masked', async () => {
    const running = await Scenario.start({
      pra: { clientSecret: CLIENT_SECRET, tokenPrefix: TOKEN_PREFIX, closedSessions: 1, openSessions: 1 },
      sekoia: { secrets: { client_secret: CLIENT_SECRET }, intakeKey: INTAKE_KEY },
      trigger: { sessions_per_request: 1, max_session_failures: 1 },
    });
    stack = running;
    // A running session: it is asked for by its id, so the fault below is its reply alone.
    const echoing = running.pra.sessions.find((session) => session.endTime === null);
    const other = running.pra.sessions.find((session) => session.endTime !== null);
    if (echoing === undefined || other === undefined) throw new Error('the simulator holds no such sessions');
    // The token the collector is using, as the last report request carried it.
    const token = (): string => {
      const headers = running.pra.requests
        .map((r) => r.headers.authorization)
        .filter((a) => typeof a === 'string');
      return String(headers.at(-1)).replace(/^Bearer /, '');
    };
    running.pra.injectFault({
      kind: 'body',
      lsid: echoing.lsid,
      count: 1000,
      body: () => [
        `<error>refused client_secret=${CLIENT_SECRET} token=${token()} key=${INTAKE_KEY}</error>`,
      ],
    });
    const collector = launch(running);
    await running.delivered(await running.expected([other.lsid]));
    await collector.waitFor(() => said(collector, /set aside/).length > 0, 20_000, 'the set-aside log');
    await running.moreCycles(1);
    const text = fs.readFileSync(path.join(running.dataDir, 'context.json'), 'utf8');
    expect(token()).toMatch(new RegExp(`^${TOKEN_PREFIX}`));
    for (const secret of [CLIENT_SECRET, TOKEN_PREFIX, INTAKE_KEY]) expect(text).not.toContain(secret);
    expect(running.state().set_aside[echoing.lsid].error).toContain(
      'refused client_secret=*** token=*** key=***',
    );
    expect(await stopWithinGrace(collector)).toBe(0);
  });
});

describe('a run() that throws at once, again and again', () => {
  it('is called again only after a pause, which stop() cuts short', async () => {
    const sim = await startSekoiaSimulator();
    const sandbox = new Sandbox().platform(sim);
    try {
      let calls = 0;
      const thrown = deferred();
      const { connector } = makeConnector(
        sandbox,
        async () => {
          calls += 1;
          thrown.resolve();
          throw new Error('the state is unusable');
        },
        // The SDK's own wait after a critical: long, so that only the pause can explain one call.
        { criticalStopWaitMs: 600_000, criticalUptimeGraceMs: 600_000 },
      );
      const done = connector.execute();
      await thrown.promise;
      // Without a pause, run() would be called again and again before this turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      await sim.waitFor(() => sim.logs.some((entry) => entry.message.includes('the state is unusable')));
      expect(calls).toBe(1);
      connector.stop();
      await done;
      expect(calls).toBe(1);
    } finally {
      await sim.close();
      sandbox.cleanup();
    }
  });
});

function said(collector: CollectorProcess, pattern: RegExp): string[] {
  return collector.lines.map((line) => String(line.message)).filter((message) => pattern.test(message));
}
