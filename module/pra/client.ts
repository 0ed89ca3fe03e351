/**
 * The only code that talks HTTP to BeyondTrust PRA: OAuth client-credentials token, the reporting
 * API, retries, timeouts and a client-side rate limit. Every failure leaves as one of the typed
 * errors of ./errors (or RetryAbortedError when the caller's signal aborted), with a message that
 * says what to check and never carries the secret, the token or an Authorization header.
 */

import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import {
  abortableSleep,
  exponentialBackoff,
  isLoopbackHost,
  retry,
  RetryAbortedError,
} from '@sekoia/automation-sdk-shim';
import {
  PraAuthenticationError,
  PraError,
  PraHttpError,
  PraPermissionError,
  PraTransportError,
  ReportParseError,
} from './errors';
import type { ReportItem } from '../feeds/sessions/events';
import { parseSessionListing } from '../feeds/sessions/listing';
import { parseAccessSessionReport } from '../feeds/sessions/report-parser';

export interface PraClientOptions {
  /** Tenant URL, e.g. https://example.beyondtrustcloud.com; any path is ignored. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Per HTTP attempt: connect + headers, and the longest silence of a body stream. Default 60000. */
  timeoutMs?: number;
  /** Attempts per call, the first included. Default 5. */
  maxAttempts?: number;
  /** Cap on one backoff wait, Retry-After included. Default 30000. */
  maxRetryDelayMs?: number;
  /** Client-side rate limit across all calls of this client. Default 10. */
  requestsPerSecond?: number;
  /**
   * Cap on one AccessSession body. Memory does not depend on it (the body is streamed); it bounds
   * what one reply can cost when it never stops. Default 2 GiB.
   */
  maxReportBytes?: number;
  /** Cap on one AccessSessionListing body, which is held whole. Default 64 MiB. */
  maxListingBytes?: number;
  userAgent?: string;
  /** Aborts waits, retries and in-flight calls; they then reject with RetryAbortedError. */
  signal?: AbortSignal;
  /** Called for every HTTP attempt, token calls included (report: 'token'). */
  onRequest?: (info: {
    report: string;
    status: number | 'error';
    durationMs: number;
    attempt: number;
  }) => void;
  /** Called before each backoff wait; `reason` never carries a secret. */
  onRetry?: (info: { report: string; attempt: number; delayMs: number; reason: string }) => void;
}

/** Turns a report body into items: in this thread by default, or elsewhere (ReportParserThread). */
export type ReportParse<T> = (body: AsyncIterable<Buffer>) => AsyncIterable<T>;

/** Unix seconds. Exactly one of startTime/endTime; duration 0 (the default) means "up to now". */
export interface SessionWindow {
  startTime?: number;
  endTime?: number;
  duration?: number;
}

/** The client options cannot work (bad URL, plain http to a remote host, missing credentials). */
export class PraConfigurationError extends PraError {}

/**
 * HTTP 200 whose body is not what the API serves: an HTML login or proxy page, JSON or an empty
 * body. It points at the base URL or the network path, not at one session, so treat it as
 * tenant-wide even though it is a ReportParseError.
 */
export class PraUnexpectedResponseError extends ReportParseError {}

/**
 * A body over the client's cap (maxReportBytes / maxListingBytes). Not a PraUnexpectedResponseError:
 * an oversized AccessSession belongs to the sessions asked for, which the caller can split and, in
 * the end, set aside, rather than stopping the whole tenant on it every cycle.
 */
export class PraResponseTooLargeError extends ReportParseError {
  constructor(
    readonly report: string,
    readonly maxBytes: number,
    host: string,
  ) {
    super(
      `the ${report} report from ${host} exceeds ${maxBytes} bytes: ${
        report === 'AccessSessionListing'
          ? 'use a narrower time window'
          : 'ask for fewer sessions at once; a single session this large cannot be collected'
      }`,
    );
  }
}

const DEFAULT_USER_AGENT = 'sekoiaio-connector/beyondtrust-2.0.0';
const BACKOFF_BASE_MS = 1000;
/** A listing holds one short element per session; beyond this the window is far too wide. */
const DEFAULT_MAX_LISTING_BYTES = 64 * 1024 * 1024;
/** Far above any real session (a 100k-event session is about 60 MB), still an end to an endless reply. */
const DEFAULT_MAX_REPORT_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
/** A wrong hostname rarely starts resolving a second later; one retry covers a DNS hiccup. */
const MAX_DNS_ATTEMPTS = 2;

/**
 * A failure worth another attempt. It travels through the shim's retry() and is unwrapped when
 * attempts run out; `reason` is the short text for the onRetry log.
 */
class RetryableFailure extends Error {
  constructor(
    readonly reason: string,
    readonly final: (attempts: number) => PraError,
    readonly retryAfterMs?: number,
    readonly maxAttempts?: number,
  ) {
    super(reason);
  }
}

/** Per-call state: the one token refresh a call may make after a 401. */
interface CallState {
  refreshedToken: boolean;
}

interface Token {
  value: string;
  renewAt: number;
}

/**
 * Generic cell rate algorithm, i.e. a token bucket of `rate` tokens refilled at `rate` per second.
 * Each caller reserves its slot synchronously, so concurrent callers queue without a lock.
 */
class RateLimiter {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private theoreticalArrival = 0;

  constructor(rate: number) {
    this.intervalMs = 1000 / rate;
    this.toleranceMs = (Math.max(1, rate) - 1) * this.intervalMs;
  }

  /** Resolves false if `signal` aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<boolean> {
    const now = performance.now();
    const start = Math.max(this.theoreticalArrival, now);
    this.theoreticalArrival = start + this.intervalMs;
    const waitMs = start - this.toleranceMs - now;
    if (waitMs <= 0) return Promise.resolve(!signal?.aborted);
    return abortableSleep(waitMs, signal);
  }
}

/**
 * A 200 response body not yet read. Iterating it enforces the idle timeout, the size cap and the
 * "starts with <" check; the socket is destroyed when iteration ends for any reason, and
 * destroy() covers a body nobody iterated.
 */
class ReportBody implements AsyncIterable<Buffer> {
  constructor(
    private readonly response: AxiosResponse<Readable>,
    private readonly report: string,
    private readonly host: string,
    private readonly timeoutMs: number,
    private readonly maxBytes: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  destroy(): void {
    this.response.data.destroy();
    (this.response.request as http.ClientRequest | undefined)?.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const stream = this.response.data;
    let bytes = 0;
    let sawContent = false;
    let idleTimer: NodeJS.Timeout | undefined;
    // Armed only while waiting for the server: time the consumer spends on a chunk is not idleness.
    const arm = (): void => {
      idleTimer = setTimeout(() => {
        stream.destroy(
          new PraTransportError(
            `PRA sent no data for ${this.timeoutMs} ms while streaming the ${this.report} report from ${this.host} (after ${bytes} bytes)`,
            'ETIMEDOUT',
            true,
          ),
        );
      }, this.timeoutMs);
    };
    const onAbort = (): void => {
      stream.destroy(new RetryAbortedError(undefined));
    };
    this.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (this.signal?.aborted) throw new RetryAbortedError(undefined);
      arm();
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        clearTimeout(idleTimer);
        bytes += chunk.length;
        if (bytes > this.maxBytes) throw new PraResponseTooLargeError(this.report, this.maxBytes, this.host);
        if (!sawContent) {
          const first = chunk.findIndex((byte) => !SKIPPABLE_LEADING_BYTES.has(byte));
          if (first >= 0) {
            sawContent = true;
            if (chunk[first] !== 0x3c) {
              throw new PraUnexpectedResponseError(
                `PRA answered the ${this.report} report with a body that is not XML (it starts with ${preview(chunk.subarray(first))}): check that the base URL is the PRA site and that no proxy rewrites the answer`,
              );
            }
          }
        }
        yield chunk;
        arm();
      }
      if (!sawContent) {
        throw new PraUnexpectedResponseError(`PRA answered the ${this.report} report with an empty body`);
      }
    } catch (error) {
      throw this.bodyFailure(error, bytes);
    } finally {
      clearTimeout(idleTimer);
      this.signal?.removeEventListener('abort', onAbort);
      this.destroy();
    }
  }

  private bodyFailure(error: unknown, bytes: number): unknown {
    if (error instanceof PraError || error instanceof RetryAbortedError) return error;
    const code = errorCode(error);
    return new PraTransportError(
      `the connection to ${this.host} failed while streaming the ${this.report} report after ${bytes} bytes (${code ?? 'no error code'})`,
      code,
      false,
    );
  }
}

/** Whitespace and the UTF-8 byte order mark may precede the first `<`. */
const SKIPPABLE_LEADING_BYTES = new Set([0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf]);

function preview(bytes: Buffer): string {
  return JSON.stringify(bytes.subarray(0, 60).toString('utf8').replace(/\s+/g, ' '));
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === 'string') return code;
  return cause === undefined ? undefined : errorCode(cause);
}

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  // axios's code for a reply whose body was cut short ("stream has been aborted"), e.g. a reset
  // in the middle of a token answer.
  'ERR_BAD_RESPONSE',
]);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN']);

function isTlsCode(code: string): boolean {
  return (
    /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_)/.test(code) ||
    code.includes('SELF_SIGNED') ||
    code === 'EPROTO' ||
    code === 'HOSTNAME_MISMATCH'
  );
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function windowParams(window: SessionWindow): Record<string, string> {
  const { startTime, endTime, duration = 0 } = window;
  if ((startTime === undefined) === (endTime === undefined)) {
    throw new RangeError('a session window needs exactly one of startTime and endTime');
  }
  for (const value of [startTime, endTime, duration]) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new RangeError(`session window values are whole unix seconds, got ${value}`);
    }
  }
  return startTime !== undefined
    ? { start_time: String(startTime), duration: String(duration) }
    : { end_time: String(endTime), duration: String(duration) };
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  const result = value ?? fallback;
  if (!Number.isFinite(result) || result < 0 || (!allowZero && result === 0)) {
    throw new PraConfigurationError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return result;
}

/** The tenant origin from a base URL; https unless loopback. Throws PraConfigurationError. */
export function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new PraConfigurationError('the PRA base URL is not a valid URL (expected https://<tenant>)');
  }
  if (url.username !== '' || url.password !== '') {
    throw new PraConfigurationError('the PRA base URL must not carry credentials');
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new PraConfigurationError(
      `the PRA base URL must use https (plain http is accepted only for loopback hosts), got http://${url.host}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PraConfigurationError(`the PRA base URL must use https, got ${url.protocol}//${url.host}`);
  }
  return new URL(url.origin);
}

const INVALID_CLIENT_MESSAGE =
  'PRA rejected the OAuth client credentials (invalid_client): check the client id and secret of the API account, that the account is enabled, and that the secret was not regenerated';

export class PraClient {
  private readonly base: URL;
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxRetryDelayMs: number;
  private readonly backoff: (attempt: number) => number;
  private readonly limiter: RateLimiter;
  private readonly basicAuth: string;
  private readonly maxReportBytes: number;
  private readonly maxListingBytes: number;
  private token: Token | undefined;
  private tokenRequest: Promise<Token> | undefined;
  private attempts = 0;

  constructor(private readonly options: PraClientOptions) {
    this.base = parseBaseUrl(options.baseUrl);
    if (!options.clientId || !options.clientSecret) {
      throw new PraConfigurationError('the PRA client id and client secret are required');
    }
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, 60_000);
    this.maxAttempts = options.maxAttempts ?? 5;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new PraConfigurationError('maxAttempts must be a whole number of at least 1');
    }
    this.maxRetryDelayMs = positive('maxRetryDelayMs', options.maxRetryDelayMs, 30_000, true);
    this.backoff = exponentialBackoff(
      Math.min(BACKOFF_BASE_MS, this.maxRetryDelayMs),
      this.maxRetryDelayMs,
      true,
    );
    this.limiter = new RateLimiter(positive('requestsPerSecond', options.requestsPerSecond, 10));
    this.maxReportBytes = positive('maxReportBytes', options.maxReportBytes, DEFAULT_MAX_REPORT_BYTES);
    this.maxListingBytes = positive('maxListingBytes', options.maxListingBytes, DEFAULT_MAX_LISTING_BYTES);
    // BeyondTrust documents plain `id:secret`, not the RFC 6749 form-encoding of each part.
    this.basicAuth = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
    this.http = axios.create({
      baseURL: this.base.origin,
      // BeyondTrust asks API clients to close the connection after each call.
      httpAgent: new http.Agent({ keepAlive: false }),
      httpsAgent: new https.Agent({ keepAlive: false }),
      headers: { Connection: 'close', 'User-Agent': options.userAgent ?? DEFAULT_USER_AGENT },
      // A redirect means a wrong base URL or a login portal; following it would only hide that.
      maxRedirects: 0,
      validateStatus: () => true,
    });
  }

  /** HTTP attempts made so far, token calls included. */
  get requestCount(): number {
    return this.attempts;
  }

  /** The lsids of the sessions in the window (AccessSessionListing); [] when PRA has none. */
  async listSessions(window: SessionWindow): Promise<string[]> {
    const report = 'AccessSessionListing';
    const params = windowParams(window);
    const state: CallState = { refreshedToken: false };
    // The listing reaches the caller only once complete, so a broken body is simply retried.
    return this.withRetries(report, async (attempt) => {
      const body = await this.openReport(report, params, this.maxListingBytes, attempt, state);
      try {
        return await parseSessionListing(body);
      } catch (error) {
        if (error instanceof PraTransportError) throw new RetryableFailure(error.message, () => error);
        throw error;
      } finally {
        body.destroy();
      }
    });
  }

  /**
   * Every event of the given sessions, then one `session` item per session, in one AccessSession
   * call, as `parse` makes them (parseAccessSessionReport unless told otherwise). Status-level
   * failures are retried before the first byte is read; a failure mid-body (PraTransportError,
   * ReportParseError) reaches the caller after the items already yielded.
   */
  async *fetchSessions<T = ReportItem>(
    lsids: string[],
    options: { maxAttempts?: number; parse?: ReportParse<T> } = {},
  ): AsyncGenerator<T> {
    if (lsids.length === 0) return;
    const invalid = lsids.find((lsid) => lsid === '' || lsid.includes(','));
    if (invalid !== undefined) throw new RangeError(`not a usable lsid: ${JSON.stringify(invalid)}`);
    const report = 'AccessSession';
    const params = { lsids: lsids.join(',') };
    const state: CallState = { refreshedToken: false };
    const body = await this.withRetries(
      report,
      (attempt) => this.openReport(report, params, this.maxReportBytes, attempt, state),
      options.maxAttempts,
    );
    try {
      // The default parse yields ReportItem, which is T when no parse is given.
      const parse = options.parse ?? (parseAccessSessionReport as unknown as ReportParse<T>);
      yield* parse(body);
    } finally {
      body.destroy();
    }
  }

  /** Gets a token, then runs one tiny listing: throws the typed error that says what is wrong. */
  async checkAccess(): Promise<void> {
    await this.listSessions({ endTime: Math.floor(Date.now() / 1000), duration: 1 });
  }

  private async withRetries<T>(
    report: string,
    operation: (attempt: number) => Promise<T>,
    maxAttempts = this.maxAttempts,
  ): Promise<T> {
    let attempts = 0;
    try {
      return await retry(
        (attempt) => {
          attempts = attempt;
          return operation(attempt);
        },
        {
          maxAttempts,
          signal: this.options.signal,
          delayMs: (attempt, error) => {
            if (!(error instanceof RetryableFailure)) return undefined;
            if (error.maxAttempts !== undefined && attempt >= error.maxAttempts) return undefined;
            return error.retryAfterMs === undefined
              ? this.backoff(attempt)
              : Math.min(error.retryAfterMs, this.maxRetryDelayMs);
          },
          onRetry: (error, attempt, delayMs) =>
            this.options.onRetry?.({
              report,
              attempt,
              delayMs,
              reason: error instanceof RetryableFailure ? error.reason : 'unknown',
            }),
        },
      );
    } catch (error) {
      if (error instanceof RetryableFailure) throw error.final(attempts);
      if (error instanceof RetryAbortedError)
        throw new RetryAbortedError(innermost(error.lastError, attempts));
      throw error;
    }
  }

  /** One reporting attempt, including the single token refresh a call may make after a 401. */
  private async openReport(
    report: string,
    params: Record<string, string>,
    maxBytes: number,
    attempt: number,
    state: CallState,
  ): Promise<ReportBody> {
    for (;;) {
      const token = await this.getToken();
      const response = await this.exchange<Readable>(report, attempt, {
        method: 'POST',
        url: '/api/reporting',
        data: new URLSearchParams({ generate_report: report, ...params }).toString(),
        headers: {
          Authorization: `Bearer ${token.value}`,
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/xml',
        },
        responseType: 'stream',
      });
      const body = new ReportBody(
        response,
        report,
        this.base.host,
        this.timeoutMs,
        maxBytes,
        this.options.signal,
      );
      if (response.status !== 200) body.destroy();
      if (response.status === 401) {
        this.dropToken(token);
        if (state.refreshedToken) {
          throw new PraAuthenticationError(
            `PRA refused a freshly issued OAuth token (HTTP 401 on ${report}): check that the API account is enabled, that its secret was not regenerated, and that no other collector uses the same API account (PRA keeps at most 30 tokens per account and silently drops the oldest)`,
          );
        }
        state.refreshedToken = true;
        continue;
      }
      if (response.status === 403) {
        throw new PraPermissionError(
          `PRA refused the ${report} report (HTTP 403): the API account lacks the reporting permission 'Allow Access to Access Session Reports and Recordings' or 'Enable XML API' is off (Management > API Configuration)`,
        );
      }
      this.checkStatus(report, response, attempt);
      const contentType = String(response.headers['content-type'] ?? '');
      if (/html|json|zip/i.test(contentType)) {
        body.destroy();
        throw new PraUnexpectedResponseError(
          `PRA answered the ${report} report with content-type ${contentType} instead of XML: check that the base URL is the PRA site and that no proxy or login portal intercepts the call`,
        );
      }
      // A declared length over the cap fails before a byte is read; without one, ReportBody counts.
      if (Number(response.headers['content-length']) > maxBytes) {
        body.destroy();
        throw new PraResponseTooLargeError(report, maxBytes, this.base.host);
      }
      return body;
    }
  }

  private async getToken(): Promise<Token> {
    if (this.token !== undefined && performance.now() < this.token.renewAt) return this.token;
    // Concurrent callers share one token request: each new token may push out another (30 max).
    this.tokenRequest ??= this.withRetries('token', (attempt) => this.requestToken(attempt)).finally(() => {
      this.tokenRequest = undefined;
    });
    return this.tokenRequest;
  }

  private dropToken(token: Token): void {
    if (this.token === token) this.token = undefined;
  }

  private async requestToken(attempt: number): Promise<Token> {
    const requestedAt = performance.now();
    const response = await this.exchange<string>('token', attempt, {
      method: 'POST',
      url: '/oauth2/token',
      data: 'grant_type=client_credentials',
      headers: {
        Authorization: this.basicAuth,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      responseType: 'text',
      transformResponse: (data: string) => data,
      maxContentLength: MAX_TOKEN_RESPONSE_BYTES,
    });
    const json = parseJsonObject(response.data);
    if (response.status === 401 || (response.status === 400 && json?.error === 'invalid_client')) {
      throw new PraAuthenticationError(INVALID_CLIENT_MESSAGE);
    }
    this.checkStatus('token', response, attempt);
    const accessToken = json?.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw new PraUnexpectedResponseError(
        `the PRA token endpoint answered HTTP ${response.status} (content-type ${String(response.headers['content-type'] ?? 'none')}) without an access_token: check that the base URL is the PRA site`,
      );
    }
    // Some servers send the lifetime as a string; a missing or odd one means the documented hour.
    const declared = Number(json?.expires_in);
    const expiresIn = Number.isFinite(declared) && declared > 0 ? declared : 3600;
    // Renew 5 minutes early, or at half-life for short-lived tokens, so no call races the expiry.
    const lifetimeMs = (expiresIn > 600 ? expiresIn - 300 : expiresIn / 2) * 1000;
    this.token = { value: accessToken, renewAt: requestedAt + lifetimeMs };
    return this.token;
  }

  /** Throws for any status but 200: 429/5xx as retryable, the rest as a final PraHttpError. */
  private checkStatus(report: string, response: AxiosResponse, attempt: number): void {
    const { status } = response;
    if (status === 200) return;
    if (status === 429 || status >= 500) {
      throw new RetryableFailure(
        `HTTP ${status}`,
        (attempts) =>
          new PraHttpError(
            status,
            `PRA answered HTTP ${status} to the ${report} call after ${attempts} attempt${attempts === 1 ? '' : 's'}`,
          ),
        parseRetryAfter(response.headers['retry-after']),
      );
    }
    const hint =
      status >= 300 && status < 400
        ? `a redirect to ${redirectTarget(response.headers.location)}: check that the base URL is the PRA site itself`
        : status === 404
          ? 'not found: check that the base URL is the PRA site'
          : status >= 400
            ? 'the request was refused'
            : 'an answer this client does not handle';
    throw new PraHttpError(
      status,
      `PRA answered HTTP ${status} to the ${report} call (attempt ${attempt}), ${hint}`,
    );
  }

  /**
   * One rate-limited HTTP attempt with its own timeout up to the response headers (the body of a
   * stream is watched by ReportBody). Network failures become RetryableFailure or
   * PraTransportError; statuses are left to the caller.
   */
  private async exchange<T>(
    report: string,
    attempt: number,
    config: AxiosRequestConfig,
  ): Promise<AxiosResponse<T>> {
    const { signal } = this.options;
    if (!(await this.limiter.acquire(signal))) throw new RetryAbortedError(undefined);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const started = performance.now();
    this.attempts += 1;
    const notify = (status: number | 'error'): void =>
      this.options.onRequest?.({ report, status, durationMs: performance.now() - started, attempt });
    try {
      const response = await this.http.request<T>({ ...config, signal: controller.signal });
      notify(response.status);
      return response;
    } catch (error) {
      notify('error');
      throw this.transportFailure(
        report === 'token' ? 'the token endpoint' : `the ${report} report`,
        error,
        timedOut,
      );
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private transportFailure(what: string, error: unknown, timedOut: boolean): Error {
    const host = this.base.host;
    if (timedOut) {
      const failure = new PraTransportError(
        `PRA at ${host} did not answer ${what} within ${this.timeoutMs} ms`,
        'ETIMEDOUT',
        true,
      );
      return new RetryableFailure('timeout', () => failure);
    }
    const code = errorCode(error);
    if (code !== undefined && DNS_CODES.has(code)) {
      const failure = new PraTransportError(
        `cannot resolve host ${this.base.hostname} (${code}): check the base URL and the DNS of this host`,
        code,
        false,
      );
      return new RetryableFailure(code, () => failure, undefined, MAX_DNS_ATTEMPTS);
    }
    if (code !== undefined && isTlsCode(code)) {
      return new PraTransportError(
        `TLS certificate verification failed for ${host} (${code}): check the base URL, the system CA store and any TLS-intercepting proxy`,
        code,
        false,
      );
    }
    if (code !== undefined && RETRYABLE_NETWORK_CODES.has(code)) {
      const failure = new PraTransportError(
        `the connection to ${host} failed on ${what} (${code})`,
        code,
        false,
      );
      return new RetryableFailure(code, () => failure);
    }
    return new PraTransportError(
      `calling ${what} on ${host} failed: ${error instanceof Error ? error.message : 'unknown error'}`,
      code,
      false,
    );
  }
}

function parseJsonObject(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Only the origin and path of a Location header: its query could carry anything. */
function redirectTarget(location: unknown): string {
  if (typeof location !== 'string') return 'an unknown location';
  try {
    const url = new URL(location, 'https://unknown.invalid');
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'an unreadable location';
  }
}

/** Strips our internal wrappers and nested aborts so RetryAbortedError.lastError stays meaningful. */
function innermost(error: unknown, attempts: number): unknown {
  if (error instanceof RetryAbortedError) return innermost(error.lastError, attempts);
  if (error instanceof RetryableFailure) return error.final(attempts);
  return error;
}
