import type * as winston from 'winston';
import { describeError } from './errors';
import { type LogLevel, createStdoutLogger } from './logs';
import type { Module } from './module';
import { callbackRequest } from './platform';
import { isPlainObject } from './schema';
import { type TriggerOptions, type TriggerTimings, resolveTimings } from './timings';

/**
 * The credential check run as `validate_module_configuration`: PATCH running (the reply may carry the
 * secrets), validate(), PATCH finished with `results.success` and the error text if any.
 */
export abstract class AccountValidator {
  readonly module: Module;
  readonly name: string;
  readonly logger: winston.Logger;
  /** 1 when the platform could not be told the result; a failed validation is still a successful run. */
  exitCode = 0;
  protected readonly timings: TriggerTimings;
  /** Details of the check sent with `success` in the final PATCH's `results` (masked). */
  protected readonly details: Record<string, unknown> = {};
  private errorMessage: string | undefined;

  constructor(module: Module, name: string, options?: TriggerOptions) {
    this.module = module;
    this.name = name;
    this.timings = resolveTimings(options);
    this.logger = createStdoutLogger(name, module.masker, options?.logStream);
  }

  /** To stdout only: the validation outcome reaches the platform through the final PATCH. */
  log(message: string, level: LogLevel = 'info'): void {
    this.logger.log(level, message);
  }

  /** Records the error text reported in the final PATCH (masked). */
  error(message: string): void {
    this.errorMessage = this.module.masker.mask(message);
    this.log(message, 'error');
  }

  abstract validate(): Promise<boolean>;

  async execute(): Promise<void> {
    try {
      const reply = await callbackRequest(this.module, 'PATCH', { status: 'running' }, this.timings);
      const success = await this.validateSafely(reply);
      await callbackRequest(
        this.module,
        'PATCH',
        {
          status: 'finished',
          results: { ...(this.module.masker.maskValues(this.details) as Record<string, unknown>), success },
          ...(this.errorMessage !== undefined ? { error: this.errorMessage } : {}),
        },
        this.timings,
      );
    } catch (error) {
      this.logger.error(`Could not report the validation to the platform: ${describeError(error)}`);
      this.exitCode = 1;
    }
  }

  private async validateSafely(reply: unknown): Promise<boolean> {
    try {
      const moduleConfiguration = isPlainObject(reply) ? reply.module_configuration : undefined;
      const secrets = isPlainObject(moduleConfiguration) ? moduleConfiguration.value : undefined;
      this.module.setSecrets(isPlainObject(secrets) ? secrets : {});
      return await this.validate();
    } catch (error) {
      this.error(describeError(error));
      return false;
    }
  }
}
