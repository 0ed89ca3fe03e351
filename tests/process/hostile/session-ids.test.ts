/**
 * End to end: session ids PRA may list that a careless collector trips on. An id that cannot be
 * asked for is set aside at once and the others are collected; an id named like an object
 * property is an id like any other, across a restart.
 */
import { Scenario } from '../../support/scenario';

let stack: Scenario | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

it('sets aside a listed id holding a comma at once, and collects the sessions beside it', async () => {
  stack = await Scenario.start({ pra: { closedSessions: 3, eventsPerSession: 4 } });
  const running = stack;
  // Ended within the listing overlap (300 s): the state keeps both across cycles and the restart.
  const end = running.pra.currentTime() - 30;
  running.pra.addSession({ lsid: 'bad,lsid', startTime: end - 60, endTime: end, events: 3 });
  running.pra.addSession({ lsid: '__proto__', startTime: end - 30, endTime: end, events: 3 });
  const plain = running.pra.sessions
    .map((s) => s.lsid)
    .filter((lsid) => !['bad,lsid', '__proto__'].includes(lsid));
  const expectedPlain = await running.expected(plain);
  const expected = await running.expected([...plain, '__proto__']);
  running.launch();

  await running.delivered(expectedPlain);
  await running.waitForLogs(/^Session "bad,lsid" set aside at once/);
  const state = running.state();
  expect(Object.keys(state.set_aside)).toEqual(['bad,lsid']);
  expect(state.set_aside['bad,lsid']).toMatchObject({ failures: 1, error: expect.stringMatching(/comma/) });

  // `__proto__` is collected like the others; then nothing is repeated, and the odd id is neither
  // asked for nor logged again.
  await running.delivered(expected);
  await running.moreCycles(2);
  expect(running.report(expected)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
  expect(running.logs(/^Session "bad,lsid" set aside/)).toHaveLength(1);
  expect(running.logs(/^Collection cycle failed/)).toEqual([]);
  const asked = running.pra.requests.flatMap((request) => request.lsids ?? []);
  expect(asked).not.toContain('bad');
  expect(asked).toContain('__proto__');
  expect(Object.hasOwn(running.state().seen, '__proto__')).toBe(true);

  // After a restart, the saved state still knows both: listed again, neither is taken again.
  await running.collector.stop('SIGTERM');
  running.launch();
  await running.moreCycles(2);
  expect(running.report(expected)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
  expect(running.logs(/set aside/)).toEqual([]);
  expect(Object.keys(running.state().set_aside)).toEqual(['bad,lsid']);
});
