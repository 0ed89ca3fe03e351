/**
 * The Python SDK's checkpoint in context.json: `most_recent_date_seen`, an ISO 8601 date with
 * `+00:00`. Every Python connector of this module keeps one (a CheckpointTimestamp in seconds), so
 * every feed reads it to take over where the Python connector stopped, and keeps it written, so the
 * file stays meaningful to the Python SDK.
 */
import { describe, own } from './saved-fields';
import type { StateNotices } from './state-notices';

export const PYTHON_CHECKPOINT_KEY = 'most_recent_date_seen';

/**
 * What the Python SDK writes (`datetime.isoformat()`): seconds, optional fraction, optional offset.
 * Stricter than Date.parse, which also takes "5" or "May 2020" and reads a date without an offset as
 * local time.
 */
const ISO_DATE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:\d{2})?$/;

/** ISO 8601 with `+00:00`, the form the Python SDK writes for checkpoints. */
export function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/**
 * The Python checkpoint's time in unix seconds, or undefined when there is none. One that is there
 * but is no date is reported to `notices` (naming `instead`, what is used in its place).
 */
export function pythonCheckpoint(
  saved: Readonly<Record<string, unknown>>,
  notices?: StateNotices,
  instead = 'collection starts from the configured look-back window',
): number | undefined {
  const value = own(saved, PYTHON_CHECKPOINT_KEY);
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? ISO_DATE.exec(value) : null;
  const parsed = match ? Date.parse(`${match[1]}${match[2] ?? 'Z'}`) : Number.NaN;
  if (Number.isNaN(parsed)) {
    notices?.error(`${PYTHON_CHECKPOINT_KEY} is not an ISO 8601 date (${describe(value)}): ${instead}.`);
    return undefined;
  }
  return Math.floor(parsed / 1000);
}
