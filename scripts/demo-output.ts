/** How the demo prints: elapsed time, aligned rows, counts by key. */

const started = Date.now();

export const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`;
export const say = (line = ''): void => console.log(line);
export const row = (label: string, value: string | number): void => say(`  ${label.padEnd(26)}${value}`);

/** Counts of `key` over `items`, most frequent first. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
}
