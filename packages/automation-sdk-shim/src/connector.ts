import axios from 'axios';
import { IntakePushError, TriggerConfigurationError, describeError } from './errors';
import { httpStatus, isLoopbackHost } from './http';
import { type CommonMetrics, createCommonMetrics } from './metrics';
import type { Module } from './module';
import { optionalText } from './platform';
import { RetryAbortedError, exponentialBackoff, retry } from './retry';
import type { TriggerOptions } from './timings';
import { Trigger } from './trigger';

export interface ConnectorConfiguration {
  intake_key: string;
  intake_server?: string | null;
}

export interface PushOptions {
  signal?: AbortSignal;
}

/**
 * The intake's limit on one event, in UTF-8 bytes: stricter than the SDK, which counts code points,
 * so that no event the platform would refuse is ever sent.
 */
export const EVENT_BYTES_MAX_SIZE = 250_000;
/** The whole serialised request body, envelope and re-escaping included; the intake answers 413 above it. */
export const REQUEST_BYTES_MAX_SIZE = 10_485_760;
const PARALLEL_CHUNKS = 4;

/** A Trigger that pushes events to a Sekoia intake (`push_events_to_intakes`). */
export abstract class Connector<
  C extends ConnectorConfiguration = ConnectorConfiguration,
> extends Trigger<C> {
  readonly commonMetrics: CommonMetrics;
  protected override secondsWithoutEvents = 21600;

  constructor(module: Module, name: string, options?: TriggerOptions) {
    super(module, name, options);
    this.commonMetrics = createCommonMetrics(this.metricsRegistry);
  }

  /**
   * Sends `events` (objects are JSON-serialised, strings sent as they are) and returns the intake's event ids
   * in chunk order. DEVIATION: where the SDK drops a chunk silently after 1 h of retries, this THROWS
   * IntakePushError, so that the caller keeps its checkpoint and the events are sent again later.
   * stop() and `options.signal` end the retries with IntakePushError(aborted=true); stop() lets requests
   * already in flight finish (their events may be accepted), the caller's signal cancels them.
   * `events` may come from prepareIntakePush.
   */
  async pushEventsToIntakes(
    events: Array<string | object> | PreparedPush,
    options: PushOptions = {},
  ): Promise<string[]> {
    const prepared = events instanceof PreparedPush ? events : this.prepareIntakePush(events);
    if (prepared.count === 0 && prepared.discarded === 0) return [];
    this.markEventsSent();
    const started = process.hrtime.bigint();
    const url = this.batchUrl();
    if (prepared.discarded > 0) {
      this.commonMetrics.discardedEvents.inc(prepared.discarded);
      this.log(`${prepared.discarded} too long events were discarded (length > 250kb)`, 'info');
    }
    const results = await this.sendChunks(
      url,
      this.configuration.intake_key,
      prepared.chunks,
      options.signal,
    );

    this.commonMetrics.forwardedEvents.inc(prepared.count);
    this.commonMetrics.forwardEventsDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return results.flat();
  }

  /**
   * Builds the request bodies of a push without sending them: a caller that pushes one batch at a
   * time can build the next while the previous one is on the wire.
   */
  prepareIntakePush(events: Array<string | object>): PreparedPush {
    const { encoded, discarded } = encodeEvents(events);
    return new PreparedPush(
      buildChunkBodies(this.configuration.intake_key, encoded),
      encoded.length,
      discarded,
    );
  }

  protected override loadConfiguration(): C {
    const configuration = super.loadConfiguration();
    // DefaultConnectorConfiguration: intake_key is a required string, null rejected.
    if (typeof configuration.intake_key !== 'string' || configuration.intake_key === '') {
      throw new TriggerConfigurationError('Trigger configuration is invalid: /intake_key is required');
    }
    return configuration;
  }

  /**
   * base = intake_server when truthy, else `intake_url`; then `/` only if missing, then `batch`, as the
   * SDK joins them (`new URL('batch', base)` would drop the last path segment of a regional base).
   */
  private batchUrl(): string {
    const base = this.configuration.intake_server || optionalText(this.module, 'intake_url');
    if (!base) {
      throw new TriggerConfigurationError(
        'No intake server: set intake_server or the intake_url configuration',
      );
    }
    let parsed: URL;
    try {
      parsed = new URL(base);
    } catch {
      throw new TriggerConfigurationError('intake_server is not a valid URL');
    }
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname))) {
      throw new TriggerConfigurationError('intake_server must use https');
    }
    return `${base}${base.endsWith('/') ? '' : '/'}batch`;
  }

  /** Up to PARALLEL_CHUNKS at once; after a final failure no new chunk starts. */
  private async sendChunks(
    url: string,
    intakeKey: string,
    chunks: readonly ChunkBody[],
    callerSignal: AbortSignal | undefined,
  ): Promise<string[][]> {
    const results: string[][] = chunks.map(() => []);
    const waitSignal = callerSignal ? AbortSignal.any([callerSignal, this.stopSignal]) : this.stopSignal;
    let failure: IntakePushError | undefined;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks.length && !failure) {
        const index = next++;
        try {
          results[index] = await this.sendChunk(url, intakeKey, chunks[index].body, waitSignal, callerSignal);
        } catch (error) {
          failure ??= this.toPushError(error, chunks[index].count, waitSignal);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_CHUNKS, chunks.length) }, worker));
    if (failure) {
      throw new IntakePushError(failure.message, failure.aborted, failure.status, results.flat());
    }
    return results;
  }

  private async sendChunk(
    url: string,
    intakeKey: string,
    body: Buffer,
    waitSignal: AbortSignal,
    callerSignal: AbortSignal | undefined,
  ): Promise<string[]> {
    const response = await retry(
      () =>
        // Bytes, not a string: axios would JSON.parse a string body again just to validate it.
        axios.post<unknown>(url, body, {
          headers: { 'User-Agent': `sekoiaio-connector-${intakeKey}`, 'Content-Type': 'application/json' },
          timeout: this.timings.httpTimeoutMs,
          signal: callerSignal,
          maxBodyLength: Infinity,
          maxContentLength: Infinity,
        }),
      {
        maxElapsedMs: this.timings.pushRetryMaxElapsedMs,
        // Every failure is retried, 4xx included, as the SDK does: the intake answers 4xx under load too.
        delayMs: exponentialBackoff(1000, this.timings.pushRetryMaxDelayMs),
        signal: waitSignal,
      },
    );
    const ids = (response.data as { event_ids?: unknown } | undefined)?.event_ids;
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  }

  private toPushError(error: unknown, count: number, waitSignal: AbortSignal): IntakePushError {
    const cause = error instanceof RetryAbortedError ? error.lastError : error;
    const status = httpStatus(cause);
    if (waitSignal.aborted) {
      return new IntakePushError(`Push of ${count} events aborted`, true, status);
    }
    const message = `Failed to forward ${count} events: ${describeError(cause)}`;
    this.log(message, 'error');
    return new IntakePushError(this.module.masker.mask(message), false, status);
  }
}

interface ChunkBody {
  body: Buffer;
  count: number;
}

/** Events ready for pushEventsToIntakes: their request bodies, and how many were too long to send. */
export class PreparedPush {
  constructor(
    readonly chunks: readonly ChunkBody[],
    readonly count: number,
    readonly discarded: number,
  ) {}
}

/** Each event as the string sent in `jsons`, and how many were over the size limit. */
function encodeEvents(events: Array<string | object>): { encoded: string[]; discarded: number } {
  const encoded: string[] = [];
  let discarded = 0;
  for (const event of events) {
    const text = typeof event === 'string' ? event : JSON.stringify(event);
    // A UTF-16 unit is at most 3 UTF-8 bytes: most events need no byte count at all.
    if (text.length * 3 > EVENT_BYTES_MAX_SIZE && Buffer.byteLength(text, 'utf8') > EVENT_BYTES_MAX_SIZE) {
      discarded += 1;
    } else {
      encoded.push(text);
    }
  }
  return { encoded, discarded };
}

/**
 * Request bodies `{"intake_key":…,"jsons":[…]}` of at most REQUEST_BYTES_MAX_SIZE bytes each, measured
 * on the serialised body (each event string is JSON-escaped again inside `jsons`). One native
 * serialisation per body; a body over the limit is split in two and each half measured again, which
 * only happens for pushes larger than the limit.
 */
function buildChunkBodies(intakeKey: string, encoded: string[]): ChunkBody[] {
  if (encoded.length === 0) return [];
  const body = Buffer.from(JSON.stringify({ intake_key: intakeKey, jsons: encoded }), 'utf8');
  if (body.length <= REQUEST_BYTES_MAX_SIZE || encoded.length === 1) return [{ body, count: encoded.length }];
  const half = Math.ceil(encoded.length / 2);
  return [
    ...buildChunkBodies(intakeKey, encoded.slice(0, half)),
    ...buildChunkBodies(intakeKey, encoded.slice(half)),
  ];
}
