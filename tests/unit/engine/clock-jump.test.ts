/**
 * A saved time ahead of the clock (the host's clock was ahead, then corrected), through the real
 * cycles against in-memory tenants: nothing PRA writes afterwards is missed, nothing is repeated,
 * whether the future watermark comes from the file or the clock goes back between two cycles.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ArgumentReader, praCredentials } from '../../../module/config';
import { WindowCycle } from '../../../module/engine/window-cycle';
import { TimedEventsState, type TimedEventsStateContent } from '../../../module/engine/timed-events-state';
import { configureSessions, type SessionsConfig } from '../../../module/feeds/sessions/config';
import { SessionCycle } from '../../../module/feeds/sessions/cycle';
import { SessionFeedState, type StateFileContent } from '../../../module/feeds/sessions/state';
import { FakeActivityTenant, FakeSessionTenant } from './fake-tenants';
import { FakeEnvironment, multiset } from './fakes';
import { REPO_ROOT } from '../../support/paths';

const NOW = 1_800_000_000;
const HOUR = 3600;
const DAY = 24 * HOUR;
const OVERLAP = 300;

const event = (n: number): string => JSON.stringify({ n });

function vault(
  saved: unknown,
  tenant: FakeActivityTenant,
  clock = NOW,
): { env: FakeEnvironment; cycle: WindowCycle } {
  const env = new FakeEnvironment(clock);
  const state = env.attach(TimedEventsState.open(saved, env.clock, DAY, OVERLAP, 'context.json'));
  state.reportTo((message, level) => env.log(message, level));
  return { env, cycle: new WindowCycle(env, state, tenant, 'VaultAccountActivity') };
}

/** The trigger's own defaults (its item JSON), with the overlap these tests count on. */
function sessionsConfig(): SessionsConfig {
  const manifest = JSON.parse(
    fs.readFileSync(path.join(REPO_ROOT, 'triggers', 'pull_pra_sessions.json'), 'utf8'),
  ) as { arguments: { properties: Record<string, { default?: unknown }> } };
  const args: Record<string, unknown> = { intake_key: 'key' };
  for (const [name, property] of Object.entries(manifest.arguments.properties)) {
    if (property.default !== undefined) args[name] = property.default;
  }
  args.overlap_seconds = OVERLAP;
  const credentials = praCredentials({
    base_url: 'https://pra.example.com',
    client_id: 'id',
    client_secret: 'x',
  });
  return configureSessions(credentials, new ArgumentReader(args, 'pull_pra_sessions'));
}

function sessions(
  saved: unknown,
  tenant: FakeSessionTenant,
  clock = NOW,
): { env: FakeEnvironment; cycle: SessionCycle } {
  const env = new FakeEnvironment(clock);
  const state = env.attach(SessionFeedState.open(saved, env.clock, DAY, 'context.json'));
  state.reportTo((message, level) => env.log(message, level));
  return { env, cycle: new SessionCycle(env, sessionsConfig(), state, tenant) };
}

describe('a Vault watermark ahead of the clock', () => {
  it('from the file: the events written since are forwarded at once, each once', async () => {
    const tenant = new FakeActivityTenant();
    const saved: TimedEventsStateContent = {
      version: 1,
      most_recent_date_seen: '',
      watermark: NOW + HOUR,
      floor: NOW - DAY,
      accepted: {},
      failures: {},
      set_aside: [],
    };
    const { env, cycle } = vault(saved, tenant);
    // Ten events written in the minutes after the start, while the old code waited for the clock.
    for (let i = 0; i < 10; i++) tenant.add(NOW + 5 + i * 20, event(i));
    for (let minute = 1; minute <= 5; minute++) {
      env.clock = NOW + minute * 60;
      await cycle.run();
    }
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
    expect(env.messages('warning')).toEqual([
      expect.stringMatching(/^State file context\.json: the watermark .* is ahead of the clock/),
    ]);
  });

  it('the clock goes back between two cycles: what is written next is forwarded, nothing twice', async () => {
    const tenant = new FakeActivityTenant();
    tenant.add(NOW - 100, event(1));
    const { env, cycle } = vault(undefined, tenant);
    env.clock = NOW + 240; // Ahead by four minutes: the watermark moves there.
    await cycle.run();
    env.clock = NOW + 60; // Corrected.
    tenant.add(NOW + 30, event(2));
    await cycle.run();
    tenant.add(NOW + 100, event(3));
    env.clock = NOW + 120;
    await cycle.run();
    env.clock = NOW + 400;
    await cycle.run();
    expect(env.intake.accepted).toEqual([event(1), event(2), event(3)]);
    expect(env.messages('warning')).toHaveLength(1);
  });
});

describe('a session watermark ahead of the clock', () => {
  function tenantWith(count: number, since: number): FakeSessionTenant {
    const tenant = new FakeSessionTenant();
    for (let i = 0; i < count; i++)
      tenant.add({ lsid: `s${i}`, start: since + i, end: since + i + 30, events: 2 });
    return tenant;
  }

  it('from the file: the sessions seen are not listed again, those that end later are collected once', async () => {
    const tenant = tenantWith(3, NOW - 200);
    const seen = Object.fromEntries([...tenant.sessions.values()].map((s) => [s.lsid, s.end as number]));
    const saved: StateFileContent = {
      version: 3,
      most_recent_date_seen: '',
      watermark: NOW + HOUR,
      seen,
      tracked: {},
      set_aside: {},
    };
    const { env, cycle } = sessions(saved, tenant);
    tenant.add({ lsid: 'later', start: NOW + 10, end: NOW + 40, events: 2 });
    for (let cycles = 1; cycles <= 12; cycles++) {
      env.clock = NOW + cycles * 60;
      await cycle.run();
    }
    // Only the session that ended after the start: the three in `seen` were forwarded before.
    const later = tenant.expected().filter((json) => json.includes('later'));
    expect(multiset(env.intake.accepted)).toEqual(multiset(later));
    expect(env.messages('warning')).toEqual([
      expect.stringMatching(/^State file context\.json: the watermark \(.*\) is ahead of the clock/),
    ]);
  });

  it('the clock goes back between two cycles: each session is forwarded once', async () => {
    const tenant = tenantWith(3, NOW - 200);
    const { env, cycle } = sessions(undefined, tenant);
    env.clock = NOW + 120;
    await cycle.run();
    env.clock = NOW + 30;
    tenant.add({ lsid: 'later', start: NOW, end: NOW + 20, events: 2 });
    for (let cycles = 1; cycles <= 10; cycles++) {
      env.clock = NOW + 30 + cycles * 60;
      await cycle.run();
    }
    expect(multiset(env.intake.accepted)).toEqual(multiset(tenant.expected()));
  });
});
