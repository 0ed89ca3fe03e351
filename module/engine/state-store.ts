/**
 * Where a feed's state lives between cycles and across restarts: `context.json` in the data
 * directory, the file the Python SDK's checkpoints use, written atomically (temp file, fsync,
 * rename) by the shim's JsonStateFile.
 */
import fs from 'node:fs';
import path from 'node:path';
import { JsonStateFile, StateFileError } from '@sekoia/automation-sdk-shim';

/** A saved state that is valid JSON but not a state this module can use. */
export class StateFormatError extends Error {
  constructor(file: string, reason: string) {
    super(
      `The collection state ${file} is not usable (${reason}). Move it away to start again from the ` +
        'configured look-back window; events already forwarded in that window will then be sent again.',
    );
    this.name = 'StateFormatError';
  }
}

/** An unusable state that could not be moved aside either: collecting now would lose the saved progress for good. */
export class StateUnusableError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    moveFailure: string,
  ) {
    super(
      `${problem.replace(/\.?$/, '.')} It could not be moved aside either (${moveFailure}). Make the data directory ` +
        `${path.dirname(file)} writable by the collector, or move ${file} away yourself.`,
    );
    this.name = 'StateUnusableError';
  }
}

const STATE_FILE_NAME = 'context.json';
/**
 * The states this module writes stay small by design (bounded windows, overlaps, tracked sets): a
 * file this large was not written by it, and parsing it would take seconds and much of the heap.
 */
const MAX_STATE_BYTES = 64 * 1024 * 1024;

/** A JSON object (not an array, not null): what a saved state and each of its maps must be. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface StateStoreOptions {
  /** Masks the secrets in a text: the trigger's masking, as for its logs. */
  mask?: (text: string) => string;
  /** Wall clock in ms, for the name of a file moved aside. */
  now?: () => number;
}

export class StateStore {
  private readonly file: JsonStateFile<unknown>;
  private readonly mask: (text: string) => string;
  private readonly now: () => number;

  constructor(dataDir: string, options: StateStoreOptions = {}) {
    this.file = new JsonStateFile(path.join(dataDir, STATE_FILE_NAME), { maxBytes: MAX_STATE_BYTES });
    this.mask = options.mask ?? ((text) => text);
    this.now = options.now ?? Date.now;
  }

  get path(): string {
    return this.file.path;
  }

  /**
   * The feed's state from the file, or a fresh one (`open(undefined)`) on a first start. An
   * unreadable state must not stop collection for good: it is moved aside for inspection and
   * `onUnreadable` says what that costs, then collection starts again from the look-back window.
   * Throws StateUnusableError when it cannot be moved aside.
   */
  load<S>(open: (saved: unknown) => S, onUnreadable: (problem: Error, movedTo: string) => void): S {
    try {
      return open(this.file.read());
    } catch (error) {
      if (!(error instanceof StateFileError || error instanceof StateFormatError)) throw error;
      const aside = this.moveAside(error);
      onUnreadable(error, aside);
      return open(undefined);
    }
  }

  /** Every string of the state goes through the mask: an error text kept in it may echo a secret. */
  save(state: { toJSON(): unknown }): void {
    this.file.writeText(this.serialize(state.toJSON()));
  }

  /**
   * The JSON text, each string masked. Saved after every push, so the usual case is kept cheap: a
   * text without any escape holds each of its strings verbatim, and if masking it whole changes
   * nothing, none of them holds a secret. Otherwise each string value is masked on its own (masking
   * the text would miss a secret JSON escapes, and could cut through its structure).
   */
  private serialize(value: unknown): string {
    const text = JSON.stringify(value);
    if (!text.includes('\\') && this.mask(text) === text) return text;
    return JSON.stringify(value, (_key, item: unknown) =>
      typeof item === 'string' ? this.mask(item) : item,
    );
  }

  private moveAside(problem: Error): string {
    const aside = `${this.file.path}.unreadable-${this.now()}`;
    try {
      fs.renameSync(this.file.path, aside);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new StateUnusableError(this.file.path, problem.message, code);
    }
    return aside;
  }
}
