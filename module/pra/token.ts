/** The OAuth client-credentials token: one at a time, reused until shortly before it expires. */
import { PraError } from './errors';

export interface Token {
  value: string;
  /** The client clock's time after which a new one is asked for. */
  renewAt: number;
}

const INVALID_CLIENT_MESSAGE =
  'PRA rejected the OAuth client credentials (invalid_client): check the client id and secret of the API account, that the account is enabled, and that the secret was not regenerated';

/**
 * Hands out the current token, asking for a new one only when needed. PRA keeps at most 30 valid
 * tokens per API account and silently drops the oldest when a 31st is issued, so concurrent callers
 * share one request and a token is never asked for just in case.
 */
export class TokenSource {
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;

  constructor(
    private readonly requestToken: () => Promise<Token>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<Token> {
    if (this.token !== undefined && this.now() < this.token.renewAt) return Promise.resolve(this.token);
    this.pending ??= this.requestToken()
      .then((token) => {
        this.token = token;
        return token;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** PRA refused `token` (evicted, expired early, secret rotated): the next get() asks for a new one. */
  drop(token: Token): void {
    if (this.token === token) this.token = undefined;
  }
}

/**
 * Reads the token endpoint's answer. `requestedAt` is when the request left, so that the lifetime
 * counts from before any network delay.
 */
export function readTokenResponse(
  status: number,
  body: string,
  contentType: string,
  requestedAt: number,
): Token | undefined {
  const json = parseJsonObject(body);
  if (status === 401 || (status === 400 && json?.error === 'invalid_client')) {
    throw new PraError('authentication', INVALID_CLIENT_MESSAGE, { status });
  }
  if (status !== 200) return undefined;
  const accessToken = json?.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new PraError(
      'unexpected_response',
      `the PRA token endpoint answered HTTP ${status} (content-type ${contentType || 'none'}) without an access_token: check that the base URL is the PRA site`,
      { status },
    );
  }
  // Some servers send the lifetime as a string; a missing or odd one means the documented hour.
  const declared = Number(json?.expires_in);
  const expiresIn = Number.isFinite(declared) && declared > 0 ? declared : 3600;
  // Renew 5 minutes early, or at half-life for short-lived tokens, so no call races the expiry.
  const lifetimeMs = (expiresIn > 600 ? expiresIn - 300 : expiresIn / 2) * 1000;
  return { value: accessToken, renewAt: requestedAt + lifetimeMs };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
