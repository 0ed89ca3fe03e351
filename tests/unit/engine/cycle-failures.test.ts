/** How failed cycles are told: a lasting cause once, with its end; the others every time. */
import { Registry } from 'prom-client';
import type { LogLevel } from '@sekoia/automation-sdk-shim';
import { CycleFailures } from '../../../module/engine/cycle-failures';
import { CollectorMetrics } from '../../../module/engine/metrics';
import { PraError } from '../../../module/pra/errors';

function rig(): { failures: CycleFailures; logs: Array<[LogLevel, string]>; metrics: CollectorMetrics } {
  const logs: Array<[LogLevel, string]> = [];
  const metrics = new CollectorMetrics(new Registry());
  return {
    failures: new CycleFailures((message, level) => logs.push([level, message]), metrics),
    logs,
    metrics,
  };
}

const tooMany = (): PraError =>
  new PraError('http', 'PRA answered HTTP 429 to the AccessSession call (after 5 attempts)', {
    status: 429,
    attempts: 5,
  });

describe('failed cycles', () => {
  it('say a lasting 429 once, naming the budget, charge nothing, and say when it is over', async () => {
    const { failures, logs, metrics } = rig();
    for (let cycle = 0; cycle < 4; cycle++) failures.failed(tooMany());
    expect(logs).toHaveLength(1);
    expect(logs[0]?.[0]).toBe('warning');
    expect(logs[0]?.[1]).toMatch(
      /request budget of the API account.*15,000 requests an hour.*Nothing is charged/,
    );
    expect((await metrics.errors.get()).values.find((v) => v.labels.kind === 'http')?.value).toBe(4);
    failures.succeeded();
    expect(logs.at(-1)?.[1]).toMatch(/answers again/);
    failures.failed(tooMany());
    expect(logs).toHaveLength(3);
  });

  it('say a missing report once as an error, and another cause every time', () => {
    const { failures, logs } = rig();
    const missing = new PraError('unavailable', 'PRA answered HTTP 404 to the Team report');
    failures.failed(missing);
    failures.failed(missing);
    failures.failed(new PraError('http', 'PRA answered HTTP 500 to the Team call', { status: 500 }));
    failures.failed(new PraError('http', 'PRA answered HTTP 500 to the Team call', { status: 500 }));
    expect(logs.map(([level]) => level)).toEqual(['error', 'error', 'error']);
    expect(logs[0]?.[1]).toMatch(/404.*keeps asking every cycle/);
  });
});
