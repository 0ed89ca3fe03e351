import { ModuleConfigurationError } from '@sekoia/automation-sdk-shim';
import { parseBaseUrl, PraConfigurationError } from './pra-client';

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
    frequencySeconds: args.frequency,
    liveSessions: args.live_sessions,
    firstRunLookbackSeconds: args.first_run_lookback_hours * 3600,
    overlapSeconds: args.overlap_seconds,
    sessionsPerRequest: args.sessions_per_request,
    maxSessionFailures: args.max_session_failures,
    requestTimeoutMs: args.request_timeout * 1000,
    requestsPerSecond: args.requests_per_second,
  };
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
