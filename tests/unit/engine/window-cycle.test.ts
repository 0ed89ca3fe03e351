/**
 * The window cycle (Vault and Team activity) against an in-memory activity log and intake: exactly
 * once across cycles, restarts and window boundaries, for events that have no id.
 */
import { MAX_EVENTS_PER_WINDOW, MAX_WINDOW_FAILURES, WindowCycle } from '../../../module/engine/window-cycle';
import { TimedEventsState, type TimedEventsStateContent } from '../../../module/engine/timed-events-state';
import { FakeEnvironment, multiset } from './fakes';
import { FakeActivityTenant } from './fake-tenants';
import { shortDigest } from '../../../module/engine/identity';

const NOW = 1_800_000_000;
const DAY = 86_400;
const OVERLAP = 300;

interface Rig {
  env: FakeEnvironment;
  state: TimedEventsState;
  cycle: WindowCycle;
}

/** A collector process, its state read from what the previous one saved (or from `saved`). */
function start(
  tenant: FakeActivityTenant,
  previous?: FakeEnvironment,
  options: { lookback?: number; saved?: unknown; flushChars?: number } = {},
): Rig {
  const env = new FakeEnvironment(previous?.clock ?? NOW, options.flushChars);
  const saved = previous?.lastSave() ?? options.saved;
  const state = env.attach(
    TimedEventsState.open(saved, env.clock, options.lookback ?? DAY, OVERLAP, 'context.json'),
  );
  return { env, state, cycle: new WindowCycle(env, state, tenant, 'VaultAccountActivity') };
}

const saved = (env: FakeEnvironment): TimedEventsStateContent => env.lastSave() as TimedEventsStateContent;
const event = (n: number): string => JSON.stringify({ n });

describe('the window cycle', () => {
  it('forwards every event once across cycles, the inclusive boundary second included', async () => {
    const tenant = new FakeActivityTenant();
    tenant.add(NOW - 100, event(1), event(2));
    tenant.add(NOW - 1, event(3));
    const { env, cycle } = start(tenant);
    await cycle.run();
    // Later, in the second already reported, and after it.
    tenant.add(NOW, event(4));
    tenant.add(NOW + 30, event(5));
    env.clock += 60;
    await cycle.run();
    env.clock += 60;
    await cycle.run();
    expect(env.intake.accepted).toEqual(tenant.expected());
  });

  it('sends identical events of one second once each, and a copy PRA reports late in that second', async () => {
    const tenant = new FakeActivityTenant();
    const used = JSON.stringify({ event_type: 'Credentials Used', account_id: '7' });
    tenant.add(NOW - 50, used, used);
    const { env, cycle } = start(tenant);
    await cycle.run();
    expect(env.intake.accepted).toEqual([used, used]);
    tenant.add(NOW - 50, used);
    env.clock += 60;
    await cycle.run();
    expect(env.intake.accepted).toEqual([used, used, used]);
  });

  it('takes nothing twice when PRA returns more than the window asked for', async () => {
    const tenant = new FakeActivityTenant();
    tenant.slop = 5;
    for (let t = NOW - 3 * DAY; t < NOW; t += 997) tenant.add(t, event(t));
    const { env, cycle } = start(tenant, undefined, { lookback: 3 * DAY });
    await cycle.run();
    env.clock += 60;
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected(NOW - 3 * DAY)));
  });

  it('asks for a long backlog in pieces, and splits one holding too many events', async () => {
    const tenant = new FakeActivityTenant();
    for (let i = 0; i < 2000; i++) tenant.add(NOW - 80 * DAY + i * 3000, event(i));
    const burst = NOW - 10 * DAY;
    for (let i = 0; i < MAX_EVENTS_PER_WINDOW + 500; i++)
      tenant.add(burst + Math.floor(i / 10), event(100_000 + i));
    const { env, cycle } = start(tenant, undefined, { lookback: 90 * DAY });
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
    expect(tenant.windows.length).toBeGreaterThan(10);
    // The state holds the copies of one window at most, never the backlog.
    const sizes = env.saves.map(
      (json) =>
        Object.values((JSON.parse(json) as TimedEventsStateContent).accepted).flatMap(Object.keys).length,
    );
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_EVENTS_PER_WINDOW);
    expect(saved(env).watermark).toBe(NOW);
  });

  it('counts each event without a usable timestamp once a cycle, however many windows show it', async () => {
    const tenant = new FakeActivityTenant();
    for (let t = NOW - 2 * DAY; t < NOW; t += 3600) tenant.add(t, event(t));
    const fetch = tenant.fetch.bind(tenant);
    const untimed = [event(-1), event(-1), event(-2)];
    // PRA shows the same untimed events in every reply, as inexact or overlapping windows may.
    tenant.fetch = async function* (window) {
      yield* fetch(window);
      for (const text of untimed) yield { time: undefined, identity: shortDigest(text), text };
    };
    const { env, cycle } = start(tenant, undefined, { lookback: 2 * DAY });
    await cycle.run();
    expect(tenant.windows.length).toBeGreaterThan(2);
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
    const notice = '3 VaultAccountActivity events without a usable timestamp were not forwarded';
    expect(env.messages('warning')).toEqual([notice]);
    env.clock += 60;
    await cycle.run();
    expect(env.messages('warning')).toEqual([notice, notice]);
  });

  it('retries a failing second on later cycles, then sets it aside so that later events flow', async () => {
    const tenant = new FakeActivityTenant();
    const bad = NOW - 500;
    tenant.add(NOW - 900, event(1));
    tenant.add(bad, event(2));
    tenant.add(NOW - 100, event(3));
    tenant.fail(bad);
    const { env, cycle } = start(tenant);
    await cycle.run();
    expect(env.intake.accepted).toEqual([event(1)]);
    // PRA's end bound is inclusive: the one-second window before the bad second holds it too.
    expect(saved(env).watermark).toBe(bad - 1);
    for (let i = 1; i < MAX_WINDOW_FAILURES; i++) await cycle.run();
    expect(saved(env).set_aside).toEqual([expect.objectContaining({ from: bad - 1, to: bad })]);
    expect(env.intake.accepted).toEqual([event(1)]);
    // Then the bad second on its own, retried and set aside; re-reading the first one never blocks.
    for (let i = 0; i < MAX_WINDOW_FAILURES; i++) await cycle.run();
    expect(env.intake.accepted).toEqual([event(1), event(3)]);
    expect(saved(env).set_aside.map((entry) => entry.from)).toEqual([bad - 1, bad]);
    expect(saved(env).watermark).toBe(NOW);
    expect(env.messages('error').filter((m) => m.includes('is set aside'))).toHaveLength(2);
  });

  it('charges no window when PRA itself is down', async () => {
    const tenant = new FakeActivityTenant();
    tenant.add(NOW - 10, event(1));
    const { env, state, cycle } = start(tenant);
    const fetch = tenant.fetch.bind(tenant);
    // PRA goes down as the first window is asked for: the window fails, then the probe that checks it.
    tenant.fetch = (window) => {
      tenant.down = true;
      return fetch(window);
    };
    await expect(cycle.run()).rejects.toMatchObject({ blame: 'tenant' });
    // Nothing charged to the window, not even unsaved; the probe put the blame on PRA.
    expect(state.toJSON().failures).toEqual({});
    expect(env.saves).toEqual([]);
    expect(tenant.probes).toBe(1);
  });

  it('repeats nothing after a stop in the middle of a window', async () => {
    const tenant = new FakeActivityTenant();
    for (let i = 0; i < 3000; i++) tenant.add(NOW - 3000 + i, event(i));
    // Pushes of about 1,000 characters: the stop comes with the first, mid-window.
    const first = start(tenant, undefined, { flushChars: 1000 });
    first.env.intake.whenPushed(() => {
      first.env.stopped = true;
    });
    await first.cycle.run();
    expect(first.env.intake.accepted.length).toBeGreaterThan(0);
    expect(first.env.intake.accepted.length).toBeLessThan(1000);
    const second = start(tenant, first.env);
    await second.cycle.run();
    expect(multiset([...first.env.intake.accepted, ...second.env.intake.accepted])).toEqual(
      multiset(tenant.expected()),
    );
  });

  it('commits nothing the intake refused, and sends it once on the next cycle', async () => {
    const tenant = new FakeActivityTenant();
    tenant.add(NOW - 10, event(1), event(1));
    const { env, cycle } = start(tenant);
    env.intake.failNext(1);
    await expect(cycle.run()).rejects.toThrow('intake unavailable');
    await cycle.run();
    expect(env.intake.accepted).toEqual([event(1), event(1)]);
  });

  it("takes over the Python connector's checkpoint, without repeating its second or clamping at 7 days", async () => {
    const tenant = new FakeActivityTenant();
    const checkpoint = NOW - 30 * DAY;
    tenant.add(checkpoint - 1, event(1));
    tenant.add(checkpoint, event(2));
    tenant.add(checkpoint + 1, event(3));
    tenant.add(NOW - 5, event(4));
    const python = {
      most_recent_date_seen: new Date(checkpoint * 1000).toISOString().replace('.000Z', '+00:00'),
    };
    const { env, cycle } = start(tenant, undefined, { saved: python });
    await cycle.run();
    expect(env.intake.accepted).toEqual([event(3), event(4)]);
  });
});
