import { canonicalJson } from '../../simulator/delivery-check';
import {
  compareJsonEvents,
  compareSyslogEvents,
  expectedSyslogEvents,
  expectedTeamEvents,
  expectedVaultEvents,
} from '../../simulator/expected-events';
import { manualClock } from '../../simulator/pra';
import { closeSimulators, NOW, report, start, syslogArchive, token } from './pra-http';
import { syslogPayloadsFromArchive, teamEventsFromXml, vaultEventsFromXml } from './reference-readers';

afterEach(closeSimulators);

const clean = { lost: 0, duplicated: 0, unexpected: 0 };

describe('ground truth: Vault account activity', () => {
  it('states each event as the intake expects it: strings, data null when empty, absent keys when missing', async () => {
    const sim = await start({ vaultActivities: 0 });
    sim.addVaultActivity({
      timestamp: NOW - 3,
      eventType: 'Password Changed',
      account: '1',
      performedBy: { id: '2', type: 'User', name: 'John Doe' },
      data: 'Manually Edited',
    });
    sim.addVaultActivity({
      timestamp: NOW - 2,
      eventType: 'Account Deleted',
      account: '4',
      performedBy: null,
      data: '',
    });
    sim.addVaultActivity({
      timestamp: NOW - 1,
      eventType: 'Password Rotated',
      account: '5',
      performedBy: { type: 'System', name: '' },
      data: null,
    });
    expect(expectedVaultEvents(sim)).toEqual([
      {
        timestamp: String(NOW - 3),
        event_type: 'Password Changed',
        account_id: '1',
        performed_by: { id: '2', type: 'User', name: 'John Doe' },
        data: 'Manually Edited',
      },
      { timestamp: String(NOW - 2), event_type: 'Account Deleted', account_id: '4', data: null },
      {
        timestamp: String(NOW - 1),
        event_type: 'Password Rotated',
        account_id: '5',
        performed_by: { type: 'System' },
      },
    ]);
  });

  it('agrees with what the report shows, whatever the namespace and prefix', async () => {
    const sim = await start({ vaultActivities: 60 });
    const bearer = await token(sim);
    sim.setNamespace('bomgar', 'b');
    const res = await report(sim, bearer, { generate_report: 'VaultAccountActivity', start_time: '0' });
    const shown = vaultEventsFromXml(res.text).map((e) => JSON.stringify(e));
    expect(compareJsonEvents(expectedVaultEvents(sim), shown)).toMatchObject({ ...clean, expected: 60 });
  });

  it('leaves out events after the clock until it reaches them, and narrows by select', async () => {
    const clock = manualClock(NOW);
    const sim = await start({ now: clock.now });
    const before = expectedVaultEvents(sim).length;
    sim.addVaultActivity({ timestamp: NOW + 5 });
    expect(expectedVaultEvents(sim)).toHaveLength(before);
    clock.advance(5);
    expect(expectedVaultEvents(sim)).toHaveLength(before + 1);
    expect(expectedVaultEvents(sim, (a) => a.timestamp > NOW)).toHaveLength(1);
  });
});

describe('ground truth: Team activity', () => {
  it('states an event of two teams twice, with {} for a missing performer or data', async () => {
    const sim = await start({ teamEvents: 0, teams: 2 });
    const [a, b] = sim.teams;
    sim.addTeamEvent({
      timestamp: NOW,
      eventType: 'Logged In',
      performedBy: { type: 'representative', gsnumber: '12', name: 'Alice' },
      data: [
        ['private_ip', 'Unknown'],
        ['public_ip', '203.0.113.9'],
      ],
      teams: [a.id, b.id],
    });
    sim.addTeamEvent({
      timestamp: NOW,
      eventType: 'Queue Overflow',
      performedBy: null,
      data: null,
      teams: [b.id],
    });
    sim.addTeamEvent({
      timestamp: NOW,
      eventType: 'Joined Team',
      performedBy: { type: 'system', name: 'PRA' },
      data: [],
      teams: [a.id],
    });
    const login = {
      timestamp: String(NOW),
      event_type: 'Logged In',
      performed_by: { type: 'representative', gsnumber: '12', name: 'Alice' },
      data: { private_ip: 'Unknown', public_ip: '203.0.113.9' },
    };
    expect(expectedTeamEvents(sim)).toEqual([
      { ...login, team: { id: a.id, name: a.name } },
      {
        timestamp: String(NOW),
        event_type: 'Joined Team',
        team: { id: a.id, name: a.name },
        performed_by: { type: 'system', name: 'PRA' },
        data: {},
      },
      { ...login, team: { id: b.id, name: b.name } },
      {
        timestamp: String(NOW),
        event_type: 'Queue Overflow',
        team: { id: b.id, name: b.name },
        performed_by: {},
        data: {},
      },
    ]);
  });

  it('agrees with what the report shows', async () => {
    const sim = await start({ teamEvents: 60 });
    const bearer = await token(sim);
    sim.setNamespace('none');
    const res = await report(sim, bearer, { generate_report: 'Team', start_time: '0' });
    const shown = teamEventsFromXml(res.text).map((e) => JSON.stringify(e));
    const expected = expectedTeamEvents(sim);
    // The opening's two-team event makes the intake's count exceed the number of distinct events.
    expect(expected.length).toBeGreaterThan(new Set(sim.teams.flatMap((t) => t.events)).size);
    expect(compareJsonEvents(expected, shown)).toMatchObject(clean);
  });
});

describe('ground truth: Syslog', () => {
  it('expects complete records whole, a cut record once as written, a pending one only once complete', async () => {
    const sim = await start({ syslog: { records: 0 } });
    const long = `event=setting_changed;when=${NOW};banner=${'é'.repeat(700)}`;
    const whole = sim.addSyslogRecord({ payload: 'event=login;when=1', pid: 1 });
    const cut = sim.addSyslogRecord({ payload: long, pid: 2, cutAt: [30, 402], write: 2 });
    sim.addSyslogRecord({ payload: 'event=logout;when=2', pid: 2 });
    const pending = sim.addSyslogRecord({ payload: long, pid: 3, write: 1 });
    const writtenPart = Buffer.from(long).subarray(0, 402).toString('utf8');
    expect(writtenPart.endsWith('\uFFFD')).toBe(true);
    expect(expectedSyslogEvents(sim)).toEqual([whole.payload, writtenPart, 'event=logout;when=2']);
    expect(cut.state).toBe('cut');
    sim.continueSyslogRecord(pending);
    expect(expectedSyslogEvents(sim).at(-1)).toBe(long);
  });

  it('counts the records rotation dropped unless select leaves them out', async () => {
    const sim = await start({ syslog: { keepRotated: 1 } });
    const all = expectedSyslogEvents(sim).length;
    const kept = expectedSyslogEvents(sim, (r) => !r.dropped).length;
    expect(kept).toBeLessThan(all);
  });

  it('agrees with the records reassembled from the archive', async () => {
    const sim = await start({ syslog: { records: 60, keepRotated: 10 } });
    const archive = await syslogArchive(sim, await token(sim));
    const pending = sim.syslogRecords.filter((r) => r.state === 'pending');
    expect(pending).toHaveLength(1);
    expect(compareSyslogEvents(expectedSyslogEvents(sim), syslogPayloadsFromArchive(archive))).toMatchObject(
      clean,
    );
    expect(sim.syslogRecords.some((r) => r.state === 'cut')).toBe(true);

    sim.continueSyslogRecord(pending[0]);
    const completed = syslogPayloadsFromArchive(await syslogArchive(sim, await token(sim)));
    expect(compareSyslogEvents(expectedSyslogEvents(sim), completed)).toMatchObject(clean);
    expect(completed).toContain(pending[0].payload);
  });
});

describe('ground truth: comparing deliveries', () => {
  const a = { timestamp: '1', data: { x: '1', y: '2' } };
  const b = { timestamp: '2', data: {} };

  it('matches JSON events whatever their key order, and counts lost, duplicated and unexpected ones', () => {
    const delivered = [
      '{"data":{"y":"2","x":"1"},"timestamp":"1"}',
      JSON.stringify(a),
      '{"timestamp":"3"}',
      'not json',
    ];
    expect(compareJsonEvents([a, a, b], delivered)).toEqual({
      expected: 3,
      delivered: 4,
      lost: 1,
      duplicated: 0,
      unexpected: 2,
      lostSamples: [canonicalJson(b)],
    });
    expect(compareJsonEvents([a], [JSON.stringify(a), JSON.stringify(a)])).toMatchObject({
      lost: 0,
      duplicated: 1,
    });
  });

  it('matches syslog payloads byte for byte, identical ones counted as copies', () => {
    const token = 'event=token;when=1';
    expect(compareSyslogEvents([token, token], [token, token])).toMatchObject(clean);
    expect(compareSyslogEvents([token, token], [token])).toMatchObject({ ...clean, lost: 1 });
    expect(compareSyslogEvents([token], [token, token, `${token} `])).toMatchObject({
      ...clean,
      duplicated: 1,
      unexpected: 1,
    });
  });

  it('writes canonical JSON with keys sorted at every depth', () => {
    expect(canonicalJson({ b: { d: '1', c: '2' }, a: [{ z: '1', y: '2' }] })).toBe(
      '{"a":[{"y":"2","z":"1"}],"b":{"c":"2","d":"1"}}',
    );
  });
});
