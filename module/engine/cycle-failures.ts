/**
 * How a cycle that failed is told: counted by kind, and logged at the level its cause deserves.
 * A cause that lasts and that nothing on this side can fix (a report the appliance does not have,
 * an hourly budget spent by other clients of the API account) is said once, not every cycle, and
 * its end is said too: the trigger keeps trying at its usual pace meanwhile.
 */
import { IntakePushError, StateFileError, type LogLevel } from '@sekoia/automation-sdk-shim';
import { PraError } from '../pra/errors';
import type { CollectorMetrics, ErrorKind } from './metrics';
import { StateFormatError } from './state-store';

interface Lasting {
  key: string;
  message: string;
  level: LogLevel;
  /** Said when a cycle succeeds again. */
  over: string;
}

export class CycleFailures {
  private lasting: Lasting | undefined;

  constructor(
    private readonly log: (message: string, level: LogLevel) => void,
    private readonly metrics: CollectorMetrics,
  ) {}

  failed(error: unknown): void {
    const kind = errorKind(error);
    this.metrics.errors.inc({ kind });
    const message = error instanceof Error ? error.message : String(error);
    const lasting = lastingCause(error, message);
    if (lasting !== undefined) {
      if (lasting.key !== this.lasting?.key) this.log(lasting.message, lasting.level);
      this.lasting = lasting;
    } else if (kind === 'authentication' || kind === 'permission') {
      // The shim sends only the first critical; later ones arrive as errors, muted for 60 s.
      this.log(message, 'critical');
    } else if (kind === 'intake') {
      this.log(`Events could not be delivered to the intake, they will be sent again: ${message}`, 'error');
    } else {
      this.log(`Collection cycle failed, retrying next cycle: ${message}`, 'error');
    }
  }

  succeeded(): void {
    if (this.lasting !== undefined) this.log(this.lasting.over, 'info');
    this.lasting = undefined;
  }
}

function lastingCause(error: unknown, message: string): Lasting | undefined {
  if (!(error instanceof PraError)) return undefined;
  if (error.kind === 'unavailable') {
    return {
      key: `unavailable:${error.reason}`,
      message: `${message}. Nothing is charged for it; the trigger keeps asking every cycle, so an upgrade of the appliance is picked up.`,
      level: 'error',
      over: 'The report answers again: collection goes on where it stopped',
    };
  }
  if (error.status === 429) {
    return {
      key: 'http:429',
      message:
        `PRA keeps answering HTTP 429 (too many requests): the request budget of the API account, which ` +
        'every client of that account shares (third parties put it at 15,000 requests an hour, all ' +
        'endpoints), is probably spent elsewhere. Nothing is charged or set aside; collection resumes ' +
        `where it stopped when PRA answers again. (${message})`,
      level: 'warning',
      over: 'PRA answers again after its HTTP 429s: collection goes on where it stopped',
    };
  }
  return undefined;
}

export function errorKind(error: unknown): ErrorKind {
  if (error instanceof PraError) return error.kind;
  if (error instanceof IntakePushError) return 'intake';
  if (error instanceof StateFileError || error instanceof StateFormatError) return 'state';
  return 'other';
}
