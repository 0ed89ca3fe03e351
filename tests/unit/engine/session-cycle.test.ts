/**
 * The session cycle on the engine, against an in-memory tenant and intake: batching, narrowing a
 * failing batch down, telling a bad session from a PRA outage, timeouts, stop, intake failure, and
 * the windowed catch-up that keeps the work in progress bounded.
 */
import { MAX_NEW_SESSIONS_PER_WINDOW, MAX_TRACKED, SessionCycle } from '../../../module/feeds/sessions/cycle';
import type { SessionsConfig } from '../../../module/feeds/sessions/config';
import { SessionFeedState, type StateFileContent } from '../../../module/feeds/sessions/state';
import { FakeEnvironment, multiset } from './fakes';
import { PraError } from '../../../module/pra/errors';
import { FakeSessionTenant } from './fake-tenants';

const NOW = 1_800_000_000;
const HOUR = 3600;
const DAY = 24 * HOUR;

function config(overrides: Partial<SessionsConfig> = {}): SessionsConfig {
  return {
    credentials: { baseUrl: new URL('https://pra.example.com'), clientId: 'id', clientSecret: 'secret' },
    frequencySeconds: 60,
    firstRunLookbackSeconds: DAY,
    overlapSeconds: 300,
    requestTimeoutMs: 1000,
    requestsPerSecond: 100,
    requestsPerHour: 10_000,
    liveSessions: true,
    sessionsPerRequest: 10,
    maxSessionFailures: 3,
    runningSessionMaxDelaySeconds: 600,
    ...overrides,
  };
}

interface Rig {
  env: FakeEnvironment;
  tenant: FakeSessionTenant;
  state: SessionFeedState;
  cycle: SessionCycle;
}

/** A collector process: its state read from what the previous one saved, if any. */
function start(
  tenant: FakeSessionTenant,
  previous?: FakeEnvironment,
  settings: Partial<SessionsConfig> = {},
): Rig {
  const env = new FakeEnvironment(previous?.clock ?? NOW);
  const cfg = config(settings);
  const state = env.attach(
    SessionFeedState.open(previous?.lastSave(), env.clock, cfg.firstRunLookbackSeconds, 'context.json'),
  );
  return { env, tenant, state, cycle: new SessionCycle(env, cfg, state, tenant) };
}

/**
 * `count` closed sessions, by default ended within the overlap before now: what the listings and
 * `lsids` batches collect (older ones are fetched by window).
 */
function closedSessions(tenant: FakeSessionTenant, count: number, events = 3, since = NOW - 250): string[] {
  const first = tenant.sessions.size;
  return Array.from({ length: count }, (_, i) => {
    const start = since + i;
    return tenant.add({ lsid: `s${String(first + i).padStart(6, '0')}`, start, end: start + 30, events })
      .lsid;
  });
}

const saved = (env: FakeEnvironment): StateFileContent => env.lastSave() as StateFileContent;

/** As the real source does, refuses a request for an id that cannot be put in `lsids`. */
function refuseUnaskable(tenant: FakeSessionTenant): void {
  const fetch = tenant.fetch.bind(tenant);
  tenant.fetch = (lsids) => {
    const bad = lsids.find((lsid) => lsid === '' || lsid.includes(','));
    if (bad !== undefined) throw new RangeError(`not a usable lsid: ${JSON.stringify(bad)}`);
    return fetch(lsids);
  };
}

/**
 * How many times PRA sent each session: in `lsids` batches and in the windows asked for whole. A
 * session that ended on the bound between two windows is in both replies (the bounds are
 * inclusive, and the second copy is dropped as already finished): it is counted in the later one.
 */
function timesSent(tenant: FakeSessionTenant): Map<string, number> {
  const sent = new Map<string, number>();
  const count = (lsid: string): void => {
    sent.set(lsid, (sent.get(lsid) ?? 0) + 1);
  };
  for (const batch of tenant.fetches) batch.forEach(count);
  for (const window of tenant.closedFetches) {
    for (const session of tenant.endedIn(window)) if (session.end !== window.to) count(session.lsid);
  }
  return sent;
}

const eventsOf = (tenant: FakeSessionTenant, lsids: readonly string[]): string[] =>
  tenant.expected().filter((json) => lsids.includes((JSON.parse(json) as { session_id: string }).session_id));

describe('the session cycle', () => {
  it('asks for the tracked sessions in batches of sessions_per_request and forwards every event once', async () => {
    const tenant = new FakeSessionTenant();
    closedSessions(tenant, 25);
    const { env, cycle } = start(tenant);
    await cycle.run();
    env.clock += HOUR;
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
    expect(tenant.fetches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    // Finished, and forgotten once no listing window can return them: the next cycle asks for none.
    expect(saved(env).tracked).toEqual({});
    expect(saved(env).seen).toEqual({});
  });

  it('narrows a failing batch down so the other sessions flow, and sets the bad one aside after repeated cycles', async () => {
    const tenant = new FakeSessionTenant();
    const [, , bad] = closedSessions(tenant, 8);
    tenant.fail(bad as string, 'parse');
    const { env, cycle } = start(tenant, undefined, { maxSessionFailures: 2 });
    await cycle.run();
    const others = tenant.expected().filter((json) => !json.includes(`"${bad}"`));
    expect(multiset(env.intake.accepted)).toEqual(multiset(others));
    expect(saved(env).tracked[bad as string]?.failures).toBe(1);
    expect(env.messages('warning').some((m) => m.includes(`Fetching session ${bad} failed`))).toBe(true);

    await cycle.run();
    expect(saved(env).set_aside[bad as string]?.failures).toBe(2);
    expect(
      env.messages('error').some((m) => m.includes(`Session ${bad} set aside after 2 failed fetches`)),
    ).toBe(true);
    expect(env.intake.accepted).toHaveLength(others.length);
  });

  it('sets aside at once the ids that cannot be asked for, and collects the sessions beside them', async () => {
    const tenant = new FakeSessionTenant();
    refuseUnaskable(tenant);
    const good = closedSessions(tenant, 4);
    const odd = ['bad,lsid', '', 'tab\there', 'x'.repeat(300), 'not\ufffdutf8'];
    odd.forEach((lsid, i) => tenant.add({ lsid, start: NOW - 250 + 10 + i, end: NOW - 250 + 40, events: 2 }));
    const { env, cycle } = start(tenant);
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(eventsOf(tenant, good)));
    expect(tenant.fetches.flat().sort()).toEqual([...good].sort());
    expect(Object.keys(saved(env).set_aside).sort()).toEqual([...odd].sort());
    expect(saved(env).set_aside['bad,lsid']).toMatchObject({
      failures: 1,
      error: expect.stringMatching(/comma/),
    });
    const errors = env.messages('error');
    expect(errors).toHaveLength(odd.length);
    expect(errors).toContain(
      'Session "bad,lsid" set aside at once: PRA listed an id that cannot be asked for (it holds a comma, ' +
        'which separates the ids of a request). The other sessions go on; it stays listed under set_aside in context.json.',
    );
    expect(errors.some((m) => m.startsWith(`Session "${'x'.repeat(64)}"… (300 characters) set aside`))).toBe(
      true,
    );

    // Never asked for, and never logged again.
    env.clock += 60;
    await cycle.run();
    expect(env.messages('error')).toHaveLength(odd.length);
    expect(tenant.fetches.flat().filter((lsid) => odd.includes(lsid))).toEqual([]);
  });

  it('treats an id named like an object property as any other id', async () => {
    const tenant = new FakeSessionTenant();
    const ids = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];
    ids.forEach((lsid, i) => tenant.add({ lsid, start: NOW - HOUR + i, end: NOW - HOUR + 30, events: 3 }));
    const first = start(tenant, undefined, { sessionsPerRequest: 2 });
    await first.cycle.run();
    expect(multiset(first.env.intake.accepted)).toEqual(multiset(tenant.expected()));
    // A restart from the saved state repeats nothing.
    const second = start(tenant, first.env);
    second.env.clock += 60;
    await second.cycle.run();
    expect(second.env.intake.accepted).toEqual([]);
  });

  it('charges no session when PRA itself is down, and stops the cycle', async () => {
    const tenant = new FakeSessionTenant();
    closedSessions(tenant, 4);
    const { env, cycle } = start(tenant);
    const fetch = tenant.fetch.bind(tenant);
    // PRA goes down as the first batch is asked for: the batch fails, then the probe that checks it.
    tenant.fetch = (lsids) => {
      const items = fetch(lsids);
      tenant.down = true;
      return items;
    };
    await expect(cycle.run()).rejects.toMatchObject({
      blame: 'tenant',
      message: /PRA is not answering normally/,
    });
    expect(Object.keys(saved(env).tracked)).toHaveLength(4);
    expect(Object.values(saved(env).tracked).every((session) => session.failures === 0)).toBe(true);
    expect(tenant.probes).toBe(1);
  });

  it('halves the batch size after a timeout, and grows it back after clean cycles', async () => {
    const tenant = new FakeSessionTenant();
    const [slow] = closedSessions(tenant, 40);
    tenant.fail(slow as string, 'timeout', 1);
    const { env, cycle } = start(tenant, undefined, { sessionsPerRequest: 8 });
    await cycle.run();
    // 8 timed out; its halves of 4, then fresh batches of 4 for the other 32 sessions.
    expect(tenant.fetches.map((batch) => batch.length)).toEqual([8, 4, 4, ...Array<number>(8).fill(4)]);
    const sizes = async (): Promise<number[]> => {
      tenant.fetches.length = 0;
      env.clock += HOUR;
      closedSessions(tenant, 16, 1, env.clock - 250);
      return cycle.run().then(() => tenant.fetches.map((batch) => batch.length));
    };
    // The cycle after a timeout keeps the smaller size; clean cycles double it up to the setting.
    expect(await sizes()).toEqual([4, 4, 4, 4]);
    expect(await sizes()).toEqual([8, 8]);
  });

  it('pushes what was parsed when stopped mid-batch, and the next start repeats nothing', async () => {
    const tenant = new FakeSessionTenant();
    closedSessions(tenant, 30, 50);
    const first = start(tenant);
    let items = 0;
    const fetch = tenant.fetch.bind(tenant);
    tenant.fetch = async function* (lsids) {
      for await (const item of fetch(lsids)) {
        if (++items === 700) first.env.stopped = true;
        yield item;
      }
    };
    await first.cycle.run();
    const delivered = first.env.intake.accepted.length;
    expect(delivered).toBeGreaterThan(600);
    expect(delivered).toBeLessThan(tenant.expected().length);
    tenant.fetch = fetch;

    const second = start(tenant, first.env);
    await second.cycle.run();
    const all = [...first.env.intake.accepted, ...second.env.intake.accepted];
    expect(multiset(all)).toEqual(multiset(tenant.expected()));
  });

  it('commits nothing the intake refused, and sends it once on the next cycle', async () => {
    const tenant = new FakeSessionTenant();
    closedSessions(tenant, 12);
    const { env, cycle } = start(tenant);
    env.intake.failNext(1);
    await expect(cycle.run()).rejects.toThrow('intake unavailable');
    expect(env.intake.accepted).toEqual([]);
    expect(Object.values(saved(env).tracked).every((session) => session.forwarded === 0)).toBe(true);
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
  });

  it('forwards only the new events of a running session, cycle after cycle', async () => {
    const tenant = new FakeSessionTenant();
    const live = tenant.add({ lsid: 'live', start: NOW - 100, end: null, events: 3 });
    const { env, cycle } = start(tenant);
    await cycle.run();
    live.events = 7;
    env.clock += 60;
    await cycle.run();
    live.end = env.clock;
    live.events = 9;
    env.clock += 60;
    await cycle.run();
    expect(env.intake.accepted).toEqual(tenant.expected());
    expect(saved(env).seen.live).toBe(live.end);
  });

  it('asks for a running session again after a third of its age, within the bound, and at once when it ends', async () => {
    const tenant = new FakeSessionTenant();
    const old = tenant.add({ lsid: 'old', start: NOW - 3 * HOUR, end: null, events: 3 });
    const young = tenant.add({ lsid: 'young', start: NOW - 30, end: null, events: 1 });
    const { env, cycle } = start(tenant);
    const fetches = (lsid: string): number => tenant.fetches.filter((lsids) => lsids.includes(lsid)).length;
    await cycle.run();
    for (let minute = 1; minute <= 8; minute++) {
      old.events += 1;
      young.events += 1;
      env.clock += 60;
      await cycle.run();
    }
    // Three hours old: a third of its age is past the 10-minute bound, so every 10 cycles.
    expect(fetches('old')).toBe(1);
    // Half a minute old: every cycle, then every other one as it ages.
    expect(fetches('young')).toBeGreaterThanOrEqual(5);
    env.clock += 60;
    await cycle.run();
    expect(fetches('old')).toBe(1);
    env.clock += 60;
    await cycle.run();
    expect(fetches('old')).toBe(2);
    old.end = env.clock;
    env.clock += 60;
    await cycle.run();
    expect(fetches('old')).toBe(3);
    // Every event of the old session, once, although it was asked for only three times.
    const ofOld = env.intake.accepted.filter((json) => eventsOf(tenant, ['old']).includes(json));
    expect(multiset(ofOld)).toEqual(multiset(eventsOf(tenant, ['old'])));
  });

  it.each([
    [2, 10],
    // Length ÷ (2 × the 600 s bound) = 24, once more whole when it ends, and its young minutes.
    [8, 26],
  ])(
    'has PRA send a %i-hour session at most %i times its final size, no event waiting past the bound',
    async (hours, ratio) => {
      const tenant = new FakeSessionTenant();
      const session = tenant.add({ lsid: 'vendor', start: NOW, end: null, events: 1 });
      const sent: Array<{ at: number; events: number }> = [];
      const fetch = tenant.fetch.bind(tenant);
      const { env, cycle } = start(tenant);
      tenant.fetch = (lsids) => {
        if (lsids.includes('vendor')) sent.push({ at: env.clock, events: session.events });
        return fetch(lsids);
      };
      // One event a minute, a cycle a minute, as the default trigger runs.
      for (let minute = 0; minute < hours * 60; minute++) {
        await cycle.run();
        env.clock += 60;
        session.events += 1;
      }
      session.end = env.clock;
      await cycle.run();
      expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
      const total = sent.reduce((sum, fetch) => sum + fetch.events, 0);
      expect(total / session.events).toBeLessThanOrEqual(ratio);
      // An event written just after a fetch waits for the next one.
      const gaps = sent.slice(1).map((fetch, i) => fetch.at - sent[i].at);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(600);
    },
  );

  it("fetches a past window's closed sessions whole, in one request, and a running session's remaining events", async () => {
    const tenant = new FakeSessionTenant();
    const backlog = closedSessions(tenant, 300, 4, NOW - 20 * HOUR);
    const running = tenant.add({ lsid: 'long', start: NOW - 30 * HOUR, end: null, events: 5 });
    const { env, cycle } = start(tenant, undefined, { firstRunLookbackSeconds: 2 * DAY });
    await cycle.run();
    // The backlog came by window; only the running session was asked for by lsid.
    expect(tenant.fetches).toEqual([['long']]);
    expect(tenant.closedFetches.length).toBeGreaterThan(0);
    expect(tenant.closedFetches.length).toBeLessThanOrEqual(6);
    running.end = NOW + 30;
    running.events = 8;
    env.clock += HOUR;
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
    expect(eventsOf(tenant, backlog)).toHaveLength(1200);
  });

  it('has PRA send a session once when it started in one window of a catch-up and ended in a later one', async () => {
    const tenant = new FakeSessionTenant();
    // 20-minute sessions, 1,200 an hour for 10 hours: windows are given back for holding too
    // many, and many sessions start in one window and end in the next.
    const count = 12_000;
    for (let i = 0; i < count; i++) {
      const end = NOW - 10 * HOUR + Math.floor((i * 10 * HOUR) / count);
      tenant.add({ lsid: `c${i}`, start: end - 1200, end, events: 2 });
    }
    const { env, cycle } = start(tenant, undefined, {
      firstRunLookbackSeconds: 12 * HOUR,
      sessionsPerRequest: 50,
    });
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
    const sent = timesSent(tenant);
    expect(sent.size).toBe(count);
    expect([...sent.values()].filter((times) => times > 1)).toEqual([]);
    // Listings and windows, not one request per 50 sessions (240).
    expect(tenant.fetches.length + tenant.closedFetches.length).toBeLessThan(40);
  });

  it('fetches whole the sessions that ended in the last window, when there are many', async () => {
    const tenant = new FakeSessionTenant();
    // Ended from 250 to 51 s ago: within the overlap before now.
    closedSessions(tenant, 200, 3, NOW - 280);
    const { env, cycle } = start(tenant);
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
    expect(tenant.fetches).toEqual([]);
    expect(tenant.closedFetches).toHaveLength(1);
  });

  it('asks for about 20,000 events a request: 1.4 times that in one, and more in pieces as the first ones show', async () => {
    const tenant = new FakeSessionTenant();
    const burst = (sessions: number, firstEnd: number, spread: number): void => {
      for (let i = 0; i < sessions; i++) {
        const end = firstEnd + Math.floor((i * spread) / sessions);
        tenant.add({ lsid: `${firstEnd}-${i}`, start: end - 600, end, events: 200 });
      }
    };
    // 28,000 events, in a window before the events per session are known (a guess of 100).
    burst(140, NOW - 30 * HOUR, HOUR);
    // 80,000 events, spread over the later window.
    burst(400, NOW - 16 * HOUR, 15 * HOUR);
    const { env, cycle } = start(tenant, undefined, { firstRunLookbackSeconds: 2 * DAY });
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
    const replies = tenant.closedFetches.map((window) => 200 * tenant.endedIn(window).length);
    expect(replies.filter((events) => events > 0)).toEqual([28_000, ...replies.slice(-4)]);
    expect(replies.slice(-4).every((events) => events >= 10_000 && events <= 30_000)).toBe(true);
    expect(tenant.fetches).toEqual([]);
  });

  it('falls back to listing and batches for a past window that cannot be fetched whole', async () => {
    const tenant = new FakeSessionTenant();
    const backlog = closedSessions(tenant, 150, 2, NOW - 5 * HOUR);
    const fetchClosed = tenant.fetchClosed.bind(tenant);
    tenant.fetchClosed = (window) => {
      if (window.from <= NOW - 5 * HOUR + 30 && window.to > NOW - 5 * HOUR) {
        return (async function* () {
          yield* [];
          throw new PraError('parse', 'broken reply', { line: 1, column: 1 });
        })();
      }
      return fetchClosed(window);
    };
    const { env, cycle } = start(tenant);
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(eventsOf(tenant, backlog)));
    expect(tenant.fetches.flat().sort()).toEqual([...backlog].sort());
    expect(env.messages('warning').some((m) => /could not be fetched whole/.test(m))).toBe(true);
  });

  it('catches up a long backlog window by window, never tracking more than a window of new sessions', async () => {
    const tenant = new FakeSessionTenant();
    const backlog = 3 * MAX_NEW_SESSIONS_PER_WINDOW;
    for (let i = 0; i < backlog; i++) {
      const start = NOW - 80 * DAY + Math.floor((i * 79 * DAY) / backlog);
      tenant.add({ lsid: `b${i}`, start, end: start + 10, events: 1 });
    }
    const { env, cycle } = start(tenant, undefined, {
      firstRunLookbackSeconds: 90 * DAY,
      sessionsPerRequest: 50,
    });
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
    const tracked = env.saves.map(
      (json) => Object.keys((JSON.parse(json) as StateFileContent).tracked).length,
    );
    expect(Math.max(...tracked)).toBeLessThanOrEqual(MAX_NEW_SESSIONS_PER_WINDOW);
    // The watermarks advanced window by window, and the first cycle reached now.
    const watermarks = env.saves.map((json) => (JSON.parse(json) as StateFileContent).watermark);
    expect(new Set(watermarks).size).toBeGreaterThan(3);
    expect(saved(env).watermark).toBe(NOW);
    expect(Object.keys(saved(env).seen).length).toBeLessThanOrEqual(MAX_NEW_SESSIONS_PER_WINDOW);
  });

  it('still fetches what it tracks when the tracked set starts a cycle at its bound', async () => {
    const tenant = new FakeSessionTenant();
    const backlog = closedSessions(tenant, MAX_TRACKED, 1, NOW - 3 * HOUR);
    const { env, state, cycle } = start(tenant, undefined, { sessionsPerRequest: 50 });
    // Left tracked by earlier cycles (PRA was failing then, say).
    for (const lsid of backlog) state.track(lsid, NOW - 3 * HOUR);
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
    expect(saved(env).tracked).toEqual({});
  });

  it("lists up to PRA's now in its last window, so a session that starts while the cycle runs is not left for the next", async () => {
    const tenant = new FakeSessionTenant();
    closedSessions(tenant, 2);
    const { env, cycle } = start(tenant);
    // Started and ended after the cycle began, before its listing reached PRA (a slow token, say).
    tenant.add({ lsid: 'late', start: NOW + 5, end: NOW + 8, events: 2 });
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
    expect(tenant.listings.at(-1)?.to).toBeUndefined();
  });
});
