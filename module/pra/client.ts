/**
 * The only code that talks HTTP to BeyondTrust PRA: the OAuth token and the reporting API, with
 * retries, timeouts and a client-side rate limit. Every failure leaves as a PraError (or the shim's
 * RetryAbortedError once the caller's signal aborted), with a message that says what to check and
 * never carries the secret, a token or an Authorization header. What a report means is the feeds'
 * business: this client opens reports and hands their bodies over.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { exponentialBackoff, retry, RetryAbortedError } from '@sekoia/automation-sdk-shim';
import { ReportBody, tooLarge, type BodyShape } from './body';
import { sleepOn, systemClock, type Clock } from './clock';
import { PraError } from './errors';
import { requiredPermission } from './reports';
import { RateLimiter } from './rate-limit';
import { retryDelay, statusFailure, transportFailure } from './failures';
import { readTokenResponse, TokenSource, type Token } from './token';

/** How to reach the tenant: the account part of the configuration, already checked. */
export interface PraCredentials {
  /** The tenant origin (see parseBaseUrl). */
  baseUrl: URL;
  clientId: string;
  clientSecret: string;
}

export interface PraClientOptions {
  /**
   * Per HTTP attempt: connect and headers, the longest silence of a body stream, and the base of
   * the deadline of a whole body (see replyAllowanceMs).
   */
  timeoutMs: number;
  /** Client-side rate limit across all calls of this client. */
  requestsPerSecond: number;
  /** Ceiling on this client's requests in any hour, token calls included; none by default. */
  requestsPerHour?: number;
  /** The hourly ceiling is reached: the next request waits (see RateLimiter). */
  onHourSpent?: (info: { perHour: number; waitMs: number }) => void;
  /** Attempts per call, the first included. Default 5. */
  maxAttempts?: number;
  /** Cap on one backoff wait, Retry-After included. Default 30000. */
  maxRetryDelayMs?: number;
  userAgent?: string;
  /** Aborts waits, retries and calls in flight; they then reject with RetryAbortedError. */
  signal?: AbortSignal;
  /** Called for every HTTP attempt, token calls included (report: 'token'). */
  onRequest?: (info: { report: string; status: number | 'error'; durationMs: number }) => void;
  /** Called before each backoff wait; `reason` never carries a secret. */
  onRetry?: (info: { report: string; attempt: number; delayMs: number; reason: string }) => void;
  /**
   * Called with every access token as soon as it is issued, before any request carries it: give
   * it to the masker of the logs (the shim's `module.masker.add`), since PRA may echo it back in
   * an `<error>` text that ends up in a log.
   */
  onToken?: (token: string) => void;
  /** Timers and time of the timeouts and deadlines; the system clock by default (tests inject one). */
  clock?: Clock;
}

export interface ReportRequest {
  /** `generate_report`: AccessSession, VaultAccountActivity, Syslog... */
  report: string;
  params?: Record<string, string>;
  /** Default 'xml'; 'binary' for Syslog's ZIP, which may also be an XML `<error>` document. */
  shape?: BodyShape;
  /** Cap on the body. Memory does not depend on it (bodies are streamed); it ends an endless reply. */
  maxBytes?: number;
  /** Attempts for this call, when fewer than the client's suit the caller. */
  maxAttempts?: number;
}

/** Per call: a call may get one fresh token after a 401, not more. */
interface CallState {
  refreshedToken: boolean;
}

const DEFAULT_USER_AGENT = 'sekoiaio-connector/beyondtrust-2.0.0';
const BACKOFF_BASE_MS = 1000;
/** Far above any real report piece (a 100k-event session is about 60 MB), still an end to an endless reply. */
const DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

export class PraClient {
  private readonly http: AxiosInstance;
  private readonly limiter: RateLimiter;
  private readonly tokens: TokenSource;
  private readonly backoff: (attempt: number) => number;
  private readonly maxAttempts: number;
  private readonly maxRetryDelayMs: number;
  private readonly basicAuth: string;
  private readonly clock: Clock;
  private attempts = 0;

  constructor(
    private readonly credentials: PraCredentials,
    private readonly options: PraClientOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.backoff = exponentialBackoff(
      Math.min(BACKOFF_BASE_MS, this.maxRetryDelayMs),
      this.maxRetryDelayMs,
      true,
    );
    this.limiter = new RateLimiter(
      {
        perSecond: options.requestsPerSecond,
        perHour: options.requestsPerHour,
        onHourSpent: options.onHourSpent,
      },
      this.clock,
    );
    this.tokens = new TokenSource(
      () => this.withRetries('token', () => this.requestToken()),
      () => this.clock.now(),
    );
    // BeyondTrust documents plain `id:secret`, not the RFC 6749 form-encoding of each part.
    this.basicAuth = `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`;
    this.http = axios.create({
      baseURL: credentials.baseUrl.origin,
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

  /**
   * Opens a report and returns its body to stream. Status-level failures are retried before the
   * first byte is read; a failure in the middle of the body reaches whoever iterates it.
   */
  openReport(request: ReportRequest): Promise<ReportBody> {
    const call: CallState = { refreshedToken: false };
    return this.withRetries(request.report, () => this.attemptReport(request, call), request.maxAttempts);
  }

  /**
   * A small report read whole by `parse` (a listing, a probe). Its body is read within the call, so
   * a body cut short is asked for again like any retryable failure.
   */
  readReport<T>(request: ReportRequest, parse: (body: AsyncIterable<Buffer>) => Promise<T>): Promise<T> {
    const call: CallState = { refreshedToken: false };
    return this.withRetries(
      request.report,
      async () => {
        const body = await this.attemptReport(request, call);
        try {
          return await parse(body);
        } finally {
          body.destroy();
        }
      },
      request.maxAttempts,
    );
  }

  private async withRetries<T>(
    report: string,
    operation: () => Promise<T>,
    maxAttempts = this.maxAttempts,
  ): Promise<T> {
    let attempts = 0;
    try {
      return await retry(
        () => {
          attempts += 1;
          return operation();
        },
        {
          maxAttempts,
          signal: this.options.signal,
          sleep: (ms, signal) => sleepOn(this.clock, ms, signal),
          delayMs: (attempt, error) => retryDelay(error, attempt, this.backoff, this.maxRetryDelayMs),
          onRetry: (error, attempt, delayMs) =>
            this.options.onRetry?.({ report, attempt, delayMs, reason: retryReason(error) }),
        },
      );
    } catch (error) {
      if (!(error instanceof PraError) || error.attempts !== undefined) throw error;
      const reason = attempts > 1 ? `${error.reason} (after ${attempts} attempts)` : error.reason;
      throw error.with({ reason, attempts });
    }
  }

  /** One reporting attempt, including the single token refresh a call may make after a 401. */
  private async attemptReport(request: ReportRequest, call: CallState): Promise<ReportBody> {
    const { report, shape = 'xml', maxBytes = DEFAULT_MAX_BYTES } = request;
    for (;;) {
      const token = await this.tokens.get();
      const response = await this.reportExchange(request, token);
      const body = new ReportBody(response, {
        report,
        host: this.credentials.baseUrl.host,
        timeoutMs: this.options.timeoutMs,
        maxBytes,
        shape,
        signal: this.options.signal,
        clock: this.clock,
      });
      if (response.status !== 200) body.destroy();
      if (response.status === 401) {
        this.tokens.drop(token);
        if (!call.refreshedToken) {
          call.refreshedToken = true;
          continue;
        }
        throw new PraError(
          'authentication',
          `PRA refused a freshly issued OAuth token (HTTP 401 on ${report}): check that the API account is enabled, that its secret was not regenerated, and that no other collector uses the same API account (PRA keeps at most 30 tokens per account and silently drops the oldest)`,
          { status: 401 },
        );
      }
      if (response.status === 403) {
        throw new PraError(
          'permission',
          `PRA refused the ${report} report (HTTP 403): give the API account the permission '${requiredPermission(report)}', and check that 'Enable XML API' is on (Management > API Configuration)`,
          { status: 403 },
        );
      }
      this.checkStatus(report, response);
      this.checkHeaders(request, response, body, shape, maxBytes);
      return body;
    }
  }

  private reportExchange(request: ReportRequest, token: Token): Promise<AxiosResponse<Readable>> {
    return this.exchange<Readable>(request.report, {
      method: 'POST',
      url: '/api/reporting',
      data: new URLSearchParams({ generate_report: request.report, ...request.params }).toString(),
      headers: {
        Authorization: `Bearer ${token.value}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: request.shape === 'binary' ? '*/*' : 'application/xml',
      },
      responseType: 'stream',
    });
  }

  private checkHeaders(
    request: ReportRequest,
    response: AxiosResponse,
    body: ReportBody,
    shape: BodyShape,
    maxBytes: number,
  ): void {
    const contentType = String(response.headers['content-type'] ?? '');
    const foreign = shape === 'xml' ? /html|json|zip/i : /html|json/i;
    if (foreign.test(contentType)) {
      body.destroy();
      throw new PraError(
        'unexpected_response',
        `PRA answered the ${request.report} report with content-type ${contentType}: check that the base URL is the PRA site and that no proxy or login portal intercepts the call`,
      );
    }
    // A declared length over the cap fails before a byte is read; without one, ReportBody counts.
    if (Number(response.headers['content-length']) > maxBytes) {
      body.destroy();
      throw tooLarge(request.report, maxBytes, this.credentials.baseUrl.host);
    }
  }

  private async requestToken(): Promise<Token> {
    const requestedAt = this.clock.now();
    const response = await this.exchange<string>('token', {
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
    const contentType = String(response.headers['content-type'] ?? '');
    const token = readTokenResponse(response.status, String(response.data ?? ''), contentType, requestedAt);
    if (token !== undefined) {
      // Before anything can log it: the first report call may already meet an `<error>` echoing it.
      this.options.onToken?.(token.value);
      return token;
    }
    this.checkStatus('token', response);
    throw new PraError('http', `the PRA token endpoint answered HTTP ${response.status}`, {
      status: response.status,
    });
  }

  /** Throws for any status but 200: a PraError whose status the retry policy reads. */
  private checkStatus(report: string, response: AxiosResponse): void {
    const failure = statusFailure(report, response.status, response.headers);
    if (failure !== undefined) throw failure;
  }

  /**
   * One rate-limited HTTP attempt with its own timeout up to the response headers (a streamed body
   * is watched by ReportBody). Network failures become transport PraErrors; statuses are left to
   * the caller.
   */
  private async exchange<T>(report: string, config: AxiosRequestConfig): Promise<AxiosResponse<T>> {
    const { signal } = this.options;
    if (!(await this.limiter.acquire(signal))) throw new RetryAbortedError(undefined);
    const controller = new AbortController();
    let timedOut = false;
    const cancelTimer = this.clock.setTimer(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const started = this.clock.now();
    this.attempts += 1;
    const notify = (status: number | 'error'): void =>
      this.options.onRequest?.({ report, status, durationMs: this.clock.now() - started });
    try {
      const response = await this.http.request<T>({ ...config, signal: controller.signal });
      notify(response.status);
      return response;
    } catch (error) {
      notify('error');
      if (signal?.aborted) throw new RetryAbortedError(undefined);
      throw transportFailure(this.credentials.baseUrl, this.options.timeoutMs, report, error, timedOut);
    } finally {
      cancelTimer();
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

function retryReason(error: unknown): string {
  if (!(error instanceof PraError)) return 'unknown';
  if (error.status !== undefined) return `HTTP ${error.status}`;
  return error.timedOut ? 'timeout' : (error.code ?? error.kind);
}
