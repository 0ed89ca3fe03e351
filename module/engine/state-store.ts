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

const STATE_FILE_NAME = 'context.json';

/** A JSON object (not an array, not null): what a saved state and each of its maps must be. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class StateStore {
  private readonly file: JsonStateFile<unknown>;

  constructor(dataDir: string) {
    this.file = new JsonStateFile(path.join(dataDir, STATE_FILE_NAME));
  }

  get path(): string {
    return this.file.path;
  }

  /**
   * The feed's state from the file, or a fresh one (`open(undefined)`) on a first start. An
   * unreadable state must not stop collection for good: it is moved aside for inspection and
   * `onUnreadable` says what that costs, then collection starts again from the look-back window.
   */
  load<S>(open: (saved: unknown) => S, onUnreadable: (problem: Error, movedTo: string) => void): S {
    try {
      return open(this.file.read());
    } catch (error) {
      if (!(error instanceof StateFileError || error instanceof StateFormatError)) throw error;
      const aside = `${this.file.path}.unreadable-${Date.now()}`;
      fs.renameSync(this.file.path, aside);
      onUnreadable(error, aside);
      return open(undefined);
    }
  }

  save(state: { toJSON(): unknown }): void {
    this.file.write(state.toJSON());
  }
}
