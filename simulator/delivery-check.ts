/**
 * The one exactly-once judge of every feed: the multiset of events the intake must hold against the
 * multiset it received, as lost, duplicated and unexpected counts. What an event's key is belongs to
 * its feed (expected-session-events.ts, expected-events.ts); keys always come from the simulator's
 * data on the expected side, never from the module's parsers.
 */
import { hash } from 'node:crypto';

/** What the intake received compared with what PRA holds, without samples. */
export interface DeliveryCount {
  expected: number;
  delivered: number;
  /** Expected events that never arrived. */
  lost: number;
  /** Extra copies of expected events. */
  duplicated: number;
  /** Delivered events PRA does not hold (must be 0: a mangled or invented event). */
  unexpected: number;
}

/** The measure of "no loss, no duplicates", with a few lost events for the failure message. */
export interface DeliveryReport extends DeliveryCount {
  lostSamples: string[];
}

/** Every expected event arrived exactly once: none lost, duplicated or unexpected. */
export function isExact(report: Pick<DeliveryCount, 'lost' | 'duplicated' | 'unexpected'>): boolean {
  return report.lost === 0 && report.duplicated === 0 && report.unexpected === 0;
}

/** What one delivered event was: the first arrival of an expected copy, an extra copy, or none of PRA's. */
export type Delivery = 'matched' | 'duplicated' | 'unexpected';

/**
 * Expected keys first, then deliveries one by one (incrementally, as batches arrive, for the
 * benches and the soak): each expected copy must arrive once. A delivered key beyond its expected
 * count is duplicated; one never expected is unexpected, every copy of it. `keyOf` turns a delivered
 * string into its key; undefined means it is no event at all (unexpected).
 */
export class ExactlyOnce {
  /** Copies still awaited, by key; 0 once all arrived, so that a later copy counts as duplicated. */
  private readonly remaining = new Map<string, number>();
  private expectedCount = 0;
  private deliveredCount = 0;
  private matchedCount = 0;
  private duplicatedCount = 0;
  private unexpectedCount = 0;

  constructor(private readonly keyOf: (delivered: string) => string | undefined = (s) => s) {}

  /** One more expected copy of `key`. */
  expect(key: string): void {
    this.remaining.set(key, (this.remaining.get(key) ?? 0) + 1);
    this.expectedCount++;
  }

  /** Whether `key` is expected at all (delivered or not). */
  has(key: string): boolean {
    return this.remaining.has(key);
  }

  /** Accounts for one delivered string. */
  deliver(delivered: string): Delivery {
    return this.deliverKey(this.keyOf(delivered));
  }

  /** Accounts for a delivered event known by its key already (undefined: not an event). */
  deliverKey(key: string | undefined): Delivery {
    this.deliveredCount++;
    const left = key === undefined ? undefined : this.remaining.get(key);
    if (key === undefined || left === undefined) {
      this.unexpectedCount++;
      return 'unexpected';
    }
    if (left === 0) {
      this.duplicatedCount++;
      return 'duplicated';
    }
    this.remaining.set(key, left - 1);
    this.matchedCount++;
    return 'matched';
  }

  /** Accounts for one intake batch. */
  record(batch: Iterable<string>): void {
    for (const delivered of batch) this.deliver(delivered);
  }

  get expected(): number {
    return this.expectedCount;
  }

  get delivered(): number {
    return this.deliveredCount;
  }

  /** Expected copies delivered at least once: everything arrived when this reaches `expected`. */
  get matched(): number {
    return this.matchedCount;
  }

  count(): DeliveryCount {
    return {
      expected: this.expectedCount,
      delivered: this.deliveredCount,
      lost: this.expectedCount - this.matchedCount,
      duplicated: this.duplicatedCount,
      unexpected: this.unexpectedCount,
    };
  }

  /** The counts, and the keys of up to `samples` lost events. */
  report(samples = 3): DeliveryReport {
    const lostSamples: string[] = [];
    for (const [key, left] of this.remaining) {
      if (lostSamples.length >= samples) break;
      if (left > 0) lostSamples.push(key);
    }
    return { ...this.count(), lostSamples };
  }
}

/** Two multisets of keys compared at once: `expected` against `delivered`. */
export function compareMultisets(expected: Iterable<string>, delivered: Iterable<string>): DeliveryReport {
  const judge = new ExactlyOnce();
  for (const key of expected) judge.expect(key);
  judge.record(delivered);
  return judge.report();
}

/**
 * JSON with object keys sorted at every depth (undefined members left out, as JSON.stringify does):
 * equal for equal events whatever their key order, which the contracts leave free.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) as string;
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '';
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `{${out}}`;
}

/**
 * A 96-bit digest of a key, for judges of a million events: the multiset then takes a few tens of
 * MB, and a collision between two different events is out of reach.
 */
export function digestKey(key: string): string {
  return hash('sha1', key, 'base64').slice(0, 16);
}
