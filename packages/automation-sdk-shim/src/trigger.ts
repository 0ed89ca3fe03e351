import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import axios from 'axios';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type * as winston from 'winston';
import {
  ConfigurationError,
  IntakePushError,
  SendEventError,
  TriggerConfigurationError,
  describeError,
} from './errors';
import { type HealthStatus, createHealthServer } from './health';
import { closeServer, listen, parsePort } from './http';
import { LogsApiClient, type LogLevel, createStdoutLogger } from './logs';
import { createMetricsServer } from './metrics';
import type { Module } from './module';
import { callbackRequest, fetchSecrets, optionalText, platformUrl } from './platform';
import { RetryAbortedError, abortableSleep } from './retry';
import { isPlainObject, unknownKeys, validateConfiguration, type JsonObject } from './schema';
import { naiveUtcIso } from './time';
import { type TriggerOptions, type TriggerTimings, resolveTimings } from './timings';

const DEFAULT_LIVENESS_PORT = 8000;
const DEFAULT_METRICS_PORT = 8020;
const CRITICAL_ERROR_COUNT = 5;
const FIVE_DAYS_MS = 5 * 24 * 3600 * 1000;
/** Long enough to be cheap, short enough that a pending timer keeps the process alive while waiting for stop. */
const STOP_POLL_MS = 60_000;
/** Pause after the first run() that threw; it doubles with each one in a row, up to RUN_RETRY_MAX_MS. */
const RUN_RETRY_FIRST_MS = 1000;
const RUN_RETRY_MAX_MS = 60_000;

/**
 * A trigger as the Python SDK runs it: configuration, logs API, health and metrics
 * servers, and the run loop that classifies errors and applies the critical rule.
 */
export abstract class Trigger<C = Record<string, unknown>> {
  readonly module: Module;
  readonly name: string;
  readonly logger: winston.Logger;
  readonly metricsRegistry: Registry;
  /** Process exit code once execute() has returned: 1 after a configuration or start-up failure. */
  exitCode = 0;
  protected secondsWithoutEvents = 0;
  protected lastHeartbeatThreshold = 0;
  protected readonly timings: TriggerTimings;
  protected errorCount = 0;
  protected lastEventsTime = Date.now();
  private lastHeartbeat = Date.now();
  private readonly startedAt = Date.now();
  private readonly stopController = new AbortController();
  private readonly logsApi: LogsApiClient;
  private cachedConfiguration: C | undefined;
  private readonly servers: http.Server[] = [];
  private boundHealthPort: number | undefined;
  private boundMetricsPort: number | undefined;
  /** run() calls in a row that threw, for the pause before the next one. */
  private failedRuns = 0;

  constructor(module: Module, name: string, options?: TriggerOptions) {
    this.module = module;
    this.name = name;
    this.timings = resolveTimings(options);
    this.logger = createStdoutLogger(name, module.masker, options?.logStream);
    this.metricsRegistry = new Registry();
    collectDefaultMetrics({ register: this.metricsRegistry });
    this.maskKnownSecrets();
    this.logsApi = new LogsApiClient({
      target: () => {
        const url = platformUrl(module, 'logs');
        const token = optionalText(module, 'token');
        return url && token ? { url, token } : undefined;
      },
      masker: module.masker,
      stdout: this.logger,
      batchSize: this.timings.logBatchSize,
      muteMs: this.timings.logMuteMs,
      flushIntervalMs: this.timings.logFlushIntervalMs,
      retryMaxDelayMs: this.timings.logsRetryMaxDelayMs,
      timeoutMs: this.timings.httpTimeoutMs,
    });
  }

  /**
   * `connector_configuration`, else `trigger_configuration`, validated against the item JSON's `arguments`
   * with its defaults applied. Lazy, like the SDK: errors surface on first access, usually inside run().
   */
  get configuration(): C {
    this.cachedConfiguration ??= this.loadConfiguration();
    return this.cachedConfiguration;
  }

  get running(): boolean {
    return !this.stopSignal.aborted;
  }

  get stopSignal(): AbortSignal {
    return this.stopController.signal;
  }

  get healthPort(): number | undefined {
    return this.boundHealthPort;
  }

  get metricsPort(): number | undefined {
    return this.boundMetricsPort;
  }

  stop(): void {
    this.stopController.abort();
  }

  /** Unlike the SDK's time.sleep, wakes within milliseconds of stop(). */
  async sleep(seconds: number): Promise<void> {
    await abortableSleep(seconds * 1000, this.stopSignal);
  }

  /**
   * `value` with every secret the logs mask masked: a string, or a copy of a JSON-like value with
   * each of its strings masked. For whatever else leaves the process: a state file holding an
   * error text that echoes a secret, for one.
   */
  maskSecrets<T>(value: T): T {
    const { masker } = this.module;
    return (typeof value === 'string' ? masker.mask(value) : masker.maskValues(value)) as T;
  }

  log(message: string, level: LogLevel = 'info'): void {
    const effective = this.logsApi.add(level, message);
    this.logger.log(effective, message);
  }

  logException(error: unknown, message = 'An exception occurred'): void {
    const text = `${message}\n${describeError(error)}`;
    this.logsApi.add('error', text);
    this.logger.error(text, { stack: error instanceof Error ? error.stack : undefined });
  }

  flushLogs(): Promise<void> {
    return this.logsApi.flush();
  }

  heartbeat(): void {
    this.lastHeartbeat = Date.now();
  }

  async sendEvent(name: string, event: Record<string, unknown>): Promise<void> {
    this.markEventsSent();
    await callbackRequest(this.module, 'POST', { name, event, request_id: randomUUID() }, this.timings);
  }

  abstract run(): Promise<void>;

  async execute(): Promise<void> {
    const onSignal = (): void => this.stop();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await this.startMonitoring();
      if (!(await this.prepare())) return;
      this.logsApi.startTimer();
      while (this.running && this.exitCode === 0) {
        const failed = !(await this.executeOnce());
        if (this.logsApi.hasSentCritical && this.running) {
          await abortableSleep(this.timings.criticalStopWaitMs, this.stopSignal);
        } else if (failed && this.running) {
          await abortableSleep(this.runRetryDelayMs(), this.stopSignal);
        }
      }
    } finally {
      this.logsApi.stopTimer();
      await this.logsApi.flush();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await Promise.all(this.servers.map(closeServer));
      this.servers.length = 0;
    }
  }

  /**
   * [G] Which of the two files the platform writes, and whether it fills the schema defaults, is unknown:
   * either file works, and defaults are applied here whether or not the platform already did.
   */
  protected loadConfiguration(): C {
    const raw =
      this.module.loadConfig('connector_configuration', 'json', true) ??
      this.module.loadConfig('trigger_configuration', 'json');
    this.maskItemSecrets(raw);
    const schema = this.module.itemManifest(this.name)?.arguments;
    const result = validateConfiguration(raw, schema);
    if (!result.ok) {
      throw new TriggerConfigurationError(`Trigger configuration is invalid: ${result.problems.join('; ')}`);
    }
    this.warnUnknownKeys('trigger configuration', unknownKeys(raw, schema));
    return result.value as C;
  }

  private warnUnknownKeys(what: string, keys: string[]): void {
    if (keys.length === 0) return;
    this.log(
      `The ${what} has keys this module does not know, ignored: ${keys.join(', ')}. Check their spelling.`,
      'warning',
    );
  }

  /** Events were sent (or attempted): resets the error count and the health clock, as in the SDK. */
  protected markEventsSent(): void {
    this.errorCount = 0;
    this.lastEventsTime = Date.now();
  }

  protected healthStatus(): HealthStatus {
    const now = Date.now();
    const sinceEvents = (now - this.lastEventsTime) / 1000;
    const sinceHeartbeat = (now - this.lastHeartbeat) / 1000;
    const eventsOk = this.secondsWithoutEvents <= 0 || sinceEvents < this.secondsWithoutEvents;
    const heartbeatOk = this.lastHeartbeatThreshold <= 0 || sinceHeartbeat < this.lastHeartbeatThreshold;
    if (!eventsOk) {
      this.log(
        `The trigger didn't send events for ${Math.round(sinceEvents)} seconds, it will be restarted.`,
      );
    }
    if (!heartbeatOk) {
      this.log(
        `The trigger didn't produce heartbeat for ${Math.round(sinceHeartbeat)} seconds, it will be restarted.`,
        'error',
      );
    }
    return {
      alive: eventsOk && heartbeatOk,
      body: {
        last_events_time: naiveUtcIso(new Date(this.lastEventsTime)),
        last_heartbeat: naiveUtcIso(new Date(this.lastHeartbeat)),
        seconds_without_events_threshold: this.secondsWithoutEvents,
        last_heartbeat_threshold: this.lastHeartbeatThreshold,
        error_count: this.errorCount,
      },
    };
  }

  /** Data path, secrets and module configuration, before the run loop. False when start-up failed. */
  private async prepare(): Promise<boolean> {
    try {
      void this.module.dataPath;
      const secrets = this.module.secretNames.length
        ? await fetchSecrets(this.module, this.timings, this.stopSignal)
        : {};
      // Runs even without secrets: this is where the module configuration is loaded and validated.
      this.module.setSecrets(secrets);
      this.warnUnknownKeys('module configuration', this.module.unknownConfigurationKeys);
      return true;
    } catch (error) {
      if (error instanceof RetryAbortedError) return false;
      if (error instanceof ConfigurationError) {
        await this.failOnConfiguration(error);
      } else {
        this.logger.error(describeError(error), { stack: error instanceof Error ? error.stack : undefined });
        this.log(`Failed to fetch the module secrets: ${describeError(error)}`, 'critical');
        await this.failAndWaitForStop();
      }
      return false;
    }
  }

  /** One run(); false when it threw. */
  private async executeOnce(): Promise<boolean> {
    try {
      await this.run();
      this.failedRuns = 0;
      return true;
    } catch (error) {
      this.failedRuns += 1;
      if (!this.running && isAbortLike(error)) return false;
      if (error instanceof ConfigurationError) {
        await this.failOnConfiguration(error);
        return false;
      }
      this.logException(error);
      if (isPlatformSideError(error)) return false;
      this.errorCount += 1;
      if (this.isErrorCritical()) this.log(`${this.errorCount} successive uncatched errors`, 'critical');
      return false;
    }
  }

  /**
   * DEVIATION from the SDK, which calls run() again at once after it threw: a run() that fails at
   * once (a state it cannot read, a bug) would then loop without ever yielding to the event loop,
   * writing exceptions as fast as the CPU allows while SIGTERM, the log flush and /health wait.
   * The pause grows from 1 s to 1 min, and is never longer than the SDK's own wait after a critical.
   */
  private runRetryDelayMs(): number {
    const doubled = RUN_RETRY_FIRST_MS * 2 ** Math.min(this.failedRuns - 1, 16);
    return Math.min(doubled, RUN_RETRY_MAX_MS, this.timings.criticalStopWaitMs);
  }

  /**
   * DEVIATION from the SDK (which logs, sends a critical and then restarts run() every 120 s): one critical,
   * then wait for the platform to stop us and exit 1. Re-running with a broken configuration only spams logs.
   */
  private async failOnConfiguration(error: ConfigurationError): Promise<void> {
    this.logger.error(describeError(error), { stack: error.stack });
    this.log(`Configuration error: ${error.message}`, 'critical');
    await this.failAndWaitForStop();
  }

  private async failAndWaitForStop(): Promise<void> {
    this.exitCode = 1;
    await this.logsApi.flush();
    // A pending timer, not a bare promise: nothing else may keep the event loop alive (the servers may be down).
    while (this.running) await abortableSleep(STOP_POLL_MS, this.stopSignal);
  }

  /**
   * The SDK's `_is_error_critical`: 5 counted errors, no critical sent yet, 30 minutes of uptime, and
   * no events for uptime/5 (24 h at most).
   */
  private isErrorCritical(): boolean {
    const now = Date.now();
    const uptime = now - this.startedAt;
    return (
      this.errorCount >= CRITICAL_ERROR_COUNT &&
      !this.logsApi.hasSentCritical &&
      uptime >= this.timings.criticalUptimeGraceMs &&
      now - this.lastEventsTime >= Math.min(uptime, FIVE_DAYS_MS) / 5
    );
  }

  private async startMonitoring(): Promise<void> {
    this.boundHealthPort = await this.startServer('health', 'liveness_port', DEFAULT_LIVENESS_PORT, () =>
      createHealthServer(() => this.healthStatus()),
    );
    this.boundMetricsPort = await this.startServer('metrics', 'metrics_port', DEFAULT_METRICS_PORT, () =>
      createMetricsServer(this.metricsRegistry),
    );
  }

  /**
   * A server that cannot start is logged, not fatal: the collection itself does not need it, and the
   * platform's liveness probe will report the problem on its own.
   */
  private async startServer(
    kind: string,
    configName: string,
    defaultPort: number,
    create: () => http.Server,
  ): Promise<number | undefined> {
    try {
      const port = parsePort(optionalText(this.module, configName), defaultPort, configName);
      const server = create();
      const bound = await listen(server, port);
      this.servers.push(server);
      this.logger.info(`${kind} server listening`, { port: bound });
      return bound;
    } catch (error) {
      this.logger.error(`${kind} server could not start: ${describeError(error)}`);
      return undefined;
    }
  }

  /** Best effort, before anything is logged: values that must never leave the process unmasked. */
  private maskKnownSecrets(): void {
    try {
      this.module.masker.add(optionalText(this.module, 'token'));
      this.maskItemSecrets(
        this.module.loadConfig('connector_configuration', 'json', true) ??
          this.module.loadConfig('trigger_configuration', 'json', true),
      );
    } catch {
      // Unreadable configuration: reported where it is really loaded.
    }
  }

  /** `intake_key` and the item's connector-level secrets (`arguments.secrets`, which the SDK never fetches). */
  private maskItemSecrets(raw: unknown): void {
    if (!isPlainObject(raw)) return;
    const args = this.module.itemManifest(this.name)?.arguments;
    const listed = isPlainObject(args) && Array.isArray(args.secrets) ? args.secrets : [];
    for (const key of ['intake_key', ...listed]) {
      if (typeof key === 'string') this.module.masker.add((raw as JsonObject)[key]);
    }
  }
}

function isAbortLike(error: unknown): boolean {
  return (
    error instanceof RetryAbortedError ||
    (error instanceof IntakePushError && error.aborted) ||
    axios.isCancel(error) ||
    (error instanceof Error && error.name === 'AbortError')
  );
}

/**
 * As in the SDK, HTTP-client errors and SendEventError from 500 up are the platform's or the network's problem,
 * logged but not counted toward the critical rule. A failed intake push is the same kind of problem.
 */
function isPlatformSideError(error: unknown): boolean {
  if (error instanceof SendEventError) return error.status >= 500;
  return axios.isAxiosError(error) || error instanceof IntakePushError;
}
