import { ModuleConfigurationError, TriggerConfigurationError } from '@sekoia/automation-sdk-shim';
import { parseBaseUrl, PraConfigurationError } from './pra/client';

/** `arguments` of triggers/pull_pra_sessions.json, after the shim applied the schema defaults. */
export interface PullPraSessionsArguments {
  intake_key: string;
  intake_server?: string | null;
  frequency: number;
  live_sessions: boolean;
  first_run_lookback_hours: number;
  overlap_seconds: number;
  sessions_per_request: number;
  max_session_failures: number;
  request_timeout: number;
  requests_per_second: number;
}

/** How to reach the PRA tenant: the module configuration (the "account" in the Sekoia UI). */
export interface PraAccessConfig {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

/** Everything the collection needs, typed and checked once, at the edge. */
export interface CollectorConfig extends PraAccessConfig {
  frequencySeconds: number;
  liveSessions: boolean;
  firstRunLookbackSeconds: number;
  overlapSeconds: number;
  sessionsPerRequest: number;
  maxSessionFailures: number;
  requestTimeoutMs: number;
  requestsPerSecond: number;
}

/** The checks JSON schema cannot express. The schemas themselves were applied by the shim. */
export function praAccessConfig(moduleConfiguration: Record<string, unknown>): PraAccessConfig {
  const baseUrl = requiredText(moduleConfiguration, 'base_url');
  assertSecureUrl(baseUrl);
  return {
    baseUrl,
    clientId: requiredText(moduleConfiguration, 'client_id'),
    clientSecret: requiredText(moduleConfiguration, 'client_secret'),
  };
}

/** The typed configuration of a collection: the PRA access, plus the arguments as the schema left them. */
export function collectorConfig(
  moduleConfiguration: Record<string, unknown>,
  args: PullPraSessionsArguments,
): CollectorConfig {
  const access = praAccessConfig(moduleConfiguration);
  return {
    ...access,
    frequencySeconds: numberArgument(args, 'frequency'),
    liveSessions: booleanArgument(args, 'live_sessions'),
    firstRunLookbackSeconds: numberArgument(args, 'first_run_lookback_hours') * 3600,
    overlapSeconds: numberArgument(args, 'overlap_seconds'),
    sessionsPerRequest: numberArgument(args, 'sessions_per_request'),
    maxSessionFailures: numberArgument(args, 'max_session_failures'),
    requestTimeoutMs: numberArgument(args, 'request_timeout') * 1000,
    requestsPerSecond: numberArgument(args, 'requests_per_second'),
  };
}

/**
 * The schema's defaults and bounds reach the arguments only if the shim found the item's JSON.
 * Without it, a missing number would silently become NaN (and, for sessions_per_request, an
 * endless loop over empty batches), so its absence is a configuration error.
 */
function numberArgument(args: PullPraSessionsArguments, key: keyof PullPraSessionsArguments): number {
  const value = args[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw missingArgument(key);
  return value;
}

function booleanArgument(args: PullPraSessionsArguments, key: keyof PullPraSessionsArguments): boolean {
  const value = args[key];
  if (typeof value !== 'boolean') throw missingArgument(key);
  return value;
}

function missingArgument(key: string): TriggerConfigurationError {
  return new TriggerConfigurationError(
    `Trigger configuration is invalid: ${key} is missing or of the wrong type; check that ` +
      'triggers/pull_pra_sessions.json is deployed with the module (it supplies the defaults)',
  );
}

function requiredText(configuration: Record<string, unknown>, key: string): string {
  const value = configuration[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ModuleConfigurationError(`${key} is required and must be a non-empty string`);
  }
  return value.trim();
}

/** The client's own URL rules, reported as the configuration error the runtime knows how to show. */
function assertSecureUrl(value: string): void {
  try {
    parseBaseUrl(value);
  } catch (error) {
    if (error instanceof PraConfigurationError)
      throw new ModuleConfigurationError(`base_url: ${error.message}`);
    throw error;
  }
}
