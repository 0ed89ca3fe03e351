/**
 * Hostile configuration, end to end: the entry point started with a broken module or trigger
 * configuration sends one critical log naming the field (never a secret value) to the logs API,
 * then waits for the platform to stop it instead of exiting into a crash loop; unknown keys only
 * get a warning naming them.
 */
import { TriggerConfigurationError } from '@sekoia/automation-sdk-shim';
import { ArgumentReader, praCredentials } from '../../../module/config';
import { configureSessions } from '../../../module/feeds/sessions/config';
import { unknownKeys } from '../../../packages/automation-sdk-shim/src/schema';
import { Scenario } from '../../support/scenario';

let stack: Scenario | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

interface BadCase {
  label: string;
  module?: Record<string, unknown>;
  trigger?: Record<string, unknown>;
  secrets?: Record<string, string>;
  /** What the critical message must say. */
  says: RegExp;
  /** A value that must not appear in it. */
  hides?: string;
}

const cases: BadCase[] = [
  {
    label: 'a base URL that is no URL',
    module: { base_url: 'not a url' },
    says: /\/base_url must match format "uri"/,
    hides: 'not a url',
  },
  {
    label: 'plain http to a non-loopback host',
    module: { base_url: 'http://example.com' },
    // The host is shown on purpose (it is no secret and says what to fix); the rule is named.
    says: /base_url: the PRA base URL must use https \(plain http is accepted only for loopback hosts\)/,
  },
  {
    label: 'an empty secret',
    module: { client_secret: '' },
    secrets: { client_secret: '' },
    says: /\/client_secret must NOT have fewer than 1 characters/,
  },
  {
    label: 'a blank secret',
    secrets: { client_secret: '   \t ' },
    says: /client_secret is required and must be a non-empty string/,
  },
  {
    label: 'a frequency that is no number',
    trigger: { frequency: 'abc' },
    says: /\/frequency must be integer/,
    hides: 'abc',
  },
  { label: 'a negative frequency', trigger: { frequency: -1 }, says: /\/frequency must be >= 1/ },
  { label: 'a client id of the wrong type', module: { client_id: 42 }, says: /\/client_id must be string/ },
  {
    label: 'a boolean that is not one',
    trigger: { live_sessions: 'sometimes' },
    says: /\/live_sessions must be boolean/,
    hides: 'sometimes',
  },
  { label: 'no intake key', trigger: { intake_key: undefined }, says: /\/intake_key is required/ },
];

describe('a broken configuration', () => {
  it.each(cases)(
    '$label: one critical naming the field, then it waits for SIGTERM and exits 1',
    async (bad) => {
      stack = await Scenario.run({
        module: bad.module,
        trigger: bad.trigger,
        sekoia: bad.secrets ? { secrets: bad.secrets } : undefined,
      });
      const running = stack;
      await running.sekoia.waitFor(() => running.sekoia.logs.some((entry) => entry.level === 'critical'));
      const criticals = running.sekoia.logs.filter((entry) => entry.level === 'critical');
      expect(criticals).toHaveLength(1);
      expect(criticals[0].message).toMatch(/^Configuration error: /);
      expect(criticals[0].message).toMatch(bad.says);
      if (bad.hides !== undefined) expect(criticals[0].message).not.toContain(bad.hides);
      // Still there, still answering, and nothing was asked of PRA: it waits for the platform's stop.
      expect((await running.health()).status).toBe(200);
      expect(running.collector.child.exitCode).toBeNull();
      expect(running.pra.requests).toEqual([]);
      const exit = await running.collector.stop('SIGTERM');
      expect(exit.code).toBe(1);
      expect(running.sekoia.logs.filter((entry) => entry.level === 'critical')).toHaveLength(1);
    },
  );
});

describe('unknown configuration keys', () => {
  it('are named in a warning, never valued, and collection goes on', async () => {
    stack = await Scenario.run({
      module: { base_urll: 'https://typo.example.com' },
      trigger: { frequencey: 5, chunk_size: 'VALUE-NOT-SHOWN' },
    });
    const running = stack;
    await running.sekoia.waitFor(() => running.sekoia.eventCount === 15);
    // Read on stdout: the logs API gets the same lines, but warnings wait for its 5 s flush.
    const warnings = running.collector.lines.filter((line) => line.level === 'warning');
    expect(warnings.map((line) => line.message)).toEqual([
      'The module configuration has keys this module does not know, ignored: base_urll. Check their spelling.',
      'The trigger configuration has keys this module does not know, ignored: frequencey, chunk_size. Check their spelling.',
    ]);
    const output = JSON.stringify(running.collector.lines);
    expect(output).not.toContain('VALUE-NOT-SHOWN');
    expect(output).not.toContain('typo.example.com');
  });

  it('are the top-level keys a schema does not declare, and none without a schema', () => {
    const schema = { type: 'object', properties: { a: {}, b: {} } };
    expect(unknownKeys({ a: 1, c: 2, toString: 3 }, schema)).toEqual(['c', 'toString']);
    expect(unknownKeys({ a: 1 }, schema)).toEqual([]);
    expect(unknownKeys({ c: 1 }, undefined)).toEqual([]);
    expect(unknownKeys({ c: 1 }, { type: 'object' })).toEqual([]);
    expect(unknownKeys('not an object', schema)).toEqual([]);
  });
});

describe('trigger arguments without the schema defaults', () => {
  it('are a configuration error naming the argument and the item JSON, not NaN further down', () => {
    const access = praCredentials({
      base_url: 'https://pra.example.com',
      client_id: 'id',
      client_secret: 'secret',
    });
    const configure = (args: Record<string, unknown>) =>
      configureSessions(access, new ArgumentReader(args, 'pull_pra_sessions'));
    // What the shim hands over when triggers/pull_pra_sessions.json is missing from the image.
    const bare = { intake_key: 'key', frequency: 60 };
    expect(() => configure(bare)).toThrow(TriggerConfigurationError);
    expect(() => configure(bare)).toThrow(/first_run_lookback_hours is missing .*pull_pra_sessions\.json/);
    const complete = {
      ...bare,
      live_sessions: true,
      first_run_lookback_hours: 24,
      overlap_seconds: 300,
      sessions_per_request: 50,
      max_session_failures: 5,
      request_timeout: 120,
      requests_per_second: 10,
      max_requests_per_hour: 8000,
      running_session_max_delay_seconds: 600,
    };
    expect(configure(complete).sessionsPerRequest).toBe(50);
    expect(() => configure({ ...complete, sessions_per_request: undefined })).toThrow(
      /sessions_per_request is missing/,
    );
    expect(() => configure({ ...complete, live_sessions: 'yes' })).toThrow(
      /live_sessions is missing or of the wrong type/,
    );
  });
});
