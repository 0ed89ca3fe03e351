import {
  IntakePushError,
  REQUEST_BYTES_MAX_SIZE,
  TriggerConfigurationError,
} from '@sekoia/automation-sdk-shim';
import { DEFAULT_INTAKE_KEY, type SekoiaSimulator } from '../../../simulator/sekoia';
import { Sandbox, makeConnector, usePlatformSandbox } from './helpers';

const platform = usePlatformSandbox();

const batches = (): SekoiaSimulator['requests'] =>
  platform.sim.requests.filter((r) => r.path.endsWith('/batch'));

describe('pushEventsToIntakes', () => {
  it('posts strings to <intake_server>/batch with the SDK headers and returns the ids', async () => {
    const { connector } = makeConnector(platform.sandbox);
    const ids = await connector.pushEventsToIntakes([{ a: 1, b: 'x' }, 'raw text']);
    expect(ids).toHaveLength(2);
    expect(platform.sim.events).toEqual(['{"a":1,"b":"x"}', 'raw text']);
    const [request] = batches();
    expect(request.path).toBe('/api/v1/intake-http/batch');
    expect(request.headers['user-agent']).toBe(`sekoiaio-connector-${DEFAULT_INTAKE_KEY}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(await connector.pushEventsToIntakes([])).toEqual([]);
    expect(batches()).toHaveLength(1);
  });

  it('keeps every request body within 10 MiB with multi-byte and quote-heavy events, each event once', async () => {
    const events: string[] = [];
    for (let i = 0; i < 40; i++) events.push(JSON.stringify({ i, text: 'é'.repeat(120_000) }));
    for (let i = 0; i < 40; i++) events.push(`${i}:${'😀'.repeat(62_000)}`);
    for (let i = 0; i < 40; i++) events.push(`${i}:${'"'.repeat(240_000)}`);
    const { connector } = makeConnector(platform.sandbox);
    const ids = await connector.pushEventsToIntakes(events);
    expect(ids).toHaveLength(events.length);
    expect(batches().length).toBeGreaterThanOrEqual(3);
    for (const request of batches()) {
      expect(request.status).toBe(200);
      expect(request.bytes).toBeLessThanOrEqual(REQUEST_BYTES_MAX_SIZE);
      expect(request.bytes).toBeGreaterThan(1000);
    }
    expect([...platform.sim.events].sort()).toEqual([...events].sort());
  });

  it('sends a push prepared ahead as it would the events, and only when asked', async () => {
    const { connector } = makeConnector(platform.sandbox);
    const prepared = connector.prepareIntakePush(['first', { second: 2 }, 'é'.repeat(125_001)]);
    expect(batches()).toHaveLength(0);
    expect(prepared).toMatchObject({ count: 2, discarded: 1 });
    expect(await connector.pushEventsToIntakes(prepared)).toHaveLength(2);
    expect(platform.sim.events).toEqual(['first', '{"second":2}']);
    expect(batches()).toHaveLength(1);
    const metrics = await connector.metricsRegistry.getSingleMetricAsString(
      'symphony_module_common_discarded_events_total',
    );
    expect(metrics).toMatch(/symphony_module_common_discarded_events_total 1$/m);
    expect(await connector.pushEventsToIntakes(connector.prepareIntakePush([]))).toEqual([]);
    expect(batches()).toHaveLength(1);
  });

  it('discards events over 250000 UTF-8 bytes and counts them', async () => {
    const { connector } = makeConnector(platform.sandbox);
    // 125001 'é' = 250002 bytes but only 125001 UTF-16 units: measured in bytes.
    const ids = await connector.pushEventsToIntakes(['ok', 'é'.repeat(125_001), { ok: true }]);
    expect(ids).toHaveLength(2);
    expect(platform.sim.events).toEqual(['ok', '{"ok":true}']);
    const metrics = await connector.metricsRegistry.getSingleMetricAsString(
      'symphony_module_common_discarded_events_total',
    );
    expect(metrics).toMatch(/symphony_module_common_discarded_events_total 1$/m);
    await connector.flushLogs();
    expect(platform.sim.logs.map((l) => l.message)).toContain(
      '1 too long events were discarded (length > 250kb)',
    );
  });

  it('retries failed requests and then succeeds', async () => {
    platform.sim.injectIntakeFault({ status: 500, count: 2 });
    const { connector } = makeConnector(platform.sandbox);
    expect(await connector.pushEventsToIntakes(['a', 'b'])).toHaveLength(2);
    expect(batches().map((r) => r.status)).toEqual([500, 500, 200]);
    expect(platform.sim.events).toEqual(['a', 'b']);
  });

  it('retries a reset connection and a 4xx as well', async () => {
    platform.sim.injectIntakeFault({ resetConnection: true, count: 1 });
    platform.sim.injectIntakeFault({ status: 413, count: 1 });
    const { connector } = makeConnector(platform.sandbox);
    expect(await connector.pushEventsToIntakes(['a'])).toHaveLength(1);
  });

  it('throws IntakePushError once the retry budget is spent', async () => {
    platform.sim.injectIntakeFault({ status: 503, count: 10_000 });
    const { connector } = makeConnector(platform.sandbox, undefined, { pushRetryMaxElapsedMs: 100 });
    const error = await connector.pushEventsToIntakes(['a']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakePushError);
    expect(error).toMatchObject({ aborted: false, status: 503 });
    await platform.sim.waitFor(() =>
      platform.sim.logs.some(
        (l) => l.level === 'error' && l.message.startsWith('Failed to forward 1 events'),
      ),
    );
  });

  it('stops retrying when the caller aborts', async () => {
    platform.sim.injectIntakeFault({ status: 500, count: 10_000 });
    const { connector } = makeConnector(platform.sandbox, undefined, {
      pushRetryMaxDelayMs: 60_000,
      pushRetryMaxElapsedMs: 3_600_000,
    });
    const controller = new AbortController();
    const push = connector.pushEventsToIntakes(['a'], { signal: controller.signal });
    await platform.sim.waitFor(() => batches().length >= 1);
    const started = Date.now();
    controller.abort();
    await expect(push).rejects.toMatchObject({ name: 'IntakePushError', aborted: true });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('stops retrying on stop()', async () => {
    platform.sim.injectIntakeFault({ status: 500, count: 10_000 });
    const { connector } = makeConnector(platform.sandbox, undefined, {
      pushRetryMaxDelayMs: 60_000,
      pushRetryMaxElapsedMs: 3_600_000,
    });
    const push = connector.pushEventsToIntakes(['a']);
    await platform.sim.waitFor(() => batches().length >= 1);
    connector.stop();
    await expect(push).rejects.toMatchObject({ aborted: true });
  });

  it('refuses plain http to a non-loopback intake, accepts it on loopback', async () => {
    const remote = new Sandbox().platform(platform.sim, { intake_server: 'http://intake.example.com' });
    const { connector } = makeConnector(remote);
    await expect(connector.pushEventsToIntakes(['a'])).rejects.toThrow(TriggerConfigurationError);
    await expect(connector.pushEventsToIntakes(['a'])).rejects.toThrow('intake_server must use https');
    remote.cleanup();
  });

  it('falls back to intake_url when intake_server is empty', async () => {
    platform.sandbox.config('connector_configuration', { intake_key: DEFAULT_INTAKE_KEY, intake_server: '' });
    platform.sandbox.config('intake_url', `${platform.sim.intakeUrl}/`);
    const { connector } = makeConnector(platform.sandbox);
    await connector.pushEventsToIntakes(['a']);
    expect(batches()[0].path).toBe('/api/v1/intake-http/batch');
  });
});
