/** The URL rules of the PRA side, in one place: what a base URL may be, what a log may show of one. */
import { isLoopbackHost } from '@sekoia/automation-sdk-shim';
import { PraError } from './errors';

/**
 * The tenant origin from a base URL (any path is dropped). https only, with certificate checks;
 * plain http is accepted for loopback hosts alone (simulators and tests).
 */
export function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw configurationError('is not a valid URL (expected https://<tenant>)');
  }
  if (url.username !== '' || url.password !== '') {
    throw configurationError('must not carry credentials');
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw configurationError(
      `must use https (plain http is accepted only for loopback hosts), got http://${url.host}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configurationError(`must use https, got ${url.protocol}//${url.host}`);
  }
  return new URL(url.origin);
}

/** Only the origin and path of a Location header: its query could carry anything. */
export function redirectTarget(location: unknown): string {
  if (typeof location !== 'string') return 'an unknown location';
  try {
    const url = new URL(location, 'https://unknown.invalid');
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'an unreadable location';
  }
}

function configurationError(problem: string): PraError {
  return new PraError('configuration', `the PRA base URL ${problem}`);
}
