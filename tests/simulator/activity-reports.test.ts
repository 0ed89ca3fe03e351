import { manualClock, type PraSimulator } from '../../simulator/pra';
import { closeSimulators, NOW, report, start, token } from './pra-http';

const SRA = 'http://www.beyondtrust.com/sra/namespaces/API/reporting';
const VAULT = 'VaultAccountActivity';

afterEach(closeSimulators);

/** Timestamps of the entries of a Vault or Team report, in document order. */
function timestampsIn(xml: string): number[] {
  return [...xml.matchAll(/<(?:\w+:)?(?:vault_account_activity|event) timestamp="(\d+)"/g)].map((m) =>
    Number(m[1]),
  );
}

/** The `<team_activity>` elements of a Team report, by team id. */
function teamSections(xml: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const m of xml.matchAll(/<team_activity name="[^"]*" id="(\d+)">([\s\S]*?)<\/team_activity>/g)) {
    sections.set(m[1], m[2]);
  }
  return sections;
}

describe('PRA simulator: VaultAccountActivity and Team windows', () => {
  let sim: PraSimulator;
  let bearer: string;

  beforeEach(async () => {
    sim = await start({ vaultActivities: 40, teamEvents: 40 });
    bearer = await token(sim);
  });

  const vaultTimes = (): number[] => sim.vaultActivity.map((a) => a.timestamp);

  it('returns vault events at or after start_time and up to start_time + duration, both bounds inclusive', async () => {
    const times = vaultTimes();
    const from = times[5];
    const to = times[20];
    const res = await report(sim, bearer, {
      generate_report: VAULT,
      start_time: String(from),
      duration: String(to - from),
    });
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('text/xml; charset=UTF-8');
    expect(res.text).toContain(`<vault_account_activity_list xmlns="${SRA}">`);
    expect(timestampsIn(res.text)).toEqual(times.filter((t) => t >= from && t <= to));
    expect(timestampsIn(res.text)).toContain(from);
    expect(timestampsIn(res.text)).toContain(to);
  });

  it('treats end_time like start_time, and echoes the window asked for', async () => {
    const from = vaultTimes()[10];
    const byStart = await report(sim, bearer, {
      generate_report: VAULT,
      start_time: String(from),
      duration: '60',
    });
    const byEnd = await report(sim, bearer, {
      generate_report: VAULT,
      end_time: String(from),
      duration: '60',
    });
    expect(byEnd.text).toBe(byStart.text);
    expect(byStart.text).toContain(
      `<start_time timestamp="${from}">${new Date(from * 1000).toISOString().replace('.000Z', '+00:00')}</start_time>`,
    );
    expect(byStart.text).toContain(`<end_time timestamp="${from + 60}">`);
  });

  it('reads duration=0 as "up to now" and echoes now as the end', async () => {
    const res = await report(sim, bearer, { generate_report: 'Team', start_time: '0', duration: '0' });
    expect(res.text).toContain(`<end_time timestamp="${NOW}">`);
    const all = sim.teams.flatMap((t) => t.events);
    expect(timestampsIn(res.text)).toHaveLength(all.length);
  });

  it('widens the window by the slack on each side, so a collector must filter what it did not ask for', async () => {
    const from = vaultTimes()[20];
    const to = from + 30;
    const params = { generate_report: VAULT, start_time: String(from), duration: '30' };
    sim.setWindowSlack(120);
    const wide = await report(sim, bearer, params);
    expect(timestampsIn(wide.text)).toEqual(vaultTimes().filter((t) => t >= from - 120 && t <= to + 120));
    expect(timestampsIn(wide.text).some((t) => t < from)).toBe(true);
    // The echo still states the window asked for.
    expect(wide.text).toContain(`<start_time timestamp="${from}">`);
    sim.setWindowSlack(0);
    expect(timestampsIn((await report(sim, bearer, params)).text).every((t) => t >= from && t <= to)).toBe(
      true,
    );
  });

  it('answers bad window parameters with HTTP 200 and an <error>', async () => {
    const bad: Array<Record<string, string>> = [
      { generate_report: VAULT },
      { generate_report: 'Team', start_time: '1', end_time: '2' },
      { generate_report: VAULT, start_time: '2025-01-01T00:00:00Z' },
      { generate_report: 'Team', start_time: '0', duration: '-5' },
    ];
    for (const params of bad) {
      const res = await report(sim, bearer, params);
      expect(res.status).toBe(200);
      expect(res.text).toMatch(new RegExp(`<error xmlns="${SRA}">[^<]+</error>$`));
    }
  });
});

describe('PRA simulator: late arrivals and the future', () => {
  it('shows a vault event added in a second already reported in the next report, in time order', async () => {
    const sim = await start();
    const bearer = await token(sim);
    const second = sim.vaultActivity[3].timestamp;
    const params = { generate_report: VAULT, start_time: String(second), duration: '0' };
    const before = timestampsIn((await report(sim, bearer, params)).text);
    const late = sim.addVaultActivity({ timestamp: second, eventType: 'Credentials Used', data: 'late' });
    const after = await report(sim, bearer, params);
    expect(timestampsIn(after.text)).toEqual([...before, second].sort((a, b) => a - b));
    expect(after.text).toContain('<data>late</data>');
    expect(sim.vaultActivity.indexOf(late)).toBe(
      sim.vaultActivity.filter((a) => a.timestamp <= second).length - 1,
    );
  });

  it('shows a late team event in each of its teams, in time order', async () => {
    const sim = await start();
    const bearer = await token(sim);
    const [first, , third] = sim.teams;
    const second = first.events[0].timestamp;
    sim.addTeamEvent({ timestamp: second, eventType: 'Logged Out', teams: [first.id, third.id], data: null });
    const res = await report(sim, bearer, { generate_report: 'Team', start_time: '0' });
    const sections = teamSections(res.text);
    for (const team of [first, third]) {
      const times = timestampsIn(sections.get(team.id) ?? '');
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times.filter((t) => t === second).length).toBe(
        team.events.filter((e) => e.timestamp === second).length,
      );
    }
  });

  it('hides events after now until the clock reaches them', async () => {
    const clock = manualClock(NOW);
    const sim = await start({ now: clock.now });
    const bearer = await token(sim);
    sim.addVaultActivity({ timestamp: NOW + 10, data: 'from the future' });
    const params = { generate_report: VAULT, start_time: String(NOW - 5), duration: '0' };
    expect((await report(sim, bearer, params)).text).not.toContain('from the future');
    clock.set(NOW + 10);
    expect((await report(sim, bearer, params)).text).toContain('from the future');
  });
});

describe('PRA simulator: Vault and Team traps', () => {
  it('renders identical vault events of one second as two entries, and empty, missing and partial elements', async () => {
    const sim = await start();
    const bearer = await token(sim);
    const { text } = await report(sim, bearer, { generate_report: VAULT, start_time: '0' });
    const entries = text.match(/<vault_account_activity [\s\S]*?<\/vault_account_activity>/g) ?? [];
    expect(entries).toHaveLength(sim.vaultActivity.length);
    expect(entries.length - new Set(entries).size).toBeGreaterThanOrEqual(1);
    expect(text).toContain('<data />');
    expect(entries.some((e) => !e.includes('<data'))).toBe(true);
    expect(entries.some((e) => !e.includes('<performed_by'))).toBe(true);
    expect(text).toContain('<performed_by type="System">System</performed_by>');
    expect(text).toContain('&lt;srv-');
    expect(text).toMatch(/日本|é/);
  });

  it('reports one event under two teams, identical events in one second, and events without performed_by or data', async () => {
    const sim = await start();
    const bearer = await token(sim);
    const { text } = await report(sim, bearer, { generate_report: 'Team', start_time: '0' });
    const sections = teamSections(text);
    const shared = sim.teams[0].events.find((e) => sim.teams[1].events.includes(e));
    expect(shared).toBeDefined();
    const eventsOf = (id: string): string[] => sections.get(id)?.match(/<event [\s\S]*?<\/event>/g) ?? [];
    const sharedXml = eventsOf(sim.teams[0].id).filter((e) => eventsOf(sim.teams[1].id).includes(e));
    expect(sharedXml.length).toBeGreaterThanOrEqual(1);
    const first = eventsOf(sim.teams[0].id);
    expect(first.length - new Set(first).size).toBeGreaterThanOrEqual(1);
    const all = [...sections.keys()].flatMap(eventsOf);
    expect(all.some((e) => !e.includes('<performed_by'))).toBe(true);
    expect(all.some((e) => !e.includes('<data'))).toBe(true);
    expect(text).toContain('value="Unknown"');
    expect(text).toContain('<performed_by type="system">Privileged Remote Access</performed_by>');
    expect(text).toMatch(/<logged_in_representatives><representative id="\d+" gsnumber="\d+">/);
  });

  it('leaves out teams without activity in the window', async () => {
    const sim = await start();
    const bearer = await token(sim);
    const from = Math.max(...sim.teams.flatMap((t) => t.events.map((e) => e.timestamp))) + 1;
    sim.addTeamEvent({ timestamp: from, teams: [sim.teams[0].id] });
    const recent = await report(sim, bearer, { generate_report: 'Team', start_time: String(from) });
    expect([...teamSections(recent.text).keys()]).toEqual([sim.teams[0].id]);
  });

  it('applies the namespace and prefix of the session reports', async () => {
    const sim = await start();
    const bearer = await token(sim);
    sim.setNamespace('docs', 'ns');
    const vault = await report(sim, bearer, { generate_report: VAULT, start_time: '0' });
    expect(vault.text).toContain(
      '<ns:vault_account_activity_list xmlns:ns="https://www.beyondtrust.com/namespaces/API/reporting">',
    );
    expect(vault.text).toContain('<ns:vault_account_activity timestamp=');
    const team = await report(sim, bearer, { generate_report: 'Team', start_time: '0' });
    expect(team.text).toContain('<ns:team_activity_list xmlns:ns=');
    expect(team.text).toContain('<ns:event timestamp=');
  });
});

describe('PRA simulator: localised no-data', () => {
  const empty = { start_time: String(NOW + 100), duration: '0' };

  it('answers an empty window with the English no-data <error> of each report', async () => {
    const sim = await start();
    const bearer = await token(sim);
    const vault = await report(sim, bearer, { generate_report: VAULT, ...empty });
    expect(vault.status).toBe(200);
    expect(vault.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<error >No vault account activity matching your chosen criteria is available.</error>',
    );
    expect((await report(sim, bearer, { generate_report: 'Team', ...empty })).text).toContain(
      '<error >No Support Team report information matching your chosen criteria is available.</error>',
    );
  });

  it('words it in French with setLocale or the locale option', async () => {
    const sim = await start();
    const bearer = await token(sim);
    sim.setLocale('fr');
    for (const generate_report of [VAULT, 'Team']) {
      const res = await report(sim, bearer, { generate_report, ...empty });
      expect(res.text).toMatch(/^<\?xml[^>]*>\n<error >[^<]*correspondant à vos critères[^<]*<\/error>$/);
    }
    const french = await start({ locale: 'fr' });
    expect((await report(french, await token(french), { generate_report: VAULT, ...empty })).text).toContain(
      'correspondant à vos critères',
    );
  });

  it('can answer an empty list instead, as the vendor documentation describes', async () => {
    const sim = await start({ emptyActivityReply: 'list' });
    const bearer = await token(sim);
    const res = await report(sim, bearer, { generate_report: 'Team', ...empty });
    expect(res.text).toMatch(
      /^<\?xml[^>]*>\n<team_activity_list xmlns="[^"]+">\n<start_time [^>]+>[^<]+<\/start_time><end_time [^>]+>[^<]+<\/end_time>\n<\/team_activity_list>$/,
    );
  });
});

describe('PRA simulator: tokens, permissions and faults on the other reports', () => {
  it('refuses the three reports without a valid token, like the session reports', async () => {
    const clock = manualClock(NOW);
    const sim = await start({ now: clock.now, tokenExpiresIn: 10 });
    const bearer = await token(sim);
    for (const generate_report of [VAULT, 'Team', 'Syslog']) {
      const params = { generate_report, start_time: '0' };
      expect((await report(sim, 'made-up', params)).status).toBe(401);
      expect((await report(sim, bearer, params)).status).toBe(200);
    }
    clock.advance(10);
    expect((await report(sim, bearer, { generate_report: 'Syslog' })).status).toBe(401);
  });

  it('answers a report-level <error> (a missing permission) until cleared', async () => {
    const sim = await start();
    const bearer = await token(sim);
    const denied = 'The API account does not have permission to run this report.';
    sim.setReportError(VAULT, denied);
    const res = await report(sim, bearer, { generate_report: VAULT, start_time: '0' });
    expect([res.status, res.contentType]).toEqual([200, 'text/xml; charset=UTF-8']);
    expect(res.text).toMatch(new RegExp(`<error xmlns="${SRA}">${denied}</error>$`));
    expect((await report(sim, bearer, { generate_report: 'Team', start_time: '0' })).text).toContain(
      '<team_activity',
    );
    sim.setReportError(VAULT, undefined);
    expect((await report(sim, bearer, { generate_report: VAULT, start_time: '0' })).text).toContain(
      '<vault_account_activity ',
    );
  });

  it('aims a fault at one report type only', async () => {
    const sim = await start();
    const bearer = await token(sim);
    sim.injectFault({ kind: 'status', status: 503, count: 1, report: 'Team' });
    expect((await report(sim, bearer, { generate_report: VAULT, start_time: '0' })).status).toBe(200);
    expect(
      (await report(sim, bearer, { generate_report: 'AccessSessionListing', start_time: '0' })).status,
    ).toBe(200);
    expect((await report(sim, bearer, { generate_report: 'Team', start_time: '0' })).status).toBe(503);
    expect((await report(sim, bearer, { generate_report: 'Team', start_time: '0' })).status).toBe(200);
  });
});

describe('PRA simulator: feed data and seeds', () => {
  it('gives the same feed data for the same seed, without changing the sessions of that seed', async () => {
    const a = await start({ seed: 7 });
    const b = await start({ seed: 7, vaultActivities: 0, teams: 0, syslog: { records: 0 } });
    const c = await start({ seed: 7 });
    const sessions = (s: PraSimulator): string =>
      s.renderAccessSession(s.sessions.map((x) => x.lsid)).replaceAll(s.url, '');
    expect(sessions(b)).toBe(sessions(a));
    expect(c.vaultActivity).toEqual(a.vaultActivity);
    expect(c.teams).toEqual(a.teams);
    expect(c.syslogRecords.map((r) => r.payload)).toEqual(a.syslogRecords.map((r) => r.payload));
    expect(b.vaultActivity).toHaveLength(0);
  });

  it('refuses a team event for an unknown team, naming the teams there are', async () => {
    const sim = await start();
    expect(() => sim.addTeamEvent({ teams: ['99'] })).toThrow(/unknown team 99; teams are 1, 2, 3/);
  });
});
