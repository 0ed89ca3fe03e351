/**
 * The engine's side of every trigger: configuration read once, the data directory locked and the
 * state loaded, the PRA client and the parse thread set up, then cycle after cycle until SIGTERM,
 * with the failure policy, the metrics, the lag and the heartbeat that /health follows. A trigger
 * only names its feed.
 */
import { Connector, type ConnectorConfiguration } from '@sekoia/automation-sdk-shim';
import { ArgumentReader, praCredentials, type CollectionConfig } from '../config';
import { PraClient } from '../pra/client';
import {
  DataDirError,
  DataDirLock,
  describeHolder,
  LOCK_REFRESH_MS,
  STALE_AFTER_MS,
  type LockHolder,
} from './data-dir-lock';
import type { Feed, FeedCycle, FeedState } from './feed';
import { CycleFailures } from './cycle-failures';
import { CollectorMetrics } from './metrics';
import { reportsNotices } from './state-notices';
import { StateStore, StateUnusableError } from './state-store';

/**
 * Characters of serialised events per intake push: one intake request (see Forwarder), and few
 * pushes, since only one is in flight at a time and each ends with a state save. In alternated
 * bench:collect runs (1M session events), 2 Mi beat 512 Ki by 28 to 42 % more events per second.
 */
const FLUSH_CHARS = 2 * 1024 * 1024;
/** After SIGTERM, time left to the push in flight before it is abandoned (the platform waits ~5 s). */
const STOP_GRACE_MS = 3500;
/** While collection cannot start (directory held or unusable): how often to look again, at most. */
const RECHECK_MAX_SECONDS = 60;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

interface Collection<S> {
  state: S;
  statePath: string;
  lock: DataDirLock;
  cycle: FeedCycle;
  close: () => Promise<void>;
}

/** Why collection cannot start yet: logged once as critical, then looked at again until it is gone. */
interface Obstacle {
  /** What identifies it: a new one is logged, the same one is not. */
  key: string;
  message: string;
  /** Said once it is gone. */
  resolved: string;
  /** The deployment is broken (exit code 1 if stopped while it lasts), not standing by behind another collector. */
  failure: boolean;
  /** Critical, unless it is probably gone by itself soon (a lock left behind, about to be taken over). */
  level: 'critical' | 'warning';
}

export abstract class FeedTrigger<C extends CollectionConfig, S extends FeedState> extends Connector<
  ConnectorConfiguration & Record<string, unknown>
> {
  protected abstract readonly feed: Feed<C, S>;
  private metrics?: CollectorMetrics;
  private lock?: DataDirLock;
  private newestForwardedTime?: number;
  private readonly pushAbort = new AbortController();

  async run(): Promise<void> {
    const metrics = this.metrics ?? this.setUp();
    const config = this.feed.configure(
      praCredentials(this.module.configuration),
      new ArgumentReader(this.configuration, this.name),
    );
    // Every cycle and every request answered beats the heart. The longest legitimate silence is an
    // intake push retrying for its hour; past that plus three cycles, the loop is stuck, not busy.
    this.lastHeartbeatThreshold = config.frequencySeconds * 3 + 3600 + 900;
    // A tenant can go days without activity; restarting the pod then would fix nothing. The
    // heartbeat already proves the loop runs, so the runtime's "no events for 6 h" check is off.
    this.secondsWithoutEvents = 0;
    // Around again only when another collector took the directory over: wait for it, then reload.
    while (this.running) {
      const collection = await this.openWhenPossible(config, metrics);
      if (collection === undefined) return;
      try {
        await this.collect(collection, config, metrics);
      } finally {
        await collection.close();
      }
    }
  }

  private async collect(collection: Collection<S>, config: C, metrics: CollectorMetrics): Promise<void> {
    this.log(
      `Collecting ${this.feed.title} from ${config.credentials.baseUrl.host} every ${config.frequencySeconds} s; ` +
        `state in ${collection.statePath}`,
    );
    const failures = new CycleFailures((message, level) => this.log(message, level), metrics);
    while (this.running && collection.lock.held) {
      const endTimer = metrics.cycleDuration.startTimer();
      try {
        await collection.cycle.run();
        failures.succeeded();
      } catch (error) {
        // A stop aborts the calls in flight; that is the stop working, not a failure to report.
        if (!this.running)
          this.log('Stopped in the middle of a cycle; the next start resumes from the saved state');
        else if (collection.lock.held) failures.failed(error);
      } finally {
        endTimer();
        this.updateGauges(collection.state, metrics);
        this.heartbeat();
      }
      if (collection.lock.held) await this.sleep(config.frequencySeconds);
    }
  }

  /** What lives as long as the process, whatever happens to run(). */
  private setUp(): CollectorMetrics {
    this.metrics = new CollectorMetrics(this.metricsRegistry);
    // The grace timer must not keep the process alive once everything is committed.
    this.stopSignal.addEventListener(
      'abort',
      () => setTimeout(() => this.pushAbort.abort(), STOP_GRACE_MS).unref(),
      {
        once: true,
      },
    );
    return this.metrics;
  }

  /**
   * The data directory locked and the state open; while that cannot be, one critical log says why
   * and what to do (as for an invalid configuration), then the trigger waits and looks again, with
   * the heartbeat kept: restarting the pod would change nothing. Undefined once stopped.
   */
  private async openWhenPossible(config: C, metrics: CollectorMetrics): Promise<Collection<S> | undefined> {
    const recheckSeconds = Math.min(config.frequencySeconds, RECHECK_MAX_SECONDS);
    let blocked: Obstacle | undefined;
    while (this.running) {
      const opened = this.tryOpen(config, metrics, recheckSeconds);
      if (!isObstacle(opened)) {
        if (blocked !== undefined) this.log(`Collection starts: ${blocked.resolved}`, 'warning');
        return opened;
      }
      if (opened.key !== blocked?.key) {
        metrics.errors.inc({ kind: 'state' });
        // The shim sends only the first critical; a later, different obstacle arrives as an error.
        this.log(opened.message, opened.level);
      }
      blocked = opened;
      this.heartbeat();
      await this.sleep(recheckSeconds);
    }
    if (blocked?.failure) this.exitCode = 1;
    return undefined;
  }

  private tryOpen(config: C, metrics: CollectorMetrics, recheckSeconds: number): Collection<S> | Obstacle {
    const dir = this.module.dataPath;
    const lock = (this.lock ??= new DataDirLock(dir));
    const retry = `This collector does not collect meanwhile, and looks again every ${recheckSeconds} s.`;
    try {
      const outcome = lock.acquire();
      if (!outcome.acquired) return lockHeld(dir, outcome.holder, outcome.refreshed, retry);
      if (outcome.replaced) {
        this.log(
          `Took over ${lock.path} from ${describeHolder(outcome.replaced)}, which did not stop cleanly`,
          'warning',
        );
      }
      return this.open(config, metrics, lock);
    } catch (error) {
      lock.release();
      if (!(error instanceof DataDirError || error instanceof StateUnusableError)) throw error;
      const resolved = `the data directory ${dir} and its state can be used again`;
      return {
        key: error.message,
        message: `${error.message} ${retry}`,
        resolved,
        failure: true,
        level: 'critical',
      };
    }
  }

  private open(config: C, metrics: CollectorMetrics, lock: DataDirLock): Collection<S> {
    const store = new StateStore(this.module.dataPath, { mask: (text) => this.maskSecrets(text) });
    const state = store.load(
      (saved) => this.feed.openState(saved, nowSeconds(), config, store.path),
      (problem, movedTo) => {
        metrics.errors.inc({ kind: 'state' });
        this.log(
          `${problem.message} It was moved to ${movedTo}; collection restarts from the look-back window, ` +
            'so some events may be forwarded twice.',
          'error',
        );
      },
    );
    if (reportsNotices(state)) {
      state.reportTo((message, level) => {
        if (level === 'error') metrics.errors.inc({ kind: 'state' });
        this.log(message, level);
      });
    }
    const cycle = this.startCycle(config, metrics, state, store, lock);
    const stopRefresh = this.refreshLock(lock);
    const close = async (): Promise<void> => {
      stopRefresh();
      try {
        await cycle.close?.();
      } finally {
        lock.release();
      }
    };
    return { state, statePath: store.path, lock, cycle, close };
  }

  private startCycle(
    config: C,
    metrics: CollectorMetrics,
    state: S,
    store: StateStore,
    lock: DataDirLock,
  ): FeedCycle {
    return this.feed.start({
      config,
      state,
      client: this.createClient(config, metrics),
      dataDir: this.module.dataPath,
      // A collector that lost the directory to another one stops at once, and saves nothing more:
      // the state file is the other one's now.
      running: () => this.running && lock.held,
      heartbeat: () => this.heartbeat(),
      log: (message, level) => this.log(message, level),
      now: nowSeconds,
      metrics,
      // A collector that lost the directory writes nothing more to it.
      saveState: () => {
        if (lock.held) store.save(state);
      },
      delivery: {
        preparePush: (events) => {
          const prepared = this.prepareIntakePush(events);
          return async () => {
            await this.pushEventsToIntakes(prepared, { signal: this.pushAbort.signal });
          };
        },
        flushChars: FLUSH_CHARS,
        onForwarded: (_count, newest) => this.recordForwarded(newest, state, metrics),
      },
    });
  }

  /** The lock's heartbeat, on a timer of its own: a cycle may last an hour (an intake push retrying). */
  private refreshLock(lock: DataDirLock): () => void {
    const timer = setInterval(() => {
      const other = lock.refresh();
      if (other === undefined) return;
      this.log(
        `Another collector took ${lock.path} over (${describeHolder(other)}): this one stops collecting, ` +
          'so that nothing is forwarded twice, and waits for the directory to be free again.',
        'critical',
      );
    }, LOCK_REFRESH_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  private createClient(config: C, metrics: CollectorMetrics): PraClient {
    return new PraClient(config.credentials, {
      timeoutMs: config.requestTimeoutMs,
      requestsPerSecond: config.requestsPerSecond,
      requestsPerHour: config.requestsPerHour,
      onHourSpent: ({ perHour, waitMs }) =>
        this.log(
          `This trigger's request budget (max_requests_per_hour: ${perHour}) is spent for the hour: the next ` +
            `request to PRA waits ${Math.ceil(waitMs / 1000)} s. Collection goes on where it stopped.`,
          'warning',
        ),
      signal: this.stopSignal,
      onRequest: ({ report, status }) => {
        metrics.praRequests.inc({ report, status: String(status) });
        if (typeof status === 'number' && status < 500) this.heartbeat();
      },
      onRetry: ({ report, attempt, delayMs, reason }) =>
        this.logger.info('PRA request retried', { report, attempt, delayMs, reason }),
      // Masked from then on in the logs and in the state file alike (an error text may echo it).
      onToken: (token) => this.module.masker.add(token),
    });
  }

  private recordForwarded(newestTime: number | undefined, state: S, metrics: CollectorMetrics): void {
    if (newestTime !== undefined && !(newestTime <= (this.newestForwardedTime ?? -Infinity))) {
      this.newestForwardedTime = newestTime;
    }
    this.updateLag(state, metrics);
  }

  /** Lag only ever reflects what was collected: an error or a quiet tenant lets it grow, never resets it. */
  private updateLag(state: S, metrics: CollectorMetrics): void {
    const now = nowSeconds();
    if (this.newestForwardedTime !== undefined) {
      this.commonMetrics.eventsLag.set(Math.max(0, now - this.newestForwardedTime));
    }
    metrics.collectionLag.set(Math.max(0, now - state.watermark));
  }

  private updateGauges(state: S, metrics: CollectorMetrics): void {
    metrics.pendingItems.set(state.pendingCount);
    metrics.setAsideItems.set(state.setAsideCount);
    this.updateLag(state, metrics);
  }
}

/**
 * A live holder is a mistake to fix (critical). A lock nobody seems to refresh was probably left by
 * a collector that did not stop cleanly, on another host: it is taken over once seen unchanged for
 * STALE_AFTER_MS, which a warning says; if it is refreshed meanwhile, the critical follows.
 */
function lockHeld(dir: string, holder: LockHolder, refreshed: boolean, retry: string): Obstacle {
  const resolved = `the data directory ${dir} is free`;
  const key = `lock:${holder.token ?? holder.pid ?? 'unknown'}:${refreshed}`;
  if (!refreshed) {
    const message =
      `The data directory ${dir} holds the lock of ${describeHolder(holder)}, which does not look alive: ` +
      'probably left by a collector that did not stop cleanly. It is taken over if it is not refreshed ' +
      `within ${STALE_AFTER_MS / 60_000} minutes. ${retry}`;
    return { key, message, resolved, failure: false, level: 'warning' };
  }
  const message =
    `Another collector is using the data directory ${dir}: ${describeHolder(holder)}. Two collectors on ` +
    'one data directory would forward every event twice. Stop one of them, or give each its own data ' +
    `directory. ${retry} It takes over when the other stops.`;
  return { key, message, resolved, failure: false, level: 'critical' };
}

function isObstacle(value: object): value is Obstacle {
  return 'key' in value && 'resolved' in value;
}
