/**
 * The configuration, read once at the edge into typed objects. The shim has already validated the
 * module configuration and the trigger's arguments against their JSON schemas (manifest.json and
 * triggers/*.json) and filled in the defaults; what is left is to give them types, plus the rules a
 * schema cannot express. A feed adds an argument in its JSON file and in its one configure function.
 */
import { ModuleConfigurationError, TriggerConfigurationError } from '@sekoia/automation-sdk-shim';
import type { PraCredentials } from './pra/client';
import { PraError } from './pra/errors';
import { parseBaseUrl } from './pra/url';

/** What every feed's collection needs. */
export interface CollectionConfig {
  credentials: PraCredentials;
  frequencySeconds: number;
  /** How far back the very first start collects. */
  firstRunLookbackSeconds: number;
  /** How far each request looks back before what was already collected (late data, clock drift). */
  overlapSeconds: number;
  requestTimeoutMs: number;
  requestsPerSecond: number;
  /** This trigger's share of the API account's hourly budget. */
  requestsPerHour: number;
}

/**
 * The typed view of a trigger's arguments. The schema's defaults and bounds reach the arguments
 * only if the shim found the item's JSON; without it a missing number would silently become NaN
 * (and a batch size of NaN an endless loop over empty batches), so its absence is a configuration
 * error that names the file.
 */
export class ArgumentReader {
  constructor(
    private readonly args: Readonly<Record<string, unknown>>,
    /** The trigger's docker_parameters, which names its JSON file. */
    private readonly item: string,
  ) {}

  number(key: string): number {
    const value = this.args[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.missing(key);
    return value;
  }

  boolean(key: string): boolean {
    const value = this.args[key];
    if (typeof value !== 'boolean') throw this.missing(key);
    return value;
  }

  private missing(key: string): TriggerConfigurationError {
    return new TriggerConfigurationError(
      `Trigger configuration is invalid: ${key} is missing or of the wrong type; check that ` +
        `triggers/${this.item}.json is deployed with the module (it supplies the defaults)`,
    );
  }
}

/** The account: the PRA tenant and its API client, from the module configuration. */
export function praCredentials(moduleConfiguration: Readonly<Record<string, unknown>>): PraCredentials {
  return {
    baseUrl: baseUrl(requiredText(moduleConfiguration, 'base_url')),
    clientId: requiredText(moduleConfiguration, 'client_id'),
    clientSecret: requiredText(moduleConfiguration, 'client_secret'),
  };
}

/** The arguments every trigger has; `overlapSeconds` and `requestsPerSecond` for those that expose them. */
export function collectionConfig(
  credentials: PraCredentials,
  args: ArgumentReader,
  fixed: Partial<Pick<CollectionConfig, 'overlapSeconds' | 'requestsPerSecond'>> = {},
): CollectionConfig {
  return {
    credentials,
    frequencySeconds: args.number('frequency'),
    firstRunLookbackSeconds: args.number('first_run_lookback_hours') * 3600,
    overlapSeconds: fixed.overlapSeconds ?? args.number('overlap_seconds'),
    requestTimeoutMs: args.number('request_timeout') * 1000,
    requestsPerSecond: fixed.requestsPerSecond ?? args.number('requests_per_second'),
    requestsPerHour: args.number('max_requests_per_hour'),
  };
}

function requiredText(configuration: Readonly<Record<string, unknown>>, key: string): string {
  const value = configuration[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ModuleConfigurationError(`${key} is required and must be a non-empty string`);
  }
  return value.trim();
}

/** The client's URL rules, reported as the configuration error the runtime knows how to show. */
function baseUrl(value: string): URL {
  try {
    return parseBaseUrl(value);
  } catch (error) {
    if (error instanceof PraError) throw new ModuleConfigurationError(`base_url: ${error.message}`);
    throw error;
  }
}
