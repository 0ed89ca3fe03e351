import { Scenario } from '../../support/scenario';

/**
 * The real entry point as a child process, configured as the Sekoia platform does, against the PRA
 * and Sekoia simulators. Every case ends with the same verdict: each event of each session reached
 * the intake exactly once (or within the stated allowance), and nothing PRA does not hold.
 */
describe('pull_pra_sessions end to end', () => {
  let scenario: Scenario;

  afterEach(async () => {
    await scenario?.close();
  });

  it('forwards closed and running sessions exactly once, running ones while they run, in few requests', async () => {
    scenario = await Scenario.start({ pra: { closedSessions: 6, openSessions: 2 } });
    const collector = scenario.launch();
    await scenario.delivered(await scenario.expected());

    const [live] = scenario.openLsids();
    scenario.pra.growSession(live as string, 4);
    await scenario.delivered(await scenario.expected());
    // The new events arrived while the session was still running.
    expect(scenario.pra.sessions.find((s) => s.lsid === live)?.endTime).toBeNull();

    const health = await scenario.health();
    expect(health.status).toBe(200);
    // Liveness is the heartbeat of every cycle; a quiet tenant is no reason to restart.
    expect(JSON.parse(health.body)).toMatchObject({
      seconds_without_events_threshold: 0,
      last_heartbeat_threshold: 3 * 1 + 3600 + 900,
    });

    for (const lsid of scenario.openLsids()) scenario.pra.endSession(lsid);
    const all = await scenario.expected();
    await scenario.delivered(all);
    await scenario.moreCycles(2);
    const exit = await collector.stop('SIGTERM');

    expect(exit.code).toBe(0);
    expect(scenario.report(all)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    const details = scenario.pra.requests.filter((r) => r.params.generate_report === 'AccessSession');
    expect(details.every((r) => (r.lsids?.length ?? 0) <= 50)).toBe(true);
    // The first cycle asks for the 8 sessions in two requests (the 6 closed ones of the past, then
    // the 2 running ones of the last minutes), not one request each.
    const firstTwo = details.filter((r) => (r.returned?.length ?? 0) > 0).slice(0, 2);
    expect(new Set(firstTwo.flatMap((r) => r.returned ?? [])).size).toBe(8);
    expect(scenario.state().seen).toEqual(expect.any(Object));
  });

  it('repeats nothing after a SIGTERM in the middle of a cycle, and loses nothing', async () => {
    // About 5 MB of events: several 2 MiB pushes, so that the stop comes between two of them.
    scenario = await Scenario.start({
      pra: { closedSessions: 30, openSessions: 0, eventsPerSession: 200 },
      trigger: { sessions_per_request: 5 },
    });
    scenario.pra.injectFault({ kind: 'slow', delayMs: 400, count: 4, target: 'reporting' });
    const first = scenario.launch();
    await scenario.sekoia.waitFor(() => scenario.sekoia.events.length > 0);
    const stoppedAt = Date.now();
    const exit = await first.stop('SIGTERM');
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(exit.code).toBe(0);
    const all = await scenario.expected();
    expect(scenario.report(all).lost).toBeGreaterThan(0);

    scenario.launch();
    await scenario.delivered(all);
    await scenario.moreCycles(1);
    expect(scenario.report(all)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
  });

  it('after a SIGKILL during a push, repeats at most that push and loses nothing', async () => {
    scenario = await Scenario.start({ pra: { closedSessions: 10, openSessions: 0, eventsPerSession: 30 } });
    scenario.sekoia.injectIntakeFault({ delayMs: 1500, count: 1 });
    const first = scenario.launch();
    // The intake holds the first push without answering: kill the collector while it waits.
    await scenario.sekoia.waitFor(() => scenario.sekoia.batchesReceived === 1);
    await first.stop('SIGKILL');
    await scenario.sekoia.waitFor(() => scenario.sekoia.events.length > 0);
    const inFlight = scenario.sekoia.events.length;

    scenario.launch();
    const all = await scenario.expected();
    await scenario.delivered(all);
    await scenario.moreCycles(1);
    const report = scenario.report(all);
    expect(report).toMatchObject({ lost: 0, unexpected: 0 });
    expect(report.duplicated).toBeLessThanOrEqual(inFlight);
  });

  it('rides out bursts of PRA 429 and 500 and an evicted token', async () => {
    scenario = await Scenario.start({ pra: { closedSessions: 5, openSessions: 1 } });
    scenario.pra.injectFault({ kind: 'status', status: 429, retryAfter: 1, count: 2, target: 'reporting' });
    scenario.pra.injectFault({ kind: 'status', status: 500, count: 3, target: 'reporting' });
    const collector = scenario.launch();
    await scenario.delivered(await scenario.expected());

    scenario.pra.evictTokens();
    const [live] = scenario.openLsids();
    scenario.pra.growSession(live as string, 3);
    scenario.pra.endSession(live as string);
    const all = await scenario.expected();
    await scenario.delivered(all);
    await scenario.moreCycles(1);
    await collector.stop();

    expect(scenario.report(all)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    expect(scenario.pra.tokensIssued).toBe(2);
    expect(scenario.pra.requests.some((r) => r.status === 429)).toBe(true);
    expect(scenario.pra.requests.some((r) => r.status === 401)).toBe(true);
  });

  it('keeps events while the intake answers 5xx, then delivers them once', async () => {
    scenario = await Scenario.start();
    scenario.sekoia.injectIntakeFault({ status: 503, count: 2 });
    scenario.launch();
    const all = await scenario.expected();
    await scenario.delivered(all);
    await scenario.moreCycles(1);
    expect(scenario.report(all)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    expect(scenario.sekoia.requests.filter((r) => r.status === 503)).toHaveLength(2);
  });

  it('sets a session that always fails aside with an error log while the others flow', async () => {
    scenario = await Scenario.start({
      pra: { closedSessions: 6, openSessions: 0 },
      trigger: { max_session_failures: 2 },
    });
    const bad = scenario.pra.sessions[2]?.lsid as string;
    scenario.pra.failSession(bad);
    scenario.launch();
    const good = await scenario.expected(scenario.pra.sessions.map((s) => s.lsid).filter((l) => l !== bad));
    await scenario.delivered(good);
    await scenario.sekoia.waitFor(() =>
      scenario.sekoia.logs.some((l) => l.level === 'error' && l.message.includes(bad)),
    );
    await scenario.moreCycles(1);

    const badEvents = await scenario.expected([bad]);
    expect(scenario.report(good)).toMatchObject({ lost: 0, duplicated: 0 });
    expect(scenario.report(badEvents).lost).toBe(badEvents.length);
    expect(Object.keys(scenario.state().set_aside)).toEqual([bad]);
    expect(scenario.sekoia.logs.find((l) => l.message.includes(bad) && l.level === 'error')?.message).toMatch(
      /set aside/,
    );
  });

  it('keeps collecting when the XML namespace changes between cycles', async () => {
    scenario = await Scenario.start({ pra: { closedSessions: 3, openSessions: 1 } });
    scenario.launch();
    await scenario.delivered(await scenario.expected());

    scenario.pra.setNamespace('docs', 'rep');
    const [live] = scenario.openLsids();
    scenario.pra.growSession(live as string, 3);
    await scenario.delivered(await scenario.expected());
    scenario.pra.setNamespace('none');
    scenario.pra.endSession(live as string);
    const all = await scenario.expected();
    await scenario.delivered(all);
    await scenario.moreCycles(1);
    expect(scenario.report(all)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
  });

  it('reports an invalid configuration with one critical log and does not crash-loop', async () => {
    scenario = await Scenario.start({ module: { base_url: 'http://pra.example.com' } });
    const collector = scenario.launch();
    await scenario.sekoia.waitFor(() => scenario.sekoia.logs.some((l) => l.level === 'critical'));
    const critical = scenario.sekoia.logs.filter((l) => l.level === 'critical');
    expect(critical).toHaveLength(1);
    expect(critical[0]?.message).toMatch(/base_url.*https/);
    // Still up, waiting to be stopped, instead of exiting into a restart loop.
    await collector.healthPort();
    expect(collector.child.exitCode).toBeNull();
    expect(scenario.pra.requests).toHaveLength(0);
    const exit = await collector.stop();
    expect(exit.code).toBe(1);
  });

  it('reports wrong credentials with one critical log that says what to check', async () => {
    scenario = await Scenario.start({ sekoia: { secrets: { client_secret: 'not-the-secret' } } });
    scenario.launch();
    await scenario.pra.waitFor(
      () => scenario.pra.requests.filter((r) => r.path === '/oauth2/token').length >= 3,
    );
    await scenario.sekoia.waitFor(() => scenario.sekoia.logs.some((l) => l.level === 'critical'));
    const critical = scenario.sekoia.logs.filter((l) => l.level === 'critical');
    expect(critical).toHaveLength(1);
    expect(critical[0]?.message).toMatch(/client id and secret/);
    expect(JSON.stringify(scenario.sekoia.logs)).not.toContain('not-the-secret');
    expect(scenario.sekoia.events).toHaveLength(0);
  });

  it('checks credentials for the Sekoia UI (validate_module_configuration)', async () => {
    scenario = await Scenario.start();
    // The account validator takes its secrets from the reply to its first PATCH.
    scenario.sekoia.setPatchReply({ module_configuration: { value: { client_secret: 'sim-secret' } } });
    const ok = scenario.launch({ command: 'validate_module_configuration' });
    expect((await ok.exited).code).toBe(0);
    expect(scenario.sekoia.patches.at(-1)).toMatchObject({ status: 'finished', results: { success: true } });
    const readable = (scenario.sekoia.patches.at(-1) as { results: { feeds: unknown[] } }).results.feeds;
    expect(readable).toEqual([
      { feed: 'PRA session events', readable: true },
      { feed: 'PRA Vault account activity', readable: true },
      { feed: 'PRA Team activity', readable: true },
      { feed: 'PRA syslog audit records', readable: true },
    ]);

    // An account without the Syslog permission still passes: the other feeds work, and it says which fails.
    scenario.pra.injectFault({ kind: 'status', status: 403, count: 1, report: 'Syslog' });
    const partial = scenario.launch({ command: 'validate_module_configuration' });
    await partial.exited;
    expect(scenario.sekoia.patches.at(-1)).toMatchObject({ status: 'finished', results: { success: true } });
    expect(
      (scenario.sekoia.patches.at(-1) as { results: { feeds: unknown[] } }).results.feeds,
    ).toContainEqual({
      feed: 'PRA syslog audit records',
      readable: false,
      reason: expect.stringMatching(/HTTP 403/),
      permission: 'Allow Access to Syslog Reports',
    });
    await partial.waitForLog((line) =>
      /syslog audit records would fail: .*Allow Access to Syslog Reports/.test(String(line.message)),
    );

    // One that can read no report at all fails, naming each permission.
    for (const report of ['AccessSessionListing', 'VaultAccountActivity', 'Team', 'Syslog']) {
      scenario.pra.injectFault({ kind: 'status', status: 403, count: 1, report });
    }
    const none = scenario.launch({ command: 'validate_module_configuration' });
    await none.exited;
    expect(scenario.sekoia.patches.at(-1)).toMatchObject({ status: 'finished', results: { success: false } });
    expect(JSON.stringify(scenario.sekoia.patches.at(-1))).toMatch(
      /none of the feeds can be read.*Allow Access to Vault Account Activity Reports/,
    );

    scenario.sekoia.setPatchReply({ module_configuration: { value: { client_secret: 'wrong' } } });
    const wrong = scenario.launch({ command: 'validate_module_configuration' });
    await wrong.exited;
    expect(scenario.sekoia.patches.at(-1)).toMatchObject({ status: 'finished', results: { success: false } });
    expect(JSON.stringify(scenario.sekoia.patches.at(-1))).toMatch(/client id and secret/);
  });
});
