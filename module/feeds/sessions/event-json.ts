import { mapItems, type ChunkParser } from '../../xml/worker-loop';
import type { ReportItem, SerializedItem, SessionEvent } from './events';
import { createAccessSessionParser } from './report-parser';

/** Keys copied from the session into every event; they come last, from `session_id` on. */
const SESSION_KEYS = new Set([
  'session_id',
  'jump_group',
  'primary_customer',
  'primary_rep',
  'file_transfer_count',
  'file_move_count',
  'file_delete_count',
]);

/**
 * `JSON.stringify(event)`, byte for byte, with the session part serialised once per session rather
 * than once per event: it is most of each event's JSON, and the parser hands out the same objects
 * for every event of a session. An event of another shape falls back to JSON.stringify.
 */
export class EventSerializer {
  private tailValues: unknown[] = [];
  private tailJson = '';

  /** Session ends pass through; events become their JSON. */
  serializeItem(item: ReportItem): SerializedItem {
    if (item.kind === 'session') return item;
    const { lsid, index, event } = item;
    return { kind: 'event', lsid, index, timestamp: event.timestamp, json: this.serialize(event) };
  }

  serialize(event: SessionEvent): string {
    const fields = event as unknown as Record<string, unknown>;
    const keys = Object.keys(fields);
    const tailStart = keys.indexOf('session_id');
    if (tailStart < 0) return JSON.stringify(event);
    const tailValues: unknown[] = [];
    for (let i = tailStart; i < keys.length; i++) {
      const key = keys[i] as string;
      if (!SESSION_KEYS.has(key)) return JSON.stringify(event);
      tailValues.push(key, fields[key]);
    }
    if (!sameValues(tailValues, this.tailValues)) {
      const tail: Record<string, unknown> = {};
      for (let i = 0; i < tailValues.length; i += 2) tail[tailValues[i] as string] = tailValues[i + 1];
      this.tailJson = JSON.stringify(tail);
      this.tailValues = tailValues;
    }
    if (tailStart === 0) return this.tailJson;
    const head: Record<string, unknown> = {};
    for (let i = 0; i < tailStart; i++) head[keys[i] as string] = fields[keys[i] as string];
    // Both are `{…}`: drop the head's closing brace and the tail's opening one, join with a comma.
    return `${JSON.stringify(head).slice(0, -1)},${this.tailJson.slice(1)}`;
  }
}

/** Identity, not deep equality: the parser shares one frozen object per session field. */
function sameValues(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The AccessSession parser with each event serialised as it comes out, for the parse thread. */
export function createSerializedSessionParser(): ChunkParser<SerializedItem> {
  const serializer = new EventSerializer();
  return mapItems(createAccessSessionParser(), (item) => serializer.serializeItem(item));
}
