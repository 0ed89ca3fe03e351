import axios from 'axios';
import { ConfigurationError, SendEventError } from './errors';
import { httpStatus } from './http';
import type { Module } from './module';
import { RetryAbortedError, exponentialBackoff, retry } from './retry';
import { isPlainObject } from './schema';
import type { TriggerTimings } from './timings';

/** Calls to the Sekoia platform itself (callback, logs, secrets), authenticated by the `token` configuration. */

const CALLBACK_ATTEMPTS = 10;
const SECRETS_ATTEMPTS = 10;

/** An optional text configuration item, absent when empty. */
export function optionalText(module: Module, name: string): string | undefined {
  const value = module.loadConfig(name, 'text', true);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `url_logs` / `url_secrets`, else derived from `url_callback` (`/callback` → `/logs`, `/secrets`) as the SDK does. */
export function platformUrl(module: Module, kind: 'logs' | 'secrets' | 'callback'): string | undefined {
  const callback = optionalText(module, 'url_callback');
  if (kind === 'callback') return callback;
  return optionalText(module, `url_${kind}`) ?? callback?.replaceAll('/callback', `/${kind}`);
}

export function platformToken(module: Module): string {
  const token = module.loadConfig('token', 'text');
  if (typeof token !== 'string' || token === '')
    throw new ConfigurationError("Configuration 'token' is empty");
  return token;
}

function requireUrl(module: Module, kind: 'secrets' | 'callback'): string {
  const url = platformUrl(module, kind);
  if (!url) {
    throw new ConfigurationError(
      `No ${kind} URL: set url_${kind}${kind === 'callback' ? '' : ' or url_callback'} (file or environment variable)`,
    );
  }
  return url;
}

/**
 * The SDK's `_send_request`: 10 attempts, a 4xx is final at once, a 5xx or network error waits
 * 2^attempt s (capped by timings) and retries; the last failure is SendEventError(status, or 500 with no response).
 */
export async function callbackRequest(
  module: Module,
  method: 'POST' | 'PATCH',
  body: unknown,
  timings: TriggerTimings,
  signal?: AbortSignal,
): Promise<unknown> {
  const url = requireUrl(module, 'callback');
  const token = platformToken(module);
  const backoff = exponentialBackoff(2000, timings.sendEventRetryMaxDelayMs);
  try {
    const response = await retry(
      () =>
        axios.request({
          method,
          url,
          data: body,
          headers: { Authorization: `Bearer ${token}` },
          timeout: timings.httpTimeoutMs,
        }),
      {
        maxAttempts: CALLBACK_ATTEMPTS,
        delayMs: (attempt, error) => {
          const status = httpStatus(error);
          return status !== undefined && status < 500 ? undefined : backoff(attempt);
        },
        signal,
      },
    );
    return response.data as unknown;
  } catch (error) {
    if (error instanceof RetryAbortedError) throw error;
    throw new SendEventError(httpStatus(error) ?? 500, axios.isAxiosError(error) ? error.message : undefined);
  }
}

/** As the SDK fetches secrets: GET url_secrets with the Bearer token; `body.value`; 10 attempts, waits 1, 2, 4, 8, 10... s. */
export async function fetchSecrets(
  module: Module,
  timings: TriggerTimings,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const url = requireUrl(module, 'secrets');
  const token = platformToken(module);
  const response = await retry(
    () => axios.get(url, { headers: { Authorization: `Bearer ${token}` }, timeout: timings.httpTimeoutMs }),
    {
      maxAttempts: SECRETS_ATTEMPTS,
      delayMs: exponentialBackoff(1000, timings.secretsRetryMaxDelayMs),
      signal,
    },
  );
  const value = isPlainObject(response.data) ? response.data.value : undefined;
  return isPlainObject(value) ? value : {};
}
