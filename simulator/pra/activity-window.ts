/**
 * Time windows of the VaultAccountActivity and Team reports. PRA documents `start_*` as activity that
 * began at or after the time and `end_*` as activity that ended at or after it; for single-instant
 * events the difference is unknown, so both select on the event time, the bound inclusive.
 */
import type { Rng } from './data';
import { parseWindow } from './query';

/** The window a request asked for, echoed in the report's `start_time` / `end_time`. */
export interface ActivityWindow {
  from: number;
  /** Inclusive; `now` at request time for `duration=0` ("up to now"). */
  to: number;
}

/**
 * Parses the window parameters as `parseWindow` does, except that a window is required and
 * `duration=0` ends it at `now`.
 */
export function parseActivityWindow(
  params: Record<string, string>,
  now: number,
): ActivityWindow | { error: string } {
  const window = parseWindow(params);
  if (window === undefined) {
    return { error: 'One of start_time or end_time is required.' };
  }
  if ('error' in window) return window;
  return { from: window.from, to: window.to ?? now };
}

/**
 * Whether a report produced at `now` shows an event of that time: inside the window widened by
 * `slack` seconds on each side, and never after `now` (PRA cannot report the future).
 */
export function shows(timestamp: number, window: ActivityWindow, slack: number, now: number): boolean {
  return timestamp >= window.from - slack && timestamp <= Math.min(window.to + slack, now);
}

/** Inserts after every item of the same or an earlier time: a late arrival takes its place in time order. */
export function insertInTimeOrder<T extends { timestamp: number }>(items: T[], item: T): void {
  let at = items.length;
  while (at > 0 && items[at - 1].timestamp > item.timestamp) at--;
  items.splice(at, 0, item);
}

/**
 * `count` event times in the `history` seconds before `now`, oldest first. A third of the gaps are
 * 0 s, so seconds are shared, which is where inclusive bounds and identical events bite.
 */
export function historyTimes(rng: Rng, count: number, now: number, history: number): number[] {
  const maxGap = Math.max(1, Math.floor(history / Math.max(count, 1)));
  const times: number[] = [];
  let t = now - rng.int(0, maxGap);
  for (let i = 0; i < count; i++) {
    times.push(t);
    if (!rng.chance(0.33)) t -= rng.int(1, maxGap);
  }
  return times.reverse();
}
