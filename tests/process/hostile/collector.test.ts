/**
 * End to end: the collector child process against a PRA simulator whose AccessSession replies are
 * hostile. Whatever PRA sends, the collector logs a clear error, keeps running and answering
 * /health, lets the other sessions through, and its state file stays valid JSON with no progress
 * recorded for the session that could not be read.
 */
import fs from 'node:fs';
import type { StateFileContent } from '../../../module/feeds/sessions/state';
import type { SimSession } from '../../../simulator/pra';
import {
  billionLaughs,
  deepNesting,
  externalEntity,
  hugeAttribute,
  sessionWithBytes,
  truncated,
} from '../../unit/hostile/inputs';
import { Scenario } from '../../support/scenario';
import { tempFile } from '../../support/temp-file';

const MB = 1024 * 1024;

let stack: Scenario | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

function failedFetch(lsid: string): RegExp {
  return new RegExp(`^Fetching session ${lsid} failed \\((.*)\\); it will be retried next cycle$`);
}

function eventsOf(running: Scenario, lsid: string): Array<Record<string, unknown>> {
  return running.events.filter((event) => event.session_id === lsid);
}

/** The session was listed and its fetch failed: nothing forwarded, nothing of it remembered but the failure. */
function expectNoProgress(state: StateFileContent, lsid: string, reason: RegExp): void {
  const tracked = state.tracked[lsid];
  expect(tracked).toMatchObject({ forwarded: 0 });
  expect(tracked.lastFingerprint).toBeUndefined();
  expect(tracked.lastTimestamp).toBeUndefined();
  expect(tracked.failures).toBeGreaterThanOrEqual(1);
  expect(tracked.lastError).toMatch(reason);
  expect(state.seen[lsid]).toBeUndefined();
}

async function expectAlive(running: Scenario): Promise<void> {
  expect(running.collector.child.exitCode).toBeNull();
  expect((await running.health()).status).toBe(200);
}

describe('hostile AccessSession replies, end to end', () => {
  it('fails each hostile session with its own clear error, cycle after cycle, and lets the others through', async () => {
    const secretFile = tempFile('passwd', 'XXE-MARKER-4d1c9e: this file must never be read');
    try {
      stack = await Scenario.run({
        pra: { closedSessions: 8, eventsPerSession: 4 },
        // One session per request, so that each hostile reply is blamed on its own session at once.
        trigger: { sessions_per_request: 1 },
      });
      const running = stack;
      const sessions = running.pra.sessions;
      const [cut, huge, deep, laughs, xxe, badUtf8, ...good] = sessions;
      const cases: Array<[SimSession, string | (() => Iterable<string>), RegExp]> = [
        [cut, truncated(cut.lsid), /^unexpected end of document/],
        [huge, hugeAttribute(huge.lsid, 50 * MB), /too large: over 1048576 characters/],
        [deep, deepNesting(deep.lsid, 100_000), /nested deeper than 64 levels/],
        [laughs, billionLaughs(laughs.lsid), /^DOCTYPE is not allowed in a PRA report/],
        [xxe, externalEntity(xxe.lsid, secretFile.path), /^DOCTYPE is not allowed in a PRA report/],
      ];
      for (const [session, body] of cases) {
        running.pra.injectFault({ kind: 'body', body, lsid: session.lsid, count: 1000 });
      }
      running.pra.injectFault({
        kind: 'body',
        body: sessionWithBytes(badUtf8, Buffer.from([0x61, 0xff, 0xc3, 0x62])),
        lsid: badUtf8.lsid,
        count: 1000,
      });

      // Two cycles: the failure repeats identically, and nothing is forwarded twice meanwhile.
      for (const [session] of cases) await running.waitForLogs(failedFetch(session.lsid), 2);
      const expectedGood = good.reduce((sum, session) => sum + session.events.length, 0);
      await running.sekoia.waitFor(() => running.sekoia.eventCount === expectedGood + 1);
      const first = running.state();
      for (const [session] of cases) await running.waitForLogs(failedFetch(session.lsid), 3);
      const second = running.state();

      for (const [session, , reason] of cases) {
        const [line] = running.logs(failedFetch(session.lsid));
        expect(line.level).toBe('warning');
        expect(failedFetch(session.lsid).exec(String(line.message))?.[1]).toMatch(reason);
        expect(String(line.message)).toMatch(/\(line \d+, column \d+\)/);
        expectNoProgress(first, session.lsid, reason);
        expectNoProgress(second, session.lsid, reason);
        expect(second.tracked[session.lsid].failures).toBeGreaterThan(first.tracked[session.lsid].failures);
        expect(eventsOf(running, session.lsid)).toEqual([]);
      }
      // Invalid UTF-8 is not an error: the parser replaces it (documented), the session is forwarded.
      expect(eventsOf(running, badUtf8.lsid).map((event) => event.body)).toEqual(['a\uFFFD\uFFFDb']);
      for (const session of [...good, badUtf8]) {
        expect(eventsOf(running, session.lsid)).toHaveLength(session.lsid === badUtf8.lsid ? 1 : 4);
        expect(second.tracked[session.lsid]).toBeUndefined();
      }
      expect(running.sekoia.eventCount).toBe(expectedGood + 1);
      expect(second.set_aside).toEqual({});
      await expectAlive(running);

      const everything = [
        ...running.collector.lines.map((line) => JSON.stringify(line)),
        ...running.collector.stderr,
        ...running.sekoia.logs.map((entry) => entry.message),
        ...running.sekoia.events,
        fs.readFileSync(running.collector.statePath, 'utf8'),
      ].join('\n');
      expect(everything).not.toContain('XXE-MARKER');
      expect(running.collector.stderr).toEqual([]);
    } finally {
      secretFile.remove();
    }
  });

  it('times out a reply that never ends, blames only that session, and collects it next cycle', async () => {
    stack = await Scenario.run({
      pra: { closedSessions: 2, eventsPerSession: 3 },
      trigger: { sessions_per_request: 1 },
    });
    const running = stack;
    const [stalled, other] = running.pra.sessions;
    running.pra.injectFault({
      kind: 'body',
      body: '<?xml version="1.0"?><session_list><session lsid="',
      hang: true,
      lsid: stalled.lsid,
      count: 1,
    });
    await running.waitForLogs(failedFetch(stalled.lsid));
    const [line] = running.logs(failedFetch(stalled.lsid));
    expect(line.message).toMatch(
      /PRA sent no data for 5000 ms while streaming the AccessSession report from 127\.0\.0\.1:\d+ \(after \d+ bytes\)/,
    );
    expectNoProgress(running.state(), stalled.lsid, /PRA sent no data/);
    await expectAlive(running);

    await running.sekoia.waitFor(() => running.sekoia.eventCount === 6, 10_000);
    expect(eventsOf(running, stalled.lsid)).toHaveLength(3);
    expect(eventsOf(running, other.lsid)).toHaveLength(3);
    await running.collector.waitFor(() => running.state().tracked[stalled.lsid] === undefined);
  });

  it('isolates a session whose detail reply is an HTML page or JSON; an HTML listing stops the cycle', async () => {
    stack = await Scenario.run({ pra: { closedSessions: 3, eventsPerSession: 3 } });
    const running = stack;
    const [first] = running.pra.sessions;
    const html = '<!DOCTYPE html><html><body>Please sign in</body></html>';
    running.pra.injectFault({
      kind: 'body',
      body: html,
      contentType: 'text/html; charset=utf-8',
      lsid: first.lsid,
      count: 1,
    });
    running.pra.injectFault({
      kind: 'body',
      body: '{"error":"maintenance"}',
      contentType: 'application/json',
      lsid: first.lsid,
      count: 1,
    });
    const cycleFailed =
      /^Collection cycle failed, retrying next cycle: PRA answered the AccessSessionListing report with content-type (\S+)/;
    // Listings still answer, so the odd replies belong to one session's requests: they are split
    // around it instead of stopping the cycle, and every session arrives.
    await running.sekoia.waitFor(() => running.sekoia.eventCount === 9, 15_000);
    for (const session of running.pra.sessions) expect(eventsOf(running, session.lsid)).toHaveLength(3);
    expect(running.logs(/asking for its sessions in smaller requests/).length).toBeGreaterThan(0);
    expect(running.logs(cycleFailed)).toHaveLength(0);

    // An HTML answer to a listing (a login page in front of the whole tenant) stops the cycle,
    // and no session is blamed for it.
    running.pra.injectFault({
      kind: 'body',
      body: html,
      contentType: 'text/html',
      target: 'reporting',
      count: 1,
    });
    await running.waitForLogs(cycleFailed);
    expect(running.state().set_aside).toEqual({});
    expect(Object.values(running.state().tracked).every((session) => session.failures === 0)).toBe(true);
    await expectAlive(running);
  });
});
