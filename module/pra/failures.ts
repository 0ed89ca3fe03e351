/**
 * How an HTTP outcome becomes a PraError, and which PraErrors are worth another attempt within one
 * call: the retry and blame decisions read the fields set here (kind, status, Retry-After, timeout,
 * network code), nothing else.
 */
import type { AxiosResponse } from 'axios';
import { errorCode } from './body';
import { PraError } from './errors';
import { redirectTarget } from './url';

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
/** A wrong hostname rarely starts resolving a second later; one retry covers a DNS hiccup. */
const MAX_DNS_ATTEMPTS = 2;

/**
 * The wait before attempt `attempt + 1`, or undefined when `error` is final. 429 and 5xx are
 * retried, honouring Retry-After; so are resets, timeouts and bodies cut short. TLS failures,
 * refusals and other statuses are not: another attempt would meet the same answer.
 */
export function retryDelay(
  error: unknown,
  attempt: number,
  backoff: (attempt: number) => number,
  maxDelayMs: number,
): number | undefined {
  if (!(error instanceof PraError) || error.attempts !== undefined) return undefined;
  if (error.kind === 'http') {
    const status = error.status ?? 0;
    if (status !== 429 && status < 500) return undefined;
    return error.retryAfterMs === undefined ? backoff(attempt) : Math.min(error.retryAfterMs, maxDelayMs);
  }
  if (error.kind !== 'transport') return undefined;
  if (error.code !== undefined && DNS_CODES.has(error.code)) {
    return attempt < MAX_DNS_ATTEMPTS ? backoff(attempt) : undefined;
  }
  const retryable = error.timedOut || error.code === undefined || RETRYABLE_NETWORK_CODES.has(error.code);
  return retryable ? backoff(attempt) : undefined;
}

/** The failure a status other than 200 stands for, undefined for 200. */
export function statusFailure(
  report: string,
  status: number,
  headers: AxiosResponse['headers'],
): PraError | undefined {
  if (status === 200) return undefined;
  const call = report === 'token' ? 'the token call' : `the ${report} call`;
  if (status === 429 || status >= 500) {
    return new PraError('http', `PRA answered HTTP ${status} to ${call}`, {
      status,
      retryAfterMs: parseRetryAfter(headers['retry-after']),
    });
  }
  const hint =
    status >= 300 && status < 400
      ? `a redirect to ${redirectTarget(headers.location)}: check that the base URL is the PRA site itself`
      : status === 404
        ? 'not found: check that the base URL is the PRA site'
        : status >= 400
          ? 'the request was refused'
          : 'an answer this client does not handle';
  return new PraError('http', `PRA answered HTTP ${status} to ${call}, ${hint}`, { status });
}

/** No usable answer to a call on `report` ('token' for the token endpoint). */
export function transportFailure(
  baseUrl: URL,
  timeoutMs: number,
  report: string,
  error: unknown,
  timedOut: boolean,
): PraError {
  const { host, hostname } = baseUrl;
  const what = report === 'token' ? 'the token endpoint' : `the ${report} report`;
  if (timedOut) {
    return new PraError('transport', `PRA at ${host} did not answer ${what} within ${timeoutMs} ms`, {
      code: 'ETIMEDOUT',
      timedOut: true,
    });
  }
  const code = errorCode(error);
  if (code !== undefined && DNS_CODES.has(code)) {
    return new PraError(
      'transport',
      `cannot resolve host ${hostname} (${code}): check the base URL and the DNS of this host`,
      { code },
    );
  }
  if (code !== undefined) {
    const tls = tlsFailure(baseUrl, code, error);
    if (tls !== undefined) return tls;
  }
  const detail = code ?? (error instanceof Error ? error.message : 'unknown error');
  return new PraError('transport', `the connection to ${host} failed on ${what} (${detail})`, { code });
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * What OpenSSL says when the first bytes back are not a TLS record (`wrong version number`; newer
 * releases may say `packet length too long`): the port speaks something else, plain HTTP mostly.
 */
const NOT_TLS = /wrong[ _]version[ _]number|packet[ _]length[ _]too[ _]long/i;

/**
 * A failure of TLS itself, told apart by what it asks the operator to fix: a server that does not
 * speak TLS on that port (a scheme or port mistake), a certificate that cannot be verified (the CA
 * store, a TLS-intercepting proxy), or a handshake that failed otherwise (protocol versions,
 * ciphers). Undefined for failures that are not TLS.
 */
function tlsFailure(baseUrl: URL, code: string, error: unknown): PraError | undefined {
  const { host, hostname } = baseUrl;
  const endpoint = `${hostname}:${baseUrl.port || '443'}`;
  if (NOT_TLS.test(code) || (code === 'EPROTO' && NOT_TLS.test(errorMessages(error)))) {
    return new PraError(
      'transport',
      `the server at ${endpoint} answered in plain HTTP (or another protocol), not TLS (${code}): check the scheme and port of the base URL`,
      { code },
    );
  }
  if (
    /^(CERT_|UNABLE_TO_|ERR_TLS_CERT)/.test(code) ||
    code.includes('SELF_SIGNED') ||
    code === 'HOSTNAME_MISMATCH'
  ) {
    return new PraError(
      'transport',
      `TLS certificate verification failed for ${host} (${code}): check the base URL, the system CA store and any TLS-intercepting proxy`,
      { code },
    );
  }
  if (code === 'EPROTO' || /^(ERR_TLS_|ERR_SSL_)/.test(code)) {
    return new PraError(
      'transport',
      `the TLS handshake with ${endpoint} failed (${code}): check that this port serves HTTPS, and the TLS versions and ciphers a proxy in between accepts`,
      { code },
    );
  }
  return undefined;
}

/** The messages of an error and of its causes: where OpenSSL's reason is written. */
function errorMessages(error: unknown): string {
  const messages: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    messages.push(current.message);
    current = current.cause;
  }
  return messages.join(' ');
}
