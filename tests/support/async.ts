/** Everything `source` yields, appended to `into` as it comes: what came before a failure stays there. */
export async function collect<T>(source: AsyncIterable<T>, into: T[] = []): Promise<T[]> {
  for await (const item of source) into.push(item);
  return into;
}

/**
 * Resolves once `predicate` holds, checking after each turn of the event loop; fails after
 * `timeoutMs`. For what has nothing to wait on but a count, such as handles closing.
 */
export async function eventually(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
