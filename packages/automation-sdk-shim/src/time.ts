/**
 * Naive UTC ISO timestamps as the Python SDK writes them in logs and health:
 * no zone suffix, microseconds left out when they are zero. JS clocks have millisecond precision.
 */
export function naiveUtcIso(date: Date = new Date()): string {
  const base = date.toISOString().slice(0, 19);
  const ms = date.getUTCMilliseconds();
  return ms === 0 ? base : `${base}.${String(ms * 1000).padStart(6, '0')}`;
}
