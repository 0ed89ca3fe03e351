/**
 * Errors of the PRA side. Each says what to check; none carries a secret. The trigger decides
 * from the class whether a failure belongs to one session (retry it, then set it aside) or to the
 * whole tenant (stop the cycle, keep every session's state).
 */

export abstract class PraError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The token endpoint refused the client id/secret, or a fresh token was refused again. */
export class PraAuthenticationError extends PraError {}

/** The API account is authenticated but may not run reports (HTTP 403). */
export class PraPermissionError extends PraError {}

/** HTTP 200 with an `<error>` element that is not the documented "no data" reply. */
export class PraApiError extends PraError {
  constructor(readonly apiMessage: string) {
    super(`PRA reporting API answered with an error: ${apiMessage}`);
  }
}

/** A non-2xx status that retries did not cure (429, 5xx, or an unexpected 4xx). */
export class PraHttpError extends PraError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** No usable HTTP answer: DNS, refused connection, TLS, reset, or timeout. */
export class PraTransportError extends PraError {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

/** The report body is not the XML we expect; line and column are 1-based. */
export class ReportParseError extends PraError {
  constructor(
    /** What is wrong, without the position. */
    readonly reason: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line === undefined ? reason : `${reason} (line ${line}, column ${column})`);
  }
}
