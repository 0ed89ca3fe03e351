import { compareMultisets, ExactlyOnce } from '../../simulator/delivery-check';
import {
  checkSessionDelivery,
  expectedSessionEvents,
  expectedSessionJsons,
  sessionJudge,
} from '../../simulator/expected-session-events';
import { manualClock, type PraNamespace, type PraSimulator, type SimEvent } from '../../simulator/pra';
import { Waiters } from '../../simulator/wait';
import { closeSimulators, NOW, start } from './pra-http';
import { sessionEventsFromXml } from './reference-readers';
import { CONTRACT_EXAMPLE_JSON } from '../support/contract-example';

afterEach(closeSimulators);

const clean = { lost: 0, duplicated: 0, unexpected: 0 };

/** What the reference reader finds in the report PRA renders now, as JSON strings. */
function shownInReport(sim: PraSimulator): string[] {
  const xml = sim.renderAccessSession(sim.sessions.map((s) => s.lsid));
  return sessionEventsFromXml(xml).map((event) => JSON.stringify(event));
}

describe('ground truth: session events', () => {
  it("states event-contract.md's example exactly, key order included", async () => {
    const sim = await start({ closedSessions: 0, openSessions: 0, now: () => 1_764_151_300 });
    sim.addSession({
      lsid: '5b1f0c2e9a7d4e3f8c6b2a1d0e9f8a7b',
      startTime: 1_764_149_000,
      endTime: 1_764_151_200,
      jumpGroup: { type: 'shared', id: '3', name: 'DBA & Ops' },
      primaryCustomer: { gsnumber: '7', name: 'db-prod-02' },
      primaryRep: { gsnumber: '5', id: '12', name: 'Alice Martin' },
      customers: [
        {
          gsnumber: '7',
          username: 'db-prod-02',
          publicIp: '198.51.100.20:50112',
          privateIp: '10.1.2.3',
          hostname: 'db-prod-02.example.net',
          os: 'Ubuntu 24.04',
        },
      ],
      reps: [
        {
          gsnumber: '5',
          id: '12',
          username: 'amartin',
          displayName: 'Alice Martin',
          publicIp: '[2001:db8::5]:40001',
          privateIp: 'Unknown',
          os: 'Unknown',
          sessionOwner: true,
        },
      ],
      events: [
        {
          timestamp: 1_764_150_000,
          eventType: 'Chat Message',
          performedBy: { type: 'representative', gsnumber: '5', name: 'Alice Martin' },
          destination: { type: 'everyone', gsnumber: '0', name: 'Everyone' },
          body: 'Starting maintenance <CHG-42>',
        },
        // The example's file_transfer_count of 1 counts a transfer the fragment leaves out.
        { timestamp: 1_764_150_100, eventType: 'File Download', data: [['filename', 'a.txt']] },
      ],
    });
    expect(JSON.stringify(expectedSessionEvents(sim)[0])).toBe(CONTRACT_EXAMPLE_JSON);
  });

  it.each<[number, PraNamespace, string | undefined]>([
    [1, 'sra', undefined],
    [2, 'docs', 'rep'],
    [3, 'bomgar', undefined],
    [4, 'none', undefined],
  ])(
    'agrees with the report, every event kind, running sessions as they grow (seed %i, %s)',
    async (seed, namespace, prefix) => {
      const clock = manualClock(NOW);
      const sim = await start({
        seed,
        now: clock.now,
        closedSessions: 8,
        openSessions: 3,
        eventsPerSession: 40,
      });
      sim.setNamespace(namespace, prefix);
      const kinds = new Set<string>();
      for (let round = 0; round < 3; round++) {
        const expected = expectedSessionJsons(sim);
        expect(expected).toEqual(shownInReport(sim));
        for (const json of expected) kinds.add((JSON.parse(json) as { event_type: string }).event_type);
        clock.advance(5);
        for (const s of sim.sessions.filter((s) => s.endTime === null)) sim.growSession(s.lsid, 6);
        if (round === 1)
          for (const s of sim.sessions.filter((s) => s.endTime === null)) sim.endSession(s.lsid);
      }
      // The generator's rotation and the sessions' opening and closing: every kind it has.
      expect(kinds.size).toBeGreaterThanOrEqual(22);
    },
  );

  it('leaves empty and Unknown values out, keeps empty data values, reads text as XML hands it over', async () => {
    const at = (i: number): number => NOW - 100 + i;
    const sim = await start({ closedSessions: 0, openSessions: 0 });
    const bodies: Array<Omit<SimEvent, 'timestamp'>> = [
      { eventType: '', performedBy: { type: '', gsnumber: '', name: '' } },
      { eventType: 'X', performedBy: { type: 'customer', gsnumber: '3', name: 'c' } },
      { eventType: 'D', data: [] },
      {
        eventType: 'D',
        data: [
          ['', 'x'],
          ['a', ''],
          ['a', 'last'],
          ['__proto__', 'p'],
        ],
      },
      { eventType: 'Chat Message', body: '' },
      { eventType: 'Chat Message', body: 'one\r\ntwo\rthree' },
      { eventType: 'Chat Message', body: 'lone \uD800 surrogate' },
      { eventType: 'Chat Message', body: 'plain, encoded anyway', encodedBody: true },
    ];
    const events: SimEvent[] = bodies.map((e, i) => ({ timestamp: at(i), ...e }));
    sim.addSession({
      startTime: at(0),
      endTime: at(20),
      jumpGroup: { type: '', name: 'A & B', id: '1' },
      primaryCustomer: { gsnumber: '', name: '' },
      primaryRep: undefined,
      customers: [{ gsnumber: '3', publicIp: 'Unknown', privateIp: '', hostname: 'h' }],
      reps: [{ gsnumber: '3', id: '9', displayName: 'R', sessionOwner: true, os: 'Linux' }],
      events,
    });
    const stated = expectedSessionEvents(sim);
    expect(stated.map((e) => JSON.stringify(e))).toEqual(shownInReport(sim));
    const [empty, merged, noData, data, noBody, lines, lone, encoded] = stated;
    expect(Object.keys(empty)).toEqual([
      'timestamp',
      'session_id',
      'jump_group',
      'file_transfer_count',
      'file_move_count',
      'file_delete_count',
    ]);
    expect(empty.jump_group).toEqual({ name: 'A & B' });
    // Both entries of gsnumber 3 count; `Unknown` and '' are no values.
    expect(merged.performed_by).toEqual({
      type: 'customer',
      name: 'c',
      gsnumber: '3',
      hostname: 'h',
      os: 'Linux',
    });
    expect(noData.data).toBeUndefined();
    expect(JSON.stringify(data.data)).toBe('{"a":"last","__proto__":"p"}');
    expect(noBody.body).toBeUndefined();
    expect(lines.body).toBe('one\ntwo\nthree');
    expect(lone.body).toBe('lone \uFFFD surrogate');
    expect(encoded.body).toBe('plain, encoded anyway');
  });

  it('states only what a report shows now: nothing of a session not started, no event after the clock', async () => {
    const clock = manualClock(NOW);
    const sim = await start({ now: clock.now, closedSessions: 1, openSessions: 0, eventsPerSession: 4 });
    const before = expectedSessionEvents(sim).length;
    const later = sim.addSession({ startTime: NOW + 10, events: 3 });
    expect(expectedSessionEvents(sim)).toHaveLength(before);
    expect(expectedSessionEvents(sim, [later.lsid])).toEqual([]);
    clock.advance(10);
    expect(expectedSessionEvents(sim, [later.lsid])).toHaveLength(3);
  });
});

describe('the exactly-once judge', () => {
  it('counts lost, duplicated and unexpected copies, incrementally', () => {
    const judge = new ExactlyOnce();
    for (const key of ['a', 'a', 'b', 'c']) judge.expect(key);
    expect(judge.deliver('a')).toBe('matched');
    expect(judge.deliver('b')).toBe('matched');
    expect(judge.deliver('b')).toBe('duplicated');
    expect(judge.deliver('z')).toBe('unexpected');
    expect(judge.deliver('z')).toBe('unexpected');
    expect(judge.matched).toBe(2);
    expect(judge.report()).toEqual({
      expected: 4,
      delivered: 5,
      lost: 2,
      duplicated: 1,
      unexpected: 2,
      lostSamples: ['a', 'c'],
    });
    judge.record(['a', 'c']);
    expect(judge.count()).toMatchObject({ ...clean, duplicated: 1, unexpected: 2 });
    expect(judge.matched).toBe(judge.expected);
    expect(compareMultisets(['a', 'a'], ['a', 'a', 'a'])).toMatchObject({ ...clean, duplicated: 1 });
  });
});

describe('the sessions judge', () => {
  let sim: PraSimulator;
  let all: string[];

  beforeEach(async () => {
    sim = await start({ closedSessions: 20, openSessions: 0, eventsPerSession: 30 });
    all = expectedSessionJsons(sim);
  });

  it('matches every event once, whatever the key order at any depth, and names nothing unexpected', () => {
    expect(checkSessionDelivery(sim, all, all)).toMatchObject({ ...clean, expected: all.length });
    const reversed = (value: unknown): unknown =>
      value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value)
              .reverse()
              .map(([k, v]) => [k, reversed(v)]),
          )
        : value;
    const reordered = all.map((json) => JSON.stringify(reversed(JSON.parse(json))));
    expect(checkSessionDelivery(sim, all, reordered)).toMatchObject(clean);
    const judge = sessionJudge(sim, { digest: true });
    judge.record(reordered);
    expect(judge.count()).toMatchObject(clean);
  });

  it('counts a lost, a duplicated, a mangled, a field-less and a non-JSON event', () => {
    const [first, , third] = all;
    const mangled = JSON.stringify({ ...(JSON.parse(third) as object), event_type: 'Made Up' });
    // A participant field dropped: what a parser bug would forward.
    const performerIp = (json: string): string | undefined =>
      (JSON.parse(json) as { performed_by?: { public_ip?: string } }).performed_by?.public_ip;
    const withIp = all.findIndex((json, i) => i > 3 && performerIp(json) !== undefined);
    expect(withIp).toBeGreaterThan(3);
    const fieldLess = JSON.parse(all[withIp]) as { performed_by: { public_ip?: string } };
    delete fieldLess.performed_by.public_ip;
    const rest = all.map((json, i) => (i === withIp ? JSON.stringify(fieldLess) : json));
    const delivered = [first, first, mangled, 'not json', ...rest.slice(3)];
    const counts = { expected: all.length, delivered: all.length + 1, lost: 3, duplicated: 1, unexpected: 3 };
    expect(checkSessionDelivery(sim, all, delivered)).toMatchObject(counts);
    // The benches' judge: digests, fed batch by batch, the same counts.
    const judge = sessionJudge(sim, { digest: true });
    judge.record(delivered.slice(0, 100));
    judge.record(delivered.slice(100));
    expect(judge.count()).toEqual(counts);
    expect(judge.matched).toBe(all.length - 3);
  });

  it('accepts the counters of any report that showed the event, not older ones or ones never shown', async () => {
    const clock = manualClock(NOW);
    const live = await start({ now: clock.now, closedSessions: 0, openSessions: 0 });
    const session = live.addSession({
      startTime: NOW - 50,
      events: [
        { timestamp: NOW - 50, eventType: 'Session Start' },
        { timestamp: NOW - 40, eventType: 'Chat Message', body: 'hi' },
      ],
    });
    const early = expectedSessionJsons(live);
    const download: SimEvent = { timestamp: NOW, eventType: 'File Download', data: [['filename', 'x']] };
    session.events.push(download);
    clock.advance(1);
    live.endSession(session.lsid);
    const final = expectedSessionJsons(live);
    const counters = (json: string): string =>
      (JSON.parse(json) as { file_transfer_count: string }).file_transfer_count;
    expect(counters(early[0])).toBe('0');
    expect(counters(final[0])).toBe('1');

    // Forwarded while it ran, then the rest once it ended.
    const delivered = [...early, ...final.slice(early.length)];
    expect(checkSessionDelivery(live, final, delivered)).toMatchObject(clean);
    // The download with counts from before it was logged, or counts no report ever showed.
    const withTransfers = (json: string, n: string): string =>
      JSON.stringify({ ...(JSON.parse(json) as object), file_transfer_count: n });
    const beforeItself = delivered.map((json, i) => (i === early.length ? withTransfers(json, '0') : json));
    expect(checkSessionDelivery(live, final, beforeItself)).toMatchObject({ lost: 1, unexpected: 1 });
    const neverShown = delivered.map((json, i) => (i === 0 ? withTransfers(json, '2') : json));
    expect(checkSessionDelivery(live, final, neverShown)).toMatchObject({ lost: 1, unexpected: 1 });
  });
});

describe('Waiters', () => {
  it('resolves once notified true, rejects on timeout or with what the predicate throws', async () => {
    const waiters = new Waiters();
    let ready = false;
    const waiting = waiters.waitFor(() => ready, 5000);
    ready = true;
    waiters.notify();
    await expect(waiting).resolves.toBeUndefined();
    await expect(waiters.waitFor(() => false, 10, 'nothing')).rejects.toThrow(
      'waitFor: nothing not met within 10 ms',
    );
    const failing = waiters.waitFor(() => {
      throw new Error('broken predicate');
    }, 5000);
    await expect(failing).rejects.toThrow('broken predicate');
  });
});
