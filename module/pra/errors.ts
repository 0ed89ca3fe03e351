/**
 * The one error type of the PRA side. A failure carries what the callers decide on: its kind (for
 * the log and the metrics), whom it blames, and its retry information. Each message says what to
 * check; none carries the secret, a token or an Authorization header.
 */

export type PraErrorKind =
  /** The options cannot work: bad base URL, plain http to a remote host. */
  | 'configuration'
  /** The token endpoint refused the client id/secret, or a fresh token was refused again. */
  | 'authentication'
  /** Authenticated, but the API account may not run this report (HTTP 403). */
  | 'permission'
  /** HTTP 200 with an `<error>` element that is not a "no data" reply. */
  | 'api'
  /**
   * The appliance has no such report (HTTP 404 on it, or the `<error>` it gives a report name it
   * does not know): nothing of the request is at fault, and retrying later picks up an upgrade.
   */
  | 'unavailable'
  /** A status that retries did not cure (429, 5xx) or an unexpected one (404, a redirect...). */
  | 'http'
  /** No usable HTTP answer: DNS, refused connection, TLS, reset, timeout. */
  | 'transport'
  /** The report body is not the XML (or ZIP) expected. */
  | 'parse'
  /** HTTP 200 with something the API never serves: an HTML login page, JSON, an empty body. */
  | 'unexpected_response'
  /** A body over the size cap of its report. */
  | 'too_large';

/**
 * `request`: what was asked for may be at fault (one session, one window): the caller checks that
 * PRA itself answers, then narrows the request down. `tenant`: nothing of the request is to blame
 * (credentials, permissions, rate limiting, PRA down): the cycle stops and no item is charged.
 */
export type Blame = 'request' | 'tenant';

export interface PraErrorDetails {
  blame?: Blame;
  /** The HTTP status, when there was one. */
  status?: number;
  /** What Retry-After asked for, in milliseconds. */
  retryAfterMs?: number;
  /** The call or a pause in its body outlasted the timeout. */
  timedOut?: boolean;
  /** Node's network error code (ECONNRESET, ENOTFOUND, CERT_HAS_EXPIRED...). */
  code?: string;
  /**
   * The attempts a call already made before giving up with this error. Set, it means the retries
   * are spent: a caller around that call (a report call around its token call) must not retry it.
   */
  attempts?: number;
  /** A parse error's position, 1-based. */
  line?: number;
  column?: number;
  /** An 'api' error's `<error>` text as PRA worded it, for telling its meaning by comparison. */
  apiMessage?: string;
  /** The failure underneath (a network error), kept for its stack. */
  cause?: unknown;
}

/** Kinds that say nothing about the items asked for. */
const TENANT_KINDS: ReadonlySet<PraErrorKind> = new Set([
  'configuration',
  'authentication',
  'permission',
  'unavailable',
]);

export class PraError extends Error {
  readonly kind: PraErrorKind;
  readonly blame: Blame;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly timedOut: boolean;
  readonly code: string | undefined;
  readonly attempts: number | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly apiMessage: string | undefined;
  /** The message without the position, for a parse error. */
  readonly reason: string;

  constructor(kind: PraErrorKind, reason: string, details: PraErrorDetails = {}) {
    const { line, column } = details;
    super(
      line === undefined ? reason : `${reason} (line ${line}, column ${column})`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = 'PraError';
    this.kind = kind;
    this.reason = reason;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.timedOut = details.timedOut ?? false;
    this.code = details.code;
    this.attempts = details.attempts;
    this.line = line;
    this.column = column;
    this.apiMessage = details.apiMessage;
    // A 429 is PRA asking every request to slow down, not a fault of the one that got it.
    this.blame = details.blame ?? (TENANT_KINDS.has(kind) || details.status === 429 ? 'tenant' : 'request');
  }

  /** The same failure with another message or blame, e.g. once a probe showed PRA itself is down. */
  with(changes: { kind?: PraErrorKind; reason?: string; blame?: Blame; attempts?: number }): PraError {
    return new PraError(changes.kind ?? this.kind, changes.reason ?? this.reason, {
      // Another kind has its own blame, unless one is given.
      blame: changes.blame ?? (changes.kind === undefined ? this.blame : undefined),
      status: this.status,
      retryAfterMs: this.retryAfterMs,
      timedOut: this.timedOut,
      code: this.code,
      attempts: changes.attempts ?? this.attempts,
      line: this.line,
      column: this.column,
      apiMessage: this.apiMessage,
      cause: this.cause,
    });
  }
}

/** PRA's `<error>` text that is not a "no data" reply. */
export function apiError(apiMessage: string): PraError {
  return new PraError('api', `PRA reporting API answered with an error: ${apiMessage}`, { apiMessage });
}

/** A report body that is not what its parser expects; the position is added where it is known. */
export function parseError(reason: string, line?: number, column?: number): PraError {
  return new PraError('parse', reason, { line, column });
}
