/**
 * Reading a saved state value by value. context.json is edited by hand (the README tells operators
 * how), and may come from another version or a Python connector: valid JSON is no promise of a
 * usable state. Every value is checked before a cycle can trip on it; an entry that cannot be used
 * is dropped and named in one error per field, instead of a TypeError thrown out of every cycle.
 *
 * Saved maps are read into Maps, and only own properties are read, so no saved key is special: a
 * session id `__proto__` or `constructor` is an id like any other.
 */
import type { StateNotices } from './state-notices';
import { isRecord } from './state-store';

/** Why a saved value cannot be used. Thrown by the checks, caught where the entry is dropped. */
export class Unusable extends Error {}

/** Turns a saved value into a usable one, or throws Unusable saying why not. */
export type Check<T> = (value: unknown) => T;

/** Reads one entry of a map or list; `notes` receives what was repaired in it (a field ignored). */
export type EntryReader<T> = (value: unknown, notes: string[]) => T;

/** Entries named in one notice; the rest are counted. */
const NAMED_ENTRIES = 10;

/** A saved value in a few words, for a notice: never the whole of a large or deeply nested value. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}

export const time: Check<number> = (value) => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new Unusable(`not a time in unix seconds: ${describe(value)}`);
};

export const count: Check<number> = (value) => {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new Unusable(`not a count: ${describe(value)}`);
};

export const text: Check<string> = (value) => {
  if (typeof value === 'string') return value;
  throw new Unusable(`not a string: ${describe(value)}`);
};

/** A key that is a whole second (unix time), as the window state's maps are keyed. */
export function secondKey(key: string): number {
  const second = Number(key);
  if (/^-?\d{1,15}$/.test(key) && Number.isSafeInteger(second)) return second;
  throw new Unusable('the key is not a time in unix seconds');
}

/** An own property, never one inherited from Object.prototype. */
export function own(record: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The fields of one saved object entry, each checked as it is read. */
export class SavedEntry {
  private readonly fields: Readonly<Record<string, unknown>>;

  constructor(
    value: unknown,
    private readonly notes: string[],
  ) {
    if (!isRecord(value)) throw new Unusable(`not an object: ${describe(value)}`);
    this.fields = value;
  }

  /** A field the entry cannot be used without. */
  required<T>(key: string, check: Check<T>): T {
    const value = own(this.fields, key);
    if (value === undefined) throw new Unusable(`${key} is missing`);
    try {
      return check(value);
    } catch (error) {
      throw new Unusable(`${key} is ${reason(error)}`);
    }
  }

  /** A field the entry is usable without: a bad one is ignored, and noted. */
  optional<T>(key: string, check: Check<T>): T | undefined {
    const value = own(this.fields, key);
    if (value === undefined) return undefined;
    try {
      return check(value);
    } catch (error) {
      this.notes.push(`${key} ignored, ${reason(error)}`);
      return undefined;
    }
  }
}

/** One saved state's maps and lists, read entry by entry, with one notice per field for what was not usable. */
export class SavedFields {
  constructor(private readonly notices: StateNotices) {}

  /**
   * The entries of the object `saved[field]`, keyed by `key(name)`. `consequence` says what
   * dropping an entry costs. A field that is not an object at all is reported and read as empty.
   */
  map<K, T>(
    saved: Readonly<Record<string, unknown>>,
    field: string,
    read: EntryReader<T>,
    consequence: string,
    key: (name: string) => K,
  ): Map<K, T> {
    const result = new Map<K, T>();
    const value = own(saved, field);
    if (value === undefined) return result;
    if (!isRecord(value)) {
      this.notices.error(
        `${field} is ${describe(value)}, not an object: it is read as empty (${consequence}).`,
      );
      return result;
    }
    const report = new FieldReport(field);
    for (const [name, entry] of Object.entries(value)) {
      const label = `${field}[${JSON.stringify(name)}]`;
      const parsed = report.read(label, (notes) => [key(name), read(entry, notes)] as const);
      if (parsed !== undefined) result.set(parsed[0], parsed[1]);
    }
    report.send(this.notices, consequence);
    return result;
  }

  /** The entries of the array `saved[field]`, as `map` does for objects. */
  list<T>(
    saved: Readonly<Record<string, unknown>>,
    field: string,
    read: EntryReader<T>,
    consequence: string,
  ): T[] {
    const value = own(saved, field);
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.notices.error(`${field} is ${describe(value)}, not a list: it is read as empty (${consequence}).`);
      return [];
    }
    const report = new FieldReport(field);
    const result: T[] = [];
    value.forEach((entry: unknown, index) => {
      const label = `${field}[${index}]`;
      const parsed = report.read(label, (notes) => read(entry, notes));
      if (parsed !== undefined) result.push(parsed);
    });
    report.send(this.notices, consequence);
    return result;
  }
}

/** What one field lost and what was repaired in it, sent as at most two notices. */
class FieldReport {
  private readonly dropped: string[] = [];
  private readonly repaired: string[] = [];
  private droppedCount = 0;
  private repairedCount = 0;

  constructor(private readonly field: string) {}

  /** Runs `parse` on one entry: undefined when it is Unusable (recorded as dropped); its repairs are recorded. */
  read<T>(label: string, parse: (notes: string[]) => T): T | undefined {
    const notes: string[] = [];
    try {
      const value = parse(notes);
      this.repairedCount += notes.length;
      for (const note of notes)
        if (this.repaired.length < NAMED_ENTRIES) this.repaired.push(`${label} (${note})`);
      return value;
    } catch (error) {
      if (!(error instanceof Unusable)) throw error;
      this.droppedCount += 1;
      if (this.dropped.length < NAMED_ENTRIES) this.dropped.push(`${label} (${error.message})`);
      return undefined;
    }
  }

  send(notices: StateNotices, consequence: string): void {
    if (this.droppedCount > 0) {
      notices.error(
        `${entries(this.droppedCount)} of ${this.field} dropped, ${consequence}: ` +
          `${this.dropped.join('; ')}${more(this.droppedCount, this.dropped.length)}.`,
      );
    }
    if (this.repairedCount > 0) {
      notices.warning(
        `${this.repairedCount} ${this.repairedCount === 1 ? 'value' : 'values'} of ${this.field} ignored, ` +
          `the entries kept: ${this.repaired.join('; ')}${more(this.repairedCount, this.repaired.length)}.`,
      );
    }
  }
}

function reason(error: unknown): string {
  if (error instanceof Unusable) return error.message;
  throw error;
}

function entries(n: number): string {
  return n === 1 ? '1 entry' : `${n} entries`;
}

function more(total: number, named: number): string {
  return total > named ? ` and ${total - named} more` : '';
}
