/**
 * A PRA tenant in a language the module has never seen, and tenants that lack a report, end to
 * end: the real entry point as a child process between the PRA and Sekoia simulators. What reached
 * the intake is checked against the simulator's own statement of the expected events.
 */
import { checkFeedDelivery, type ActivityFeedReport } from '../../../simulator/expected-events';
import { madeUpLanguage, type PraSimulatorOptions } from '../../../simulator/pra';
import { Scenario } from '../../support/scenario';

let scenario: Scenario | undefined;

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

const LANGUAGE = madeUpLanguage(2027);

/** The last credential check's results, as the platform received them. */
function checkResults(running: Scenario): { success: boolean; feeds?: Array<Record<string, unknown>> } {
  return (running.sekoia.patches.at(-1) as { results: { success: boolean; feeds?: [] } }).results;
}

async function credentialCheck(pra: PraSimulatorOptions): Promise<Scenario> {
  scenario = await Scenario.start({ pra });
  scenario.sekoia.setPatchReply({ module_configuration: { value: { client_secret: 'sim-secret' } } });
  await scenario.launch({ command: 'validate_module_configuration' }).exited;
  return scenario;
}

describe('a tenant in a language the module has never seen', () => {
  it('delivers every session event exactly once, through empty windows', async () => {
    scenario = await Scenario.start({ pra: { locale: LANGUAGE, closedSessions: 6, openSessions: 1 } });
    scenario.launch();
    await scenario.delivered(await scenario.expected());
    scenario.pra.addSession({ events: 3 });
    await scenario.delivered(await scenario.expected());
    // Empty windows, cycle after cycle: nothing more, nothing twice, no error.
    await scenario.moreCycles(2);
    expect(scenario.report(await scenario.expected())).toMatchObject({
      lost: 0,
      duplicated: 0,
      unexpected: 0,
    });
    expect(scenario.sekoia.logs.filter((log) => log.level === 'error')).toEqual([]);
  });

  it.each<[string, ActivityFeedReport]>([
    ['pull_pra_vault_account_activity', 'VaultAccountActivity'],
    ['pull_pra_team', 'Team'],
  ])('%s delivers every event exactly once', async (command, report) => {
    scenario = await Scenario.start({ pra: { locale: LANGUAGE, closedSessions: 0 } });
    scenario.launch({ command });
    const running = scenario;
    const check = (): ReturnType<typeof checkFeedDelivery> =>
      checkFeedDelivery(report, running.pra, running.sekoia.events);
    await running.nothingLost(check);
    await running.moreRequests(report, 3);
    expect(check()).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    expect(running.sekoia.logs.filter((log) => log.level === 'error')).toEqual([]);
  });

  it('logs a real error in that language with its text, and loses nothing of its window', async () => {
    scenario = await Scenario.start({ pra: { locale: LANGUAGE, closedSessions: 0 } });
    const failure = 'Berichtserstellung fehlgeschlagen (Fehler 17), bitte später erneut versuchen.';
    scenario.pra.injectFault({
      kind: 'body',
      body: `<?xml version="1.0"?>\n<error>${failure}</error>`,
      count: 1,
      report: 'VaultAccountActivity',
    });
    scenario.launch({ command: 'pull_pra_vault_account_activity' });
    const running = scenario;
    await running.waitForLogs(new RegExp(failure.replace(/[()]/g, '\\$&')));
    const check = (): ReturnType<typeof checkFeedDelivery> =>
      checkFeedDelivery('VaultAccountActivity', running.pra, running.sekoia.events);
    await running.nothingLost(check);
    await running.moreRequests('VaultAccountActivity', 2);
    expect(check()).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
  });

  it('says once that a report the appliance lacks is missing, and keeps asking at the usual pace', async () => {
    scenario = await Scenario.start({
      pra: { locale: LANGUAGE, closedSessions: 0, missingReports: { VaultAccountActivity: 'error' } },
    });
    scenario.launch({ command: 'pull_pra_vault_account_activity' });
    const running = scenario;
    const errors = (): unknown[] =>
      running.collector.lines.filter((line) => line.level === 'error' || line.level === 'critical');
    await running.collector.waitFor(() => errors().length > 0, 20_000, 'the error log');
    // Cycle after cycle it asks again, and says nothing more.
    await running.moreRequests('VaultAccountActivity', 4);
    expect(errors()).toHaveLength(1);
    expect(String((errors()[0] as { message: unknown }).message)).toMatch(
      /no usable VaultAccountActivity report.*keeps asking every cycle/,
    );
  });
});

describe('the credential check judges each feed on its own', () => {
  it('passes in a language it has never seen, every feed readable', async () => {
    const running = await credentialCheck({ locale: LANGUAGE });
    expect(checkResults(running).success).toBe(true);
    expect(checkResults(running).feeds?.every((feed) => feed.readable === true)).toBe(true);
  });

  it.each([
    ['its unknown-report error', 'error' as const],
    ['HTTP 404', 404 as const],
  ])('passes when the Vault report answers %s, and says which feed fails', async (_what, reply) => {
    const running = await credentialCheck({
      locale: LANGUAGE,
      missingReports: { VaultAccountActivity: reply },
    });
    const results = checkResults(running);
    expect(results.success).toBe(true);
    expect(results.feeds).toContainEqual(
      expect.objectContaining({
        feed: 'PRA Vault account activity',
        readable: false,
        reason: expect.any(String),
      }),
    );
    expect(results.feeds?.filter((feed) => feed.readable)).toHaveLength(3);
  });

  it('passes when the Syslog ZIP arrives one byte at a time', async () => {
    scenario = await Scenario.start();
    scenario.sekoia.setPatchReply({ module_configuration: { value: { client_secret: 'sim-secret' } } });
    const archive = await zipArchive();
    scenario.pra.injectFault({
      kind: 'body',
      report: 'Syslog',
      count: 1,
      contentType: 'application/zip',
      body: () => [...archive].map((byte) => Uint8Array.of(byte)),
    });
    await scenario.launch({ command: 'validate_module_configuration' }).exited;
    expect(checkResults(scenario).feeds).toContainEqual({ feed: 'PRA syslog audit records', readable: true });
  });

  it('fails naming every feed when none can be read', async () => {
    const running = await credentialCheck({
      missingReports: {
        AccessSessionListing: 404,
        VaultAccountActivity: 'error',
        Team: 404,
        Syslog: 'error',
      },
    });
    expect(checkResults(running).success).toBe(false);
    const text = JSON.stringify(running.sekoia.patches.at(-1));
    for (const feed of ['session events', 'Vault account activity', 'Team activity', 'syslog audit records'])
      expect(text).toContain(feed);
  });
});

/** A small valid ZIP, made by the simulator's own Syslog report. */
async function zipArchive(): Promise<Buffer> {
  const { startPraSimulator } = await import('../../../simulator/pra');
  const pra = await startPraSimulator();
  try {
    const token = await fetch(`${pra.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from('sim-client:sim-secret').toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const { access_token: accessToken } = (await token.json()) as { access_token: string };
    const reply = await fetch(`${pra.url}/api/reporting`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${accessToken}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'generate_report=Syslog',
    });
    return Buffer.from(await reply.arrayBuffer());
  } finally {
    await pra.close();
  }
}
