import { DEFAULT_INTAKE_KEY, DEFAULT_TOKEN } from '../../../simulator/sekoia';
import {
  MODULE_CONFIGURATION,
  SECRET,
  Sandbox,
  makeConnector,
  waitForStop,
  usePlatformSandbox,
} from './helpers';

const platform = usePlatformSandbox();

const logRequests = (): number => platform.sim.requests.filter((r) => r.path === '/logs').length;

describe('logs API', () => {
  it('sends entries in one batch when the buffer reaches 50', async () => {
    const { connector } = makeConnector(platform.sandbox);
    for (let i = 0; i < 50; i++) connector.log(`line ${i}`, 'info');
    await platform.sim.waitFor(() => platform.sim.logs.length === 50);
    expect(logRequests()).toBe(1);
    const request = platform.sim.requests.find((r) => r.path === '/logs');
    expect(request?.headers.authorization).toBe(`Bearer ${DEFAULT_TOKEN}`);
    expect(platform.sim.logs[0]).toEqual({
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/),
      level: 'info',
      message: 'line 0',
    });
  });

  it('flushes on the timer once execute() runs', async () => {
    const { connector } = makeConnector(
      platform.sandbox,
      async (self) => {
        self.log('from run');
        await waitForStop(self);
      },
      { logFlushIntervalMs: 30 },
    );
    const done = connector.execute();
    await platform.sim.waitFor(() => platform.sim.logs.some((l) => l.message === 'from run'));
    connector.stop();
    await done;
  });

  it('flushes error and critical at once, sends only one critical, mutes repeats but not on stdout', async () => {
    const { connector, stdout } = makeConnector(platform.sandbox);
    connector.log('same', 'info');
    connector.log('same', 'info');
    connector.log('same', 'info');
    connector.log('first', 'critical');
    connector.log('second', 'critical');
    await platform.sim.waitFor(() => platform.sim.logs.some((l) => l.message === 'second'));
    expect(platform.sim.logs.map((l) => [l.level, l.message])).toEqual([
      ['info', 'same'],
      ['critical', 'first'],
      ['error', 'second'],
    ]);
    expect(stdout.lines.filter((l) => l.message === 'same')).toHaveLength(3);
    expect(stdout.lines[0]).toMatchObject({ level: 'info', logger: 'test_connector', message: 'same' });
    expect(stdout.lines[0].timestamp).toEqual(expect.any(String));
  });

  it('masks module secrets, the intake key and the token everywhere', async () => {
    const { connector, stdout } = makeConnector(platform.sandbox);
    void connector.module.configuration;
    const message = `secret=${SECRET} key=${DEFAULT_INTAKE_KEY} token=${DEFAULT_TOKEN}`;
    connector.log(message, 'error');
    connector.logException(new Error(`boom ${SECRET}`), 'Failed');
    await platform.sim.waitFor(() => platform.sim.logs.length === 2);
    expect(platform.sim.logs[0].message).toBe('secret=*** key=*** token=***');
    expect(platform.sim.logs[1].message).toBe('Failed\nError: boom ***');
    const all = stdout.text.join('');
    for (const value of [SECRET, DEFAULT_INTAKE_KEY, DEFAULT_TOKEN]) {
      expect(all).not.toContain(value);
      expect(JSON.stringify(platform.sim.logs)).not.toContain(value);
    }
  });

  it('masks a secret added at run time, such as an access token issued after start', async () => {
    const { connector, stdout } = makeConnector(platform.sandbox);
    const token = 'ACCESS-TOKEN-issued-later';
    connector.log('started', 'info');
    connector.module.masker.add(token);
    connector.log(`PRA reporting API answered with an error: token ${token} is not valid`, 'error');
    await platform.sim.waitFor(() => platform.sim.logs.length === 2);
    const masked = 'PRA reporting API answered with an error: token *** is not valid';
    expect(platform.sim.logs[1].message).toBe(masked);
    expect(stdout.lines[1].message).toBe(masked);
  });

  it("leaves the platform's placeholder alone, and masks a short real secret", async () => {
    platform.sandbox.config('module_configuration', { ...MODULE_CONFIGURATION, client_secret: 'encrypted' });
    const { connector, stdout } = makeConnector(platform.sandbox);
    void connector.module.configuration;
    connector.module.setSecrets({ client_secret: 'k9Z' });
    connector.module.masker.add('');
    connector.log('skipped syslog.1: encrypted; client secret k9Z', 'error');
    await platform.sim.waitFor(() => platform.sim.logs.length === 1);
    expect(platform.sim.logs[0].message).toBe('skipped syslog.1: encrypted; client secret ***');
    expect(stdout.lines[0].message).toBe('skipped syslog.1: encrypted; client secret ***');
  });

  it('drops a batch the logs API keeps refusing, without throwing, and says so on stdout', async () => {
    platform.sandbox.config('url_logs', `${platform.sim.url}/nowhere`);
    const { connector, stdout } = makeConnector(platform.sandbox);
    connector.log('lost', 'error');
    await connector.flushLogs();
    expect(platform.sim.requests.filter((r) => r.path === '/nowhere')).toHaveLength(10);
    expect(stdout.lines.some((l) => String(l.message).startsWith('Dropped 1 log entries'))).toBe(true);
  });

  it('writes to stdout only when no logs API is configured', async () => {
    const bare = new Sandbox();
    const { connector, stdout } = makeConnector(bare);
    connector.log('local only', 'error');
    await connector.flushLogs();
    expect(stdout.lines.some((l) => l.message === 'local only')).toBe(true);
    bare.cleanup();
  });
});
