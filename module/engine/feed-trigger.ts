/**
 * The engine's side of every trigger: configuration read once, the state loaded, the PRA client
 * and the parse thread set up, then cycle after cycle until SIGTERM, with the failure policy, the
 * metrics, the lag and the heartbeat that /health follows. A trigger only names its feed.
 */
import {
  Connector,
  IntakePushError,
  StateFileError,
  type ConnectorConfiguration,
} from '@sekoia/automation-sdk-shim';
import { ArgumentReader, praCredentials, type CollectionConfig } from '../config';
import { PraClient } from '../pra/client';
import { PraError } from '../pra/errors';
import type { Feed, FeedCycle, FeedState } from './feed';
import { CollectorMetrics, type ErrorKind } from './metrics';
import { StateFormatError, StateStore } from './state-store';

/**
 * Characters of serialised events per intake push: one intake request (see Forwarder), and few
 * pushes, since only one is in flight at a time and each ends with a state save. In alternated
 * bench:collect runs (1M session events), 2 Mi beat 512 Ki by 28 to 42 % more events per second.
 */
const FLUSH_CHARS = 2 * 1024 * 1024;
/** After SIGTERM, time left to the push in flight before it is abandoned (the platform waits ~5 s). */
const STOP_GRACE_MS = 3500;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

interface Collection<S> {
  state: S;
  store: StateStore;
  cycle: FeedCycle;
  close: () => Promise<void>;
}

export abstract class FeedTrigger<C extends CollectionConfig, S extends FeedState> extends Connector<
  ConnectorConfiguration & Record<string, unknown>
> {
  protected abstract readonly feed: Feed<C, S>;
  private metrics?: CollectorMetrics;
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
    const collection = this.open(config, metrics);
    this.log(
      `Collecting ${this.feed.title} from ${config.credentials.baseUrl.host} every ${config.frequencySeconds} s; ` +
        `state in ${collection.store.path}`,
    );
    try {
      while (this.running) {
        const endTimer = metrics.cycleDuration.startTimer();
        try {
          await collection.cycle.run();
        } catch (error) {
          // A stop aborts the calls in flight; that is the stop working, not a failure to report.
          if (this.running) this.reportCycleFailure(error);
          else this.log('Stopped in the middle of a cycle; the next start resumes from the saved state');
        } finally {
          endTimer();
          this.updateGauges(collection.state);
          this.heartbeat();
        }
        await this.sleep(config.frequencySeconds);
      }
    } finally {
      await collection.close();
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

  private open(config: C, metrics: CollectorMetrics): Collection<S> {
    const store = new StateStore(this.module.dataPath);
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
    const client = this.createClient(config, metrics);
    const cycle = this.feed.start({
      config,
      state,
      client,
      dataDir: this.module.dataPath,
      running: () => this.running,
      heartbeat: () => this.heartbeat(),
      log: (message, level) => this.log(message, level),
      now: nowSeconds,
      metrics,
      delivery: {
        preparePush: (events) => {
          const prepared = this.prepareIntakePush(events);
          return async () => {
            await this.pushEventsToIntakes(prepared, { signal: this.pushAbort.signal });
          };
        },
        save: () => store.save(state),
        flushChars: FLUSH_CHARS,
        onForwarded: (_count, newest) => this.recordForwarded(newest, state),
      },
    });
    return { state, store, cycle, close: async () => cycle.close?.() };
  }

  private createClient(config: C, metrics: CollectorMetrics): PraClient {
    return new PraClient(config.credentials, {
      timeoutMs: config.requestTimeoutMs,
      requestsPerSecond: config.requestsPerSecond,
      signal: this.stopSignal,
      onRequest: ({ report, status }) => {
        metrics.praRequests.inc({ report, status: String(status) });
        if (typeof status === 'number' && status < 500) this.heartbeat();
      },
      onRetry: ({ report, attempt, delayMs, reason }) =>
        this.logger.info('PRA request retried', { report, attempt, delayMs, reason }),
    });
  }

  private recordForwarded(newestTime: number | undefined, state: S): void {
    if (newestTime !== undefined && !(newestTime <= (this.newestForwardedTime ?? -Infinity))) {
      this.newestForwardedTime = newestTime;
    }
    this.updateLag(state);
  }

  /** Lag only ever reflects what was collected: an error or a quiet tenant lets it grow, never resets it. */
  private updateLag(state: S): void {
    const now = nowSeconds();
    if (this.newestForwardedTime !== undefined) {
      this.commonMetrics.eventsLag.set(Math.max(0, now - this.newestForwardedTime));
    }
    this.metrics?.collectionLag.set(Math.max(0, now - state.watermark));
  }

  private updateGauges(state: S): void {
    this.metrics?.pendingItems.set(state.pendingCount);
    this.metrics?.setAsideItems.set(state.setAsideCount);
    this.updateLag(state);
  }

  private reportCycleFailure(error: unknown): void {
    const kind = errorKind(error);
    this.metrics?.errors.inc({ kind });
    const message = error instanceof Error ? error.message : String(error);
    if (kind === 'authentication' || kind === 'permission') {
      // The shim sends only the first critical; later ones arrive as errors, muted for 60 s.
      this.log(message, 'critical');
    } else if (kind === 'intake') {
      this.log(`Events could not be delivered to the intake, they will be sent again: ${message}`, 'error');
    } else {
      this.log(`Collection cycle failed, retrying next cycle: ${message}`, 'error');
    }
  }
}

function errorKind(error: unknown): ErrorKind {
  if (error instanceof PraError) return error.kind;
  if (error instanceof IntakePushError) return 'intake';
  if (error instanceof StateFileError || error instanceof StateFormatError) return 'state';
  return 'other';
}
