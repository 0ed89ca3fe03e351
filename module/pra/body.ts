/** A report reply body, streamed with a watchdog: what a stalled or endless reply may cost is bounded. */
import type http from 'node:http';
import type { Readable } from 'node:stream';
import type { AxiosResponse } from 'axios';
import { RetryAbortedError } from '@sekoia/automation-sdk-shim';
import type { Clock } from './clock';
import { PraError } from './errors';

/** What a report's body must look like before a byte of it reaches a parser. */
export type BodyShape = 'xml' | 'binary';

export interface ReportBodyOptions {
  report: string;
  host: string;
  /**
   * The request timeout: the longest silence of the server while the body streams, and the base of
   * the deadline of the whole reply (see replyAllowanceMs).
   */
  timeoutMs: number;
  maxBytes: number;
  shape: BodyShape;
  signal: AbortSignal | undefined;
  clock: Clock;
}

/** Whitespace and the UTF-8 byte order mark may precede the first `<`. */
const SKIPPABLE_LEADING_BYTES = new Set([0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf]);
const XML_START = 0x3c;

/**
 * The slowest average rate at which a reply still counts as progressing: 64 KiB/s, 1 s per 64 KiB.
 * A real report streams at hundreds of KiB/s at least (a 60 MB session in about 15 minutes at this
 * floor); a reply below it for longer than the timeout is a stalled appliance or a proxy that
 * trickles bytes to keep the connection open. Cutting it is not losing it: the error is a timeout,
 * so a window or a batch of sessions is asked for again in halves, each allowed its own time (a
 * Syslog download, which cannot be split, is tried again next cycle).
 */
export const MIN_BYTES_PER_SECOND = 64 * 1024;

/**
 * How long a reply body of `bytes` so far may keep the collector waiting, in all: the timeout, plus
 * the time those bytes take at MIN_BYTES_PER_SECOND. The pause between two parts is bounded by the
 * timeout alone, so without this 8 bytes every 2 s would hold a request forever. With the wait for
 * the headers (one timeout at most), a request holds the collector for at most twice the timeout
 * plus its size at the floor rate.
 */
export function replyAllowanceMs(timeoutMs: number, bytes: number): number {
  return timeoutMs + (bytes * 1000) / MIN_BYTES_PER_SECOND;
}

interface Progress {
  bytes: number;
  sawContent: boolean;
  /** Time spent waiting for the server so far (not the time the consumer held a chunk). */
  waitedMs: number;
}

/**
 * A 200 response body not yet read. Iterating it enforces the idle timeout, the deadline of the
 * whole reply, the size cap and, for XML reports, the "starts with <" check; the socket is
 * destroyed when iteration ends for any reason, and destroy() covers a body nobody iterated.
 */
export class ReportBody implements AsyncIterable<Buffer> {
  constructor(
    private readonly response: AxiosResponse<Readable>,
    private readonly options: ReportBodyOptions,
  ) {}

  destroy(): void {
    this.response.data.destroy();
    (this.response.request as http.ClientRequest | undefined)?.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const { signal } = this.options;
    const stream = this.response.data;
    const progress: Progress = { bytes: 0, sawContent: false, waitedMs: 0 };
    const watchdog = new Watchdog(this.options, progress, (error) => stream.destroy(error));
    const onAbort = (): void => {
      stream.destroy(new RetryAbortedError(undefined));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw new RetryAbortedError(undefined);
      watchdog.arm();
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        watchdog.disarm();
        this.check(chunk, progress);
        yield chunk;
        watchdog.arm();
      }
      if (!progress.sawContent) {
        throw new PraError(
          'unexpected_response',
          `PRA answered the ${this.options.report} report with an empty body`,
        );
      }
    } catch (error) {
      throw this.bodyFailure(error, progress.bytes);
    } finally {
      watchdog.disarm();
      signal?.removeEventListener('abort', onAbort);
      this.destroy();
    }
  }

  private check(chunk: Buffer, progress: Progress): void {
    progress.bytes += chunk.length;
    if (progress.bytes > this.options.maxBytes)
      throw tooLarge(this.options.report, this.options.maxBytes, this.options.host);
    if (progress.sawContent) return;
    const first = chunk.findIndex((byte) => !SKIPPABLE_LEADING_BYTES.has(byte));
    if (first < 0) return;
    progress.sawContent = true;
    if (this.options.shape === 'xml' && chunk[first] !== XML_START) {
      throw new PraError(
        'unexpected_response',
        `PRA answered the ${this.options.report} report with a body that is not XML (it starts with ${preview(chunk.subarray(first))}): check that the base URL is the PRA site and that no proxy rewrites the answer`,
      );
    }
  }

  private bodyFailure(error: unknown, bytes: number): unknown {
    if (error instanceof PraError || error instanceof RetryAbortedError) return error;
    const code = errorCode(error);
    return new PraError(
      'transport',
      `the connection to ${this.options.host} failed while streaming the ${this.options.report} report after ${bytes} bytes (${code ?? 'no error code'})`,
      { code },
    );
  }
}

/**
 * The body's timers: armed only while waiting for the server, since the time the consumer spends on
 * a chunk (a parse, an intake push that retries for an hour) is neither silence nor slowness of
 * PRA. One timer serves both limits: the silence allowed, or what is left of the reply's
 * allowance, whichever ends first.
 */
class Watchdog {
  private cancel: (() => void) | undefined;
  private waitingSince = 0;

  constructor(
    private readonly options: ReportBodyOptions,
    private readonly progress: Progress,
    private readonly fail: (error: PraError) => void,
  ) {}

  arm(): void {
    const { clock, timeoutMs } = this.options;
    this.waitingSince = clock.now();
    const left = replyAllowanceMs(timeoutMs, this.progress.bytes) - this.progress.waitedMs;
    const deadlineFirst = left < timeoutMs;
    this.cancel = clock.setTimer(
      () => this.fail(deadlineFirst ? this.deadlineError() : this.idleError()),
      Math.max(0, deadlineFirst ? left : timeoutMs),
    );
  }

  disarm(): void {
    if (this.cancel === undefined) return;
    this.cancel();
    this.cancel = undefined;
    this.progress.waitedMs += this.options.clock.now() - this.waitingSince;
  }

  private idleError(): PraError {
    const { timeoutMs, report, host } = this.options;
    return new PraError(
      'transport',
      `PRA sent no data for ${timeoutMs} ms while streaming the ${report} report from ${host} (after ${this.progress.bytes} bytes)`,
      { code: 'ETIMEDOUT', timedOut: true },
    );
  }

  private deadlineError(): PraError {
    const { timeoutMs, report, host } = this.options;
    const { bytes } = this.progress;
    const allowance = Math.round(replyAllowanceMs(timeoutMs, bytes));
    return new PraError(
      'transport',
      `PRA streamed the ${report} report from ${host} too slowly: ${bytes} bytes received when its deadline of ${allowance} ms ` +
        `(the ${timeoutMs} ms timeout plus 1 s per 64 KiB received) passed: check the load of the PRA appliance and the ` +
        'network between it and the collector (a proxy or a link that trickles data)',
      { code: 'ETIMEDOUT', timedOut: true },
    );
  }
}

/**
 * A body over its report's cap. It blames the request: an oversized AccessSession belongs to the
 * sessions asked for, which the caller can split and in the end set aside, rather than stopping
 * the whole tenant on it every cycle.
 */
export function tooLarge(report: string, maxBytes: number, host: string): PraError {
  return new PraError(
    'too_large',
    `the ${report} report from ${host} exceeds ${maxBytes} bytes: ask for a narrower window or fewer items at once`,
  );
}

function preview(bytes: Buffer): string {
  return JSON.stringify(bytes.subarray(0, 60).toString('utf8').replace(/\s+/g, ' '));
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === 'string') return code;
  return cause === undefined ? undefined : errorCode(cause);
}
