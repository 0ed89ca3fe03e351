/**
 * The exact events the sessions intake must receive, stated from the simulator's data
 * (`SimSession`, `SimEvent`) and the event contract alone, never through the module's parser: a
 * parser that drops or mangles a field then shows as lost and unexpected events instead of being
 * copied into the expectation.
 *
 * The contract, in short: one JSON object per `<event>`, every scalar a string exactly as the XML
 * carries it, a key left out when its source is absent or empty, `performed_by` and the primary
 * participants completed with the participant fields (`private_ip`, `public_ip`, `hostname`, `os`,
 * none empty or `Unknown`) of the participant with their gsnumber, and the session's fields
 * (`session_id`, `jump_group`, `primary_*`, the three file counters) copied into every event.
 */
import { canonicalJson, digestKey, ExactlyOnce, type DeliveryReport } from './delivery-check';
import { viewAt } from './pra/query';
import { fileCounters, type SessionView } from './pra/render';
import type { PraSimulator, SimCustomer, SimEvent, SimSession } from './pra';

/** `performed_by`, `destination`, `primary_customer`, `primary_rep` of the contract. */
export interface SessionIntakeParty {
  type?: string;
  name?: string;
  gsnumber?: string;
  private_ip?: string;
  public_ip?: string;
  hostname?: string;
  os?: string;
}

/** One session event for the intake, keys in the contract's order. */
export interface SessionIntakeEvent {
  timestamp?: string;
  event_type?: string;
  performed_by?: SessionIntakeParty;
  data?: Record<string, string>;
  destination?: SessionIntakeParty;
  body?: string;
  session_id: string;
  jump_group?: { name?: string; type?: string };
  primary_customer?: SessionIntakeParty;
  primary_rep?: SessionIntakeParty;
  file_transfer_count: string;
  file_move_count: string;
  file_delete_count: string;
}

/** The three keys whose values follow the session as it runs (see `sessionCounters`). */
export const COUNTER_KEYS = ['file_transfer_count', 'file_move_count', 'file_delete_count'] as const;

type ParticipantFields = Pick<SessionIntakeParty, 'private_ip' | 'public_ip' | 'hostname' | 'os'>;

// What the simulator's renderer sends base64-encoded whatever `encodedBody` says: XML 1.0 cannot
// carry these characters, even as references.
const XML_INVALID =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string as it reads back from the UTF-8 report: a lone surrogate cannot be encoded and becomes U+FFFD. */
function utf8(value: string): string {
  return LONE_SURROGATE.test(value) ? Buffer.from(value, 'utf8').toString('utf8') : value;
}

/**
 * The text of an element as an XML parser hands it over: the simulator escapes `&<>` only, so a
 * carriage return reaches the parser raw, and XML's end-of-line handling turns `\r\n` and `\r`
 * into `\n`. (Attribute values escape `\r` as `&#13;`, which survives.)
 */
function elementText(value: string): string {
  return utf8(value.includes('\r') ? value.replace(/\r\n?/g, '\n') : value);
}

/** Sets `key` as an own property, also for `__proto__`, which plain assignment would not add. */
function setKey(target: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * The participant fields of every customer and representative, by gsnumber, in document order
 * (customers first): a gsnumber listed twice keeps every field either entry has, the later entry
 * winning.
 */
function participantFields(session: SimSession): Map<string, ParticipantFields> {
  const byGsnumber = new Map<string, ParticipantFields>();
  const entries: SimCustomer[] = [...session.customers, ...session.reps];
  for (const participant of entries) {
    if (!participant.gsnumber) continue;
    const fields = byGsnumber.get(participant.gsnumber) ?? {};
    const values: Array<[keyof ParticipantFields, string | undefined]> = [
      ['private_ip', participant.privateIp],
      ['public_ip', participant.publicIp],
      ['hostname', participant.hostname],
      ['os', participant.os],
    ];
    for (const [key, raw] of values) {
      if (raw === undefined) continue;
      const value = elementText(raw);
      // PRA writes `Unknown` for what it did not collect: that is no value.
      if (value !== '' && value !== 'Unknown') fields[key] = value;
    }
    byGsnumber.set(participant.gsnumber, fields);
  }
  return byGsnumber;
}

/** `type` and `gsnumber` attributes and the text, each when not empty, then the participant fields. */
function party(
  p: { type?: string; name: string; gsnumber?: string },
  participants: Map<string, ParticipantFields> | undefined,
): SessionIntakeParty | undefined {
  const out: SessionIntakeParty = {};
  if (p.type) out.type = utf8(p.type);
  const name = elementText(p.name);
  if (name) out.name = name;
  if (p.gsnumber) {
    out.gsnumber = utf8(p.gsnumber);
    const fields = participants?.get(out.gsnumber);
    if (fields) {
      // The contract's order, whatever the order of the report's child elements.
      if (fields.private_ip !== undefined) out.private_ip = fields.private_ip;
      if (fields.public_ip !== undefined) out.public_ip = fields.public_ip;
      if (fields.hostname !== undefined) out.hostname = fields.hostname;
      if (fields.os !== undefined) out.os = fields.os;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `data/value` pairs by name, empty values kept, a repeated name keeping its last value; none → absent. */
function dataObject(pairs: ReadonlyArray<[string, string]>): Record<string, string> | undefined {
  let data: Record<string, string> | undefined;
  for (const [name, value] of pairs) {
    // A value without a name has nothing to be filed under.
    if (!name) continue;
    data ??= {};
    setKey(data, utf8(name), utf8(value));
  }
  return data;
}

/** The chat text: an `encoded_body` decodes to the text exactly, a `body` reads back as element text. */
function bodyText(e: SimEvent): string | undefined {
  if (e.body === undefined) return undefined;
  const encoded = e.encodedBody === true || XML_INVALID.test(e.body);
  const text = encoded ? utf8(e.body) : elementText(e.body);
  return text === '' ? undefined : text;
}

/** What every event of a session carries after its own fields, counters aside. */
interface SessionFields {
  session_id: string;
  jump_group?: SessionIntakeEvent['jump_group'];
  primary_customer?: SessionIntakeParty;
  primary_rep?: SessionIntakeParty;
}

function sessionFields(session: SimSession, participants: Map<string, ParticipantFields>): SessionFields {
  const fields: SessionFields = { session_id: utf8(session.lsid) };
  if (session.jumpGroup) {
    const jumpGroup: SessionIntakeEvent['jump_group'] = {};
    const name = elementText(session.jumpGroup.name);
    if (name) jumpGroup.name = name;
    if (session.jumpGroup.type) jumpGroup.type = utf8(session.jumpGroup.type);
    if (Object.keys(jumpGroup).length > 0) fields.jump_group = jumpGroup;
  }
  const customer = session.primaryCustomer && party(session.primaryCustomer, participants);
  if (customer) fields.primary_customer = customer;
  const rep = session.primaryRep && party(session.primaryRep, participants);
  if (rep) fields.primary_rep = rep;
  return fields;
}

/** The three counters as strings, from the simulator's count over the events a report shows. */
export function sessionCounters(events: SimEvent[]): Pick<SessionIntakeEvent, (typeof COUNTER_KEYS)[number]> {
  const counts = fileCounters(events);
  return {
    file_transfer_count: String(counts.transfer),
    file_move_count: String(counts.move),
    file_delete_count: String(counts.delete),
  };
}

function intakeEvent(
  e: SimEvent,
  participants: Map<string, ParticipantFields>,
  tail: SessionFields,
  counters: ReturnType<typeof sessionCounters>,
): SessionIntakeEvent {
  const event = {} as SessionIntakeEvent;
  const timestamp = String(e.timestamp);
  if (timestamp) event.timestamp = timestamp;
  if (e.eventType) event.event_type = utf8(e.eventType);
  const performedBy = e.performedBy && party(e.performedBy, participants);
  if (performedBy) event.performed_by = performedBy;
  const data = e.data && dataObject(e.data);
  if (data) event.data = data;
  // A destination is named only: no participant fields.
  const destination = e.destination && party(e.destination, undefined);
  if (destination) event.destination = destination;
  const body = bodyText(e);
  if (body !== undefined) event.body = body;
  event.session_id = tail.session_id;
  if (tail.jump_group) event.jump_group = tail.jump_group;
  if (tail.primary_customer) event.primary_customer = tail.primary_customer;
  if (tail.primary_rep) event.primary_rep = tail.primary_rep;
  event.file_transfer_count = counters.file_transfer_count;
  event.file_move_count = counters.file_move_count;
  event.file_delete_count = counters.file_delete_count;
  return event;
}

/** The intake events of one session as a report shows it at one instant, in document order. */
export function viewEvents(view: SessionView): SessionIntakeEvent[] {
  const participants = participantFields(view.session);
  const tail = sessionFields(view.session, participants);
  const counters = sessionCounters(view.events);
  return view.events.map((e) => intakeEvent(e, participants, tail, counters));
}

/** What a report produced now shows of the sessions `lsids` (default all), in report order. */
export function sessionViews(pra: PraSimulator, lsids?: readonly string[]): SessionView[] {
  const wanted = lsids && new Set(lsids);
  const now = pra.currentTime();
  const views: SessionView[] = [];
  for (const session of pra.sessions) {
    if (wanted && !wanted.has(session.lsid)) continue;
    const view = viewAt(session, now);
    if (view) views.push(view);
  }
  return views;
}

/**
 * Every event PRA shows now of the sessions `lsids` (default all sessions): what the intake must
 * hold once they are collected. The counters are those of now; an event forwarded earlier, while
 * its session ran, carries smaller ones, which the judge accepts (see `SessionEventKeys`).
 */
export function expectedSessionEvents(pra: PraSimulator, lsids?: readonly string[]): SessionIntakeEvent[] {
  return sessionViews(pra, lsids).flatMap(viewEvents);
}

/** The JSON of every event `expectedSessionEvents` lists, as the intake receives it. */
export function expectedSessionJsons(pra: PraSimulator, lsids?: readonly string[]): string[] {
  return expectedSessionEvents(pra, lsids).map((event) => JSON.stringify(event));
}

/** Which counts a session's reports could have shown, for each of its events. */
interface CounterTable {
  /** The last event index whose prefix has these counts, by `transfer,move,delete`. */
  lastWith: Map<string, number>;
  /** The first index of an event of that second (events are logged in time order). */
  firstAt: (timestamp: number) => number | undefined;
}

function counterTable(events: SimEvent[]): CounterTable {
  const lastWith = new Map<string, number>();
  const counts = { transfer: 0, move: 0, delete: 0 };
  let sorted = true;
  events.forEach((event, i) => {
    const one = fileCounters([event]);
    counts.transfer += one.transfer;
    counts.move += one.move;
    counts.delete += one.delete;
    lastWith.set(`${counts.transfer},${counts.move},${counts.delete}`, i);
    if (i > 0 && events[i - 1].timestamp > event.timestamp) sorted = false;
  });
  if (sorted) {
    return {
      lastWith,
      firstAt: (timestamp) => {
        let low = 0;
        let high = events.length;
        while (low < high) {
          const mid = (low + high) >>> 1;
          if (events[mid].timestamp < timestamp) low = mid + 1;
          else high = mid;
        }
        return events[low]?.timestamp === timestamp ? low : undefined;
      },
    };
  }
  // Events a test pushed out of order: a report still shows the prefix logged by its instant.
  const first = new Map<number, number>();
  events.forEach((event, i) => {
    if (!first.has(event.timestamp)) first.set(event.timestamp, i);
  });
  return { lastWith, firstAt: (timestamp) => first.get(timestamp) };
}

const COUNTERS_HEAD = ',"file_transfer_count":"';
const COUNTERS_TAIL =
  /^,"file_transfer_count":"(\d+)","file_move_count":"(\d+)","file_delete_count":"(\d+)"\}$/;
const TIMESTAMP_HEAD = /^\{"timestamp":"(\d+)"/;
const SESSION_ID = '"session_id":"';
/** Appended to a key whose counters no report of its event showed, so that it matches nothing. */
const BAD_COUNTERS = '\u0000counters ';

/** The JSON string literal starting at `from` (just after its opening quote), decoded. */
function stringAt(json: string, from: number): string | undefined {
  for (let i = from; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return JSON.parse(json.slice(from - 1, i + 1)) as string;
  }
  return undefined;
}

export interface SessionEventKeysOptions {
  /** 96-bit digests instead of the JSON itself, for a million events. */
  digest?: boolean;
  /** Whether a key is one the judge expects: only a delivery that is not falls back to the order-free comparison. */
  isExpected?: (key: string) => boolean;
  /**
   * The expected events, for the order-free comparison of a delivery whose keys come in another
   * order than the contract's; read once, the first time one does.
   */
  expected?: () => Iterable<object>;
}

/**
 * Keys of session events for the judge (see delivery-check.ts). An event is known by its JSON
 * without the three counters. The counters must be ones a report showing the event could carry: a
 * report shows every event logged up to its instant, so an event forwarded while its session ran
 * carries the counts over the events up to that moment, at least up to the first event of its
 * second. Counters no report could have shown are kept in the key, which then matches nothing: a
 * mangled event, counted unexpected (and the real one lost).
 *
 * A delivery in the contract's key order, as the module writes it, is keyed straight from its
 * text; one in any other order (which the contract allows) is compared with the expected events
 * in canonical form, keys sorted. Either way an event is the same event.
 *
 * The counts are read from the tenant once per session, on first use: make a new instance once
 * sessions have grown, as the one-shot `checkSessionDelivery` does.
 */
export class SessionEventKeys {
  private readonly tables = new Map<string, CounterTable[]>();
  private sessionsByLsid?: Map<string, SimSession[]>;
  /** Canonical form (or its digest) → key, of every expected event; built on first need. */
  private canonical?: Map<string, string>;

  constructor(
    private readonly pra: PraSimulator,
    private readonly options: SessionEventKeysOptions = {},
  ) {}

  /** The key of an expected event, as `expectedSessionEvents` states it. */
  ofEvent(event: SessionIntakeEvent): string {
    return this.inContractOrder(JSON.stringify(event)) ?? this.orderFree(event);
  }

  /** The key of an expected event given as JSON (from `expectedSessionJsons`). */
  ofExpectedJson(json: string): string {
    return this.inContractOrder(json) ?? this.orderFree(JSON.parse(json) as object);
  }

  /** The key of a delivered JSON string; undefined when it is no JSON object. */
  ofJson(json: string): string | undefined {
    const key = this.inContractOrder(json);
    if (key !== undefined && (this.options.isExpected?.(key) ?? true)) return key;
    let event: unknown;
    try {
      event = JSON.parse(json);
    } catch {
      return undefined;
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
    return this.orderFree(event);
  }

  /** From the text alone, for JSON in the contract's order (counters last); undefined otherwise. */
  private inContractOrder(json: string): string | undefined {
    const at = json.lastIndexOf(COUNTERS_HEAD);
    const counters = at < 0 ? null : COUNTERS_TAIL.exec(json.slice(at));
    const timestamp = counters && TIMESTAMP_HEAD.exec(json);
    if (!counters || !timestamp) return undefined;
    // A key inside a string value has its quotes escaped: this is the event's own session_id.
    const sessionAt = json.lastIndexOf(SESSION_ID, at);
    const lsid = sessionAt < 0 ? undefined : stringAt(json, sessionAt + SESSION_ID.length);
    if (lsid === undefined) return undefined;
    const base = this.digested(`${json.slice(0, at)}}`);
    return this.withCounters(base, lsid, timestamp[1], [counters[1], counters[2], counters[3]]);
  }

  /** Any key order: the expected event with the same canonical form, if there is one. */
  private orderFree(event: object): string {
    const fields = event as Record<string, unknown>;
    const canonical = this.digested(canonicalJson(withoutCounters(fields)));
    const base = this.canonicalIndex().get(canonical) ?? `${canonical}\u0000in no expected event`;
    return this.withCounters(
      base,
      fields.session_id,
      fields.timestamp,
      COUNTER_KEYS.map((key) => fields[key]),
    );
  }

  private canonicalIndex(): Map<string, string> {
    if (this.canonical === undefined) {
      this.canonical = new Map();
      for (const event of this.options.expected?.() ?? []) {
        const fields = withoutCounters(event as Record<string, unknown>);
        this.canonical.set(this.digested(canonicalJson(fields)), this.digested(JSON.stringify(fields)));
      }
    }
    return this.canonical;
  }

  private digested(key: string): string {
    return this.options.digest ? digestKey(key) : key;
  }

  private withCounters(base: string, lsid: unknown, timestamp: unknown, counters: unknown[]): string {
    return this.countersFit(lsid, timestamp, counters)
      ? base
      : `${base}${BAD_COUNTERS}${JSON.stringify(counters)}`;
  }

  private countersFit(lsid: unknown, timestamp: unknown, counters: unknown[]): boolean {
    if (typeof lsid !== 'string' || typeof timestamp !== 'string') return false;
    if (!counters.every((c) => typeof c === 'string' && /^(0|[1-9]\d*)$/.test(c))) return false;
    const seconds = Number(timestamp);
    const counts = counters.join(',');
    return this.tablesOf(lsid).some((table) => {
      const first = table.firstAt(seconds);
      const last = table.lastWith.get(counts);
      return first !== undefined && last !== undefined && last >= first;
    });
  }

  private tablesOf(lsid: string): CounterTable[] {
    let tables = this.tables.get(lsid);
    if (tables === undefined) {
      if (this.sessionsByLsid === undefined) {
        this.sessionsByLsid = new Map();
        for (const session of this.pra.sessions) {
          const same = this.sessionsByLsid.get(session.lsid);
          if (same) same.push(session);
          else this.sessionsByLsid.set(session.lsid, [session]);
        }
      }
      const now = this.pra.currentTime();
      tables = (this.sessionsByLsid.get(lsid) ?? []).flatMap((session) => {
        const view = viewAt(session, now);
        return view ? [counterTable(view.events)] : [];
      });
      this.tables.set(lsid, tables);
    }
    return tables;
  }
}

/** The event's fields, the three counters aside, in their order. */
function withoutCounters(fields: Record<string, unknown>): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    if (!(COUNTER_KEYS as readonly string[]).includes(key)) {
      // defineProperty: a `__proto__` key stays a key.
      Object.defineProperty(rest, key, {
        value: fields[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return rest;
}

/**
 * A judge that expects every event PRA shows now of the sessions `lsids` (default all), for
 * deliveries recorded as they arrive (the benches).
 */
export function sessionJudge(
  pra: PraSimulator,
  options: { lsids?: readonly string[]; digest?: boolean } = {},
): ExactlyOnce {
  const keys: SessionEventKeys = new SessionEventKeys(pra, {
    digest: options.digest,
    isExpected: (key) => judge.has(key),
    expected: function* () {
      for (const view of sessionViews(pra, options.lsids)) yield* viewEvents(view);
    },
  });
  const judge = new ExactlyOnce((json) => keys.ofJson(json));
  // Session by session: a million events' objects are never held at once.
  for (const view of sessionViews(pra, options.lsids)) {
    for (const event of viewEvents(view)) judge.expect(keys.ofEvent(event));
  }
  return judge;
}

/**
 * The intake's session events against `expected` (from `expectedSessionJsons`, taken when the test
 * chose): lost, duplicated and unexpected counts, with the counters checked against the tenant as
 * it is now.
 */
export function checkSessionDelivery(
  pra: PraSimulator,
  expected: readonly string[],
  delivered: readonly string[],
): DeliveryReport {
  const keys: SessionEventKeys = new SessionEventKeys(pra, {
    isExpected: (key) => judge.has(key),
    expected: () => expected.map((json) => JSON.parse(json) as object),
  });
  const judge = new ExactlyOnce((json) => keys.ofJson(json));
  for (const json of expected) judge.expect(keys.ofExpectedJson(json));
  judge.record(delivered);
  return judge.report();
}
