import axios from 'axios';
import { deferred, makeConnector, waitForStop, usePlatformSandbox } from './helpers';

const platform = usePlatformSandbox();

const get = (port: number | undefined, path: string) =>
  axios.get<unknown>(`http://127.0.0.1:${port}${path}`, { validateStatus: () => true });

describe('health and metrics servers', () => {
  it('answers 200 on /health, then 500 once the heartbeat threshold passes', async () => {
    const started = deferred();
    const { connector } = makeConnector(platform.sandbox, async (self) => {
      self.setHeartbeatThreshold(0.3);
      self.heartbeat();
      started.resolve();
      await waitForStop(self);
    });
    const done = connector.execute();
    await started.promise;
    const first = await get(connector.healthPort, '/health');
    expect(first.status).toBe(200);
    expect(Object.keys(first.data as object).sort()).toEqual([
      'error_count',
      'last_events_time',
      'last_heartbeat',
      'last_heartbeat_threshold',
      'seconds_without_events_threshold',
    ]);
    expect(first.data).toMatchObject({
      seconds_without_events_threshold: 21600,
      last_heartbeat_threshold: 0.3,
    });
    let status = first.status;
    const deadline = Date.now() + 3000;
    while (status === 200 && Date.now() < deadline)
      status = (await get(connector.healthPort, '/health')).status;
    expect(status).toBe(500);
    await platform.sim.waitFor(() =>
      platform.sim.logs.some((l) => l.message.includes("didn't produce heartbeat")),
    );
    expect((await get(connector.healthPort, '/health?x=1')).status).toBe(404);
    expect((await get(connector.healthPort, '/other')).data).toEqual({
      status_code: 404,
      reason: "Endpoint doesn't exist",
    });
    connector.stop();
    await done;
  });

  it('serves the common metrics and process metrics on any path, without an intake_key label', async () => {
    const started = deferred();
    const { connector, stdout } = makeConnector(platform.sandbox, async (self) => {
      started.resolve();
      await waitForStop(self);
    });
    const done = connector.execute();
    await started.promise;
    await connector.pushEventsToIntakes(['a', 'b', 'c']);
    connector.commonMetrics.eventsLag.set(4);
    const { data } = await get(connector.metricsPort, '/metrics');
    const text = String(data);
    expect(text).toMatch(/^symphony_module_common_forwarded_events_total 3$/m);
    expect(text).toMatch(/^symphony_module_common_forward_events_duration_count 1$/m);
    expect(text).toMatch(/^symphony_module_common_events_lags 4$/m);
    expect(text).toMatch(/^symphony_module_common_discarded_events_total 0$/m);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).not.toContain('intake_key');
    expect(String((await get(connector.metricsPort, '/anything')).data)).toContain('symphony_module_common');
    const listening = stdout.lines.filter((l) => String(l.message).endsWith('server listening'));
    expect(listening.map((l) => l.port)).toEqual([connector.healthPort, connector.metricsPort]);
    connector.stop();
    await done;
  });
});
