/** Report events as the copy ledger takes them: their time, their identity and their text. */
import type { TimedEvent } from '../engine/copy-ledger';
import { shortDigest } from '../engine/identity';
import type { IncrementalXmlParser } from '../xml/reader';
import { mapItems, type ChunkParser } from '../xml/worker-loop';

/** Unix seconds from a PRA timestamp; undefined unless it is a whole number. */
export function unixSeconds(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** An event object as forwarded: its JSON, its `timestamp`, and the identity of that JSON. */
export function timedJsonEvent(event: { timestamp?: string }): TimedEvent {
  const text = JSON.stringify(event);
  return { time: unixSeconds(event.timestamp), identity: shortDigest(text), text };
}

/** A report parser whose events leave the parse thread serialised, timed and identified. */
export function timedJsonParser<E extends { timestamp?: string }>(
  create: () => IncrementalXmlParser<E>,
): () => ChunkParser<TimedEvent> {
  return () => mapItems(create(), timedJsonEvent);
}
