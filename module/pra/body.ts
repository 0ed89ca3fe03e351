/** A report reply body, streamed with a watchdog: what a stalled or endless reply may cost is bounded. */
import type http from 'node:http';
import type { Readable } from 'node:stream';
import type { AxiosResponse } from 'axios';
import { RetryAbortedError } from '@sekoia/automation-sdk-shim';
import { PraError } from './errors';

/** What a report's body must look like before a byte of it reaches a parser. */
export type BodyShape = 'xml' | 'binary';

export interface ReportBodyOptions {
  report: string;
  host: string;
  /** Longest silence of the server while the body streams. */
  idleTimeoutMs: number;
  maxBytes: number;
  shape: BodyShape;
  signal: AbortSignal | undefined;
}

/** Whitespace and the UTF-8 byte order mark may precede the first `<`. */
const SKIPPABLE_LEADING_BYTES = new Set([0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf]);
const XML_START = 0x3c;

/**
 * A 200 response body not yet read. Iterating it enforces the idle timeout, the size cap and, for
 * XML reports, the "starts with <" check; the socket is destroyed when iteration ends for any
 * reason, and destroy() covers a body nobody iterated.
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
    const progress = { bytes: 0, sawContent: false };
    let idleTimer: NodeJS.Timeout | undefined;
    // Armed only while waiting for the server: time the consumer spends on a chunk is not idleness.
    const arm = (): void => {
      idleTimer = setTimeout(
        () => stream.destroy(this.idleError(progress.bytes)),
        this.options.idleTimeoutMs,
      );
    };
    const onAbort = (): void => {
      stream.destroy(new RetryAbortedError(undefined));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw new RetryAbortedError(undefined);
      arm();
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        clearTimeout(idleTimer);
        this.check(chunk, progress);
        yield chunk;
        arm();
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
      clearTimeout(idleTimer);
      signal?.removeEventListener('abort', onAbort);
      this.destroy();
    }
  }

  private check(chunk: Buffer, progress: { bytes: number; sawContent: boolean }): void {
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

  private idleError(bytes: number): PraError {
    return new PraError(
      'transport',
      `PRA sent no data for ${this.options.idleTimeoutMs} ms while streaming the ${this.options.report} report from ${this.options.host} (after ${bytes} bytes)`,
      { code: 'ETIMEDOUT', timedOut: true },
    );
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
