/**
 * The Python SDK's checkpoint in context.json: `most_recent_date_seen`, an ISO 8601 date with
 * `+00:00`. Every Python connector of this module keeps one (a CheckpointTimestamp in seconds), so
 * every feed reads it to take over where the Python connector stopped, and keeps it written, so the
 * file stays meaningful to the Python SDK.
 */

/** ISO 8601 with `+00:00`, the form the Python SDK writes for checkpoints. */
export function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** The Python checkpoint's time in unix seconds, or undefined when there is none or it is unreadable. */
export function pythonCheckpoint(saved: Readonly<Record<string, unknown>>): number | undefined {
  const value = saved.most_recent_date_seen;
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? undefined : Math.floor(parsed / 1000);
}
