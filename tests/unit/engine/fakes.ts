/**
 * In-memory stand-ins for what a cycle talks to: the clock, stop, logs, the intake and the disk.
 * The cycles' tests run the real engine and feed code against them, without HTTP or child processes.
 */
import { Registry } from 'prom-client';
import type { LogLevel } from '@sekoia/automation-sdk-shim';
import type { CycleEnvironment, IntakeDelivery } from '../../../module/engine/feed';
import { CollectorMetrics } from '../../../module/engine/metrics';

/** An intake that accepts, fails or holds pushes on demand, and records what it accepted. */
export class FakeIntake {
  readonly accepted: string[] = [];
  private failures = 0;
  private onPush: (() => void) | undefined;

  /** The next `count` pushes fail, as an intake down for good fails after the shim's hour of retries. */
  failNext(count: number): void {
    this.failures = count;
  }

  /** Runs `hook` as each push is sent (before it is accepted): to stop the collector mid-push, for example. */
  whenPushed(hook: () => void): void {
    this.onPush = hook;
  }

  prepare = (events: string[]): (() => Promise<void>) => {
    return async () => {
      this.onPush?.();
      if (this.failures > 0) {
        this.failures -= 1;
        throw new Error('intake unavailable');
      }
      this.accepted.push(...events);
    };
  };
}

export class FakeEnvironment implements CycleEnvironment {
  clock: number;
  stopped = false;
  readonly logs: Array<{ level: LogLevel; message: string }> = [];
  readonly intake = new FakeIntake();
  /** The state as each save wrote it. */
  readonly saves: string[] = [];
  readonly metrics = new CollectorMetrics(new Registry());
  readonly delivery: IntakeDelivery;
  private state: { toJSON(): unknown } | undefined;

  constructor(now: number, flushChars = 1 << 20) {
    this.clock = now;
    this.delivery = { preparePush: this.intake.prepare, flushChars };
  }

  saveState = (): void => {
    if (this.state === undefined) throw new Error('no state attached to the fake environment');
    this.saves.push(JSON.stringify(this.state.toJSON()));
  };

  /** The state whose saves this environment records. */
  attach<S extends { toJSON(): unknown }>(state: S): S {
    this.state = state;
    return state;
  }

  running = (): boolean => !this.stopped;
  heartbeat = (): void => {};
  log = (message: string, level: LogLevel = 'info'): void => {
    this.logs.push({ level, message });
  };
  now = (): number => this.clock;

  messages(level: LogLevel): string[] {
    return this.logs.filter((entry) => entry.level === level).map((entry) => entry.message);
  }

  /** The last saved state, as the next start would read it. */
  lastSave(): unknown {
    const last = this.saves.at(-1);
    return last === undefined ? undefined : (JSON.parse(last) as unknown);
  }
}

/** Counts of each string in `items`: a multiset, to compare what arrived with what was expected. */
export function multiset(items: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}
