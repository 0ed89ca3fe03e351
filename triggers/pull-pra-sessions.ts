import fs from 'node:fs';
import path from 'node:path';
import {
  Connector,
  IntakePushError,
  JsonStateFile,
  RetryAbortedError,
  StateFileError,
} from '@sekoia/automation-sdk-shim';
import { collectorConfig, type CollectorConfig, type PullPraSessionsArguments } from '../module/config';
import {
  PraApiError,
  PraAuthenticationError,
  PraHttpError,
  PraPermissionError,
  PraTransportError,
  ReportParseError,
} from '../module/pra/errors';
import { SessionForwarder } from '../module/feeds/sessions/forwarder';
import { CollectorMetrics, type ErrorKind } from '../module/engine/metrics';
import { PraClient, PraConfigurationError, PraUnexpectedResponseError } from '../module/pra/client';
import { ReportParserThread } from '../module/xml/thread';
import { CollectionState, StateFormatError, type StateFileContent } from '../module/feeds/sessions/state';

/**
 * Characters of serialised events per intake push: one intake chunk (3 bytes a character at most,
 * plus a byte per quote or backslash escaped again, stays under the 10 MiB request limit unless the
 * text is mostly control characters), and few pushes, since only one is in flight at a time and
 * each ends with a state save. In alternated bench:collect runs (1M events), 2 Mi beat 512 Ki
 * in all three pairs, by 28 to 42 % more events per second.
 */
const FLUSH_BYTES = 2 * 1024 * 1024;
/**
 * Attempts per detail request. Few, because a failed batch is split and asked again anyway: full
 * retries there would multiply waits by the depth of the split before a bad session is isolated.
 */
const DETAIL_ATTEMPTS = 2;
/** After SIGTERM, time left to the push in flight before it is abandoned (the platform waits ~5 s). */
const STOP_GRACE_MS = 3500;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A failure that says nothing about one session: the cycle stops and every session keeps its state. */
class TenantUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`PRA is not answering normally: ${describe(cause)}`, { cause });
    this.name = 'TenantUnavailableError';
  }
}

/**
 * Collects PRA session events and forwards them to the intake. Each cycle follows design.md:
 * list new sessions, fetch the tracked ones in `lsids` batches, parse the streamed reports, push
 * events as they come, and commit each session's progress once the intake has accepted it.
 */
export class PullPraSessionsTrigger extends Connector<PullPraSessionsArguments> {
  private metrics?: CollectorMetrics;
  private newestForwardedTimestamp?: number;
  private forwardedTotal = 0;
  private lastListingAt?: number;
  private sessionsPerRequest = 50;
  private timedOutLastCycle = false;
  private readonly pushAbort = new AbortController();
  private readonly parser = new ReportParserThread();

  async run(): Promise<void> {
    const config = collectorConfig(this.module.configuration, this.configuration);
    const metrics = this.metrics ?? this.setUp();
    // Every cycle and every fetched batch beats the heart. The longest legitimate silence is an
    // intake push retrying for its hour; past that plus three cycles, the loop is stuck, not busy.
    this.lastHeartbeatThreshold = config.frequencySeconds * 3 + 3600 + 900;
    // A PRA tenant can go days without a session; restarting the pod then would fix nothing. The
    // heartbeat already proves the loop runs, so the runtime's "no events for 6 h" check is off.
    this.secondsWithoutEvents = 0;
    const state = this.loadState(config);
    const client = this.createClient(config, metrics);
    this.log(
      `Collecting PRA sessions from ${new URL(config.baseUrl).host} every ${config.frequencySeconds} s ` +
        `(running sessions ${config.liveSessions ? 'followed' : 'not followed'}); state in ${state.path}`,
    );
    while (this.running) {
      const endTimer = metrics.cycleDuration.startTimer();
      try {
        await this.cycle(config, client, state);
      } catch (error) {
        // A stop aborts the calls in flight; that is the stop working, not a failure to report.
        if (this.running) this.reportCycleFailure(error);
        else this.log('Stopped in the middle of a cycle; the next start resumes from the saved state');
      } finally {
        endTimer();
        this.updateGauges(state);
        this.heartbeat();
      }
      await this.sleep(config.frequencySeconds);
    }
    await this.parser.close();
  }

  /** What lives as long as the process, whatever happens to run(). */
  private setUp(): CollectorMetrics {
    this.metrics = new CollectorMetrics(this.metricsRegistry);
    // The grace timer must not keep the process alive once everything is committed.
    this.stopSignal.addEventListener(
      'abort',
      () => setTimeout(() => this.pushAbort.abort(), STOP_GRACE_MS).unref(),
      { once: true },
    );
    return this.metrics;
  }

  private async cycle(config: CollectorConfig, client: PraClient, state: CollectionState): Promise<void> {
    const listedAt = nowSeconds();
    for (const lsid of state.clampToRetention(listedAt)) {
      this.log(`Session ${lsid} given up: it is older than PRA's 90-day retention`, 'warning');
    }
    const listed = await client.listSessions({ endTime: state.closedWatermark - config.overlapSeconds });
    if (config.liveSessions) {
      listed.push(
        ...(await client.listSessions({ startTime: state.startedWatermark - config.overlapSeconds })),
      );
    }
    const added = listed.filter((lsid) => state.track(lsid, listedAt)).length;
    state.advanceWatermarks(listedAt, config.overlapSeconds);
    state.save();
    this.lastListingAt = listedAt;
    const forwardedBefore = this.forwardedTotal;
    await this.fetchTracked(config, client, state);
    const forwarded = this.forwardedTotal - forwardedBefore;
    if (added > 0 || forwarded > 0) {
      this.log(
        `Cycle done: ${added} new sessions listed, ${forwarded} events forwarded, ` +
          `${state.trackedCount} sessions still followed or pending`,
      );
    }
  }

  /**
   * Fetches every tracked session in `lsids` batches. A batch that fails is split, so one bad
   * session cannot hold back its neighbours; a single session that fails has its failure counted,
   * and is set aside after `maxSessionFailures` cycles. Failures of PRA as a whole stop the cycle
   * without counting against any session.
   */
  private async fetchTracked(
    config: CollectorConfig,
    client: PraClient,
    state: CollectionState,
  ): Promise<void> {
    // Halved after a timeout; grows back, cycle after cycle, once requests answer in time again.
    this.sessionsPerRequest = Math.min(
      config.sessionsPerRequest,
      this.timedOutLastCycle ? this.sessionsPerRequest : this.sessionsPerRequest * 2,
    );
    this.timedOutLastCycle = false;
    const forwarder = new SessionForwarder(state, {
      preparePush: (events) => {
        const prepared = this.prepareIntakePush(events);
        return async () => {
          await this.pushEventsToIntakes(prepared, { signal: this.pushAbort.signal });
        };
      },
      flushBytes: FLUSH_BYTES,
      onForwarded: (count, newest) => this.recordForwarded(count, newest),
      onWarning: (message) => this.log(message, 'warning'),
    });
    const pending = state.trackedLsids;
    // Halves of failed batches go first; fresh batches take the size in force at that moment.
    const splits: string[][] = [];
    try {
      while ((splits.length > 0 || pending.length > 0) && this.running) {
        const batch = splits.shift() ?? pending.splice(0, this.sessionsPerRequest);
        const returned = new Set<string>();
        try {
          const items = client.fetchSessions(batch, {
            maxAttempts: DETAIL_ATTEMPTS,
            parse: (body) => this.parser.parse(body),
          });
          for await (const item of items) {
            if (item.kind === 'event') this.metrics?.collectedEvents.inc();
            else returned.add(item.lsid);
            await forwarder.add(item);
            if (!this.running) break;
          }
          await forwarder.flush();
          this.heartbeat();
          if (!this.running) break;
          for (const lsid of batch.filter((id) => !returned.has(id))) {
            this.recordSessionFailure(state, config, lsid, 'PRA did not return this session');
          }
        } catch (error) {
          if (!this.running) break;
          if (isTenantWide(error)) throw error;
          await forwarder.flush();
          const remaining = batch.filter((lsid) => !returned.has(lsid) && state.tracked(lsid));
          await this.assertTenantAnswers(client, error);
          if (error instanceof PraTransportError && error.timedOut) {
            this.sessionsPerRequest = Math.max(1, Math.floor(this.sessionsPerRequest / 2));
            this.timedOutLastCycle = true;
          }
          if (remaining.length > 1) {
            this.logger.warn('Detail request failed; asking for its sessions in two smaller requests', {
              sessions: remaining.length,
              reason: describe(error),
            });
            const half = Math.ceil(remaining.length / 2);
            splits.unshift(remaining.slice(0, half), remaining.slice(half));
          } else if (remaining.length === 1) {
            this.recordSessionFailure(state, config, remaining[0] as string, describe(error));
          }
        }
      }
      // On a stop this pushes what was already parsed, within the grace period: a clean stop repeats nothing.
      await forwarder.drain();
    } catch (error) {
      // What was parsed but not accepted is fetched again next cycle from the committed progress.
      // The push in flight must end first, or it could commit under the next cycle's feet.
      await forwarder.settle();
      forwarder.discard();
      if (error instanceof IntakePushError && error.aborted && !this.running) {
        this.log(
          'Stopped before the intake acknowledged the last events; they will be sent after the restart',
        );
        return;
      }
      throw error;
    }
  }

  /**
   * Tells a session's failure from PRA's: a cheap, empty listing. If that fails too, the batch
   * failure belongs to the tenant, and no session is blamed for it. An HTML or JSON answer goes
   * through here as well: a proxy may break only large detail replies while listings still work,
   * and then the sessions must be isolated rather than every cycle stopped.
   */
  private async assertTenantAnswers(client: PraClient, batchError: unknown): Promise<void> {
    try {
      await client.checkAccess();
    } catch {
      throw new TenantUnavailableError(batchError);
    }
  }

  private recordSessionFailure(
    state: CollectionState,
    config: CollectorConfig,
    lsid: string,
    reason: string,
  ): void {
    const outcome = state.recordFailure(lsid, reason, config.maxSessionFailures, nowSeconds());
    state.save();
    if (outcome === 'set-aside') {
      this.metrics?.errors.inc({ kind: 'session_set_aside' });
      this.log(
        `Session ${lsid} set aside after ${config.maxSessionFailures} failed fetches; its events are not ` +
          `forwarded and other sessions go on. Last error: ${reason}. It stays listed under set_aside in ${state.path}.`,
        'error',
      );
    } else {
      this.log(`Fetching session ${lsid} failed (${reason}); it will be retried next cycle`, 'warning');
    }
  }

  private recordForwarded(count: number, newestTimestamp: number | undefined): void {
    this.forwardedTotal += count;
    if (newestTimestamp !== undefined && !(newestTimestamp <= (this.newestForwardedTimestamp ?? -Infinity))) {
      this.newestForwardedTimestamp = newestTimestamp;
    }
    this.updateLag();
  }

  /** Lag only ever reflects forwarded events: an error or a quiet tenant lets it grow, never resets it. */
  private updateLag(): void {
    const now = nowSeconds();
    if (this.newestForwardedTimestamp !== undefined) {
      this.commonMetrics.eventsLag.set(Math.max(0, now - this.newestForwardedTimestamp));
    }
    if (this.lastListingAt !== undefined) this.metrics?.watermarkLag.set(now - this.lastListingAt);
  }

  private updateGauges(state: CollectionState): void {
    this.metrics?.trackedSessions.set(state.trackedCount);
    this.metrics?.setAsideSessions.set(state.setAsideCount);
    this.updateLag();
  }

  private reportCycleFailure(error: unknown): void {
    const kind = errorKind(error);
    this.metrics?.errors.inc({ kind });
    if (kind === 'authentication' || kind === 'permission') {
      // The shim sends only the first critical; later ones arrive as errors, muted for 60 s.
      this.log(describe(error), 'critical');
    } else if (kind === 'intake') {
      this.log(
        `Events could not be delivered to the intake, they will be sent again: ${describe(error)}`,
        'error',
      );
    } else {
      this.log(`Collection cycle failed, retrying next cycle: ${describe(error)}`, 'error');
    }
  }

  private loadState(config: CollectorConfig): CollectionState {
    const file = new JsonStateFile<StateFileContent>(path.join(this.module.dataPath, 'context.json'));
    try {
      return CollectionState.load(file, nowSeconds(), config.firstRunLookbackSeconds);
    } catch (error) {
      if (!(error instanceof StateFileError || error instanceof StateFormatError)) throw error;
      // An unreadable state must not stop collection for good: keep it for inspection and
      // start again from the look-back window, saying what that costs.
      const aside = `${file.path}.unreadable-${Date.now()}`;
      fs.renameSync(file.path, aside);
      this.metrics?.errors.inc({ kind: 'state' });
      this.log(
        `${describe(error)} It was moved to ${aside}; collection restarts from the look-back window, ` +
          'so some events may be forwarded twice.',
        'error',
      );
      return CollectionState.load(file, nowSeconds(), config.firstRunLookbackSeconds);
    }
  }

  private createClient(config: CollectorConfig, metrics: CollectorMetrics): PraClient {
    return new PraClient({
      baseUrl: config.baseUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      timeoutMs: config.requestTimeoutMs,
      requestsPerSecond: config.requestsPerSecond,
      signal: this.stopSignal,
      onRequest: ({ report, status }) => metrics.praRequests.inc({ report, status: String(status) }),
      onRetry: ({ report, attempt, delayMs, reason }) =>
        this.logger.info('PRA request retried', { report, attempt, delayMs, reason }),
    });
  }
}

function isTenantWide(error: unknown): boolean {
  return (
    error instanceof PraAuthenticationError ||
    error instanceof PraPermissionError ||
    error instanceof IntakePushError ||
    error instanceof RetryAbortedError ||
    error instanceof TenantUnavailableError ||
    error instanceof PraConfigurationError ||
    (error instanceof PraHttpError && error.status === 429)
  );
}

function errorKind(error: unknown): ErrorKind {
  const cause = error instanceof TenantUnavailableError ? error.cause : error;
  if (cause instanceof PraAuthenticationError) return 'authentication';
  if (cause instanceof PraPermissionError) return 'permission';
  if (cause instanceof PraUnexpectedResponseError) return 'unexpected_response';
  if (cause instanceof PraApiError) return 'api';
  if (cause instanceof PraHttpError) return 'http';
  if (cause instanceof PraTransportError) return 'transport';
  if (cause instanceof ReportParseError) return 'parse';
  if (cause instanceof IntakePushError) return 'intake';
  if (cause instanceof StateFileError || cause instanceof StateFormatError) return 'state';
  return 'other';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
