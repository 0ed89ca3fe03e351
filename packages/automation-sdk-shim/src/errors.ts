/**
 * Every error the shim raises has its own class so that the run loop can classify it (configuration errors are critical at once) and
 * callers can react without parsing messages. Messages name files, env vars and fields, never values.
 */

/** Configuration missing or unreadable. The subclasses are the contract's two validation errors. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** `module_configuration` does not match the manifest's `configuration` schema. */
export class ModuleConfigurationError extends ConfigurationError {}

/** `connector_configuration`/`trigger_configuration` does not match the item JSON's `arguments` schema. */
export class TriggerConfigurationError extends ConfigurationError {}

export class CommandNotFoundError extends Error {
  constructor(readonly command: string) {
    super(`Could not find any Action or Trigger matching command '${command}'`);
    this.name = 'CommandNotFoundError';
  }
}

/** A playbook event could not be delivered to the callback URL. `status` is 500 when there was no response. */
export class SendEventError extends Error {
  constructor(
    readonly status: number,
    detail?: string,
  ) {
    super(`Failed to send the event to the callback URL (status ${status})${detail ? `: ${detail}` : ''}`);
    this.name = 'SendEventError';
  }
}

export class StateFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`State file ${path}: ${reason}`);
    this.name = 'StateFileError';
  }
}

export class IntakePushError extends Error {
  constructor(
    message: string,
    /** True when the push stopped because of the caller's signal or stop(), not because the intake failed. */
    readonly aborted: boolean,
    /** Last HTTP status seen from the intake, if any. */
    readonly status?: number,
    /** Ids returned by the chunks that were accepted before the failure, in chunk order. */
    readonly eventIds: string[] = [],
  ) {
    super(message);
    this.name = 'IntakePushError';
  }
}

/** The text the contract uses for an exception in logs: `ClassName: message`. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name || error.constructor.name}: ${error.message}`;
  return String(error);
}
