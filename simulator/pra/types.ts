/**
 * Public shapes of the PRA tenant simulator. Other engineers code tests, the demo, the soak test and
 * the benchmarks against these names, so they are kept stable; fields are only ever added.
 */

import type { FeedControls, FeedOptions } from './feed-types';

export * from './feed-types';

export type PraNamespace = 'sra' | 'docs' | 'bomgar' | 'none';

/** `performed_by` / `destination`: `type` and `gsnumber` attributes, `name` as element text. */
export interface SimParty {
  type: string;
  gsnumber: string;
  name: string;
}

export interface SimEvent {
  /** Unix seconds (PRA reports whole seconds only). */
  timestamp: number;
  eventType: string;
  performedBy?: SimParty;
  destination?: SimParty;
  /** `<data><value name value/></data>` in this order; an empty array renders an empty `<data>`. */
  data?: Array<[string, string]>;
  /** Chat text (the decoded text when rendered as `encoded_body`). */
  body?: string;
  /**
   * Render `body` as `<encoded_body>` (base64 of UTF-8) instead of `<body>`. A body holding characters
   * XML 1.0 cannot carry is always encoded, as PRA does, whatever this flag says.
   */
  encodedBody?: boolean;
}

/**
 * A `customer_list/customer` entry. An undefined field is a missing element; PRA's literal `Unknown`
 * ("not collected") is a plain value.
 */
export interface SimCustomer {
  gsnumber: string;
  username?: string;
  publicIp?: string;
  privateIp?: string;
  hostname?: string;
  os?: string;
}

/** A `rep_list/representative` entry. */
export interface SimRep extends SimCustomer {
  id: string;
  displayName: string;
  publicDisplayName?: string;
  privateDisplayName?: string;
  sessionOwner: boolean;
}

export interface SimSession {
  /** 32 lowercase hex or 16 alphanumerics, as seen on real tenants. */
  lsid: string;
  lseq: number;
  startTime: number;
  /** null while running. A session whose endTime is still in the future (see `now`) renders as open. */
  endTime: number | null;
  externalKey: string;
  jumpGroup?: { type: string; name: string; id: string };
  /** Text can be empty (seen on real tenants); gsnumber matches an entry of `customers`. */
  primaryCustomer?: { gsnumber: string; name: string };
  /** gsnumber matches an entry of `reps`. */
  primaryRep?: { gsnumber: string; id: string; name: string };
  customers: SimCustomer[];
  reps: SimRep[];
  hasRecording: boolean;
  events: SimEvent[];
}

export interface PraSimulatorOptions extends FeedOptions {
  /** Default 1; the same seed gives the same sessions and events (tokens stay random). */
  seed?: number;
  clientId?: string;
  clientSecret?: string;
  /** Seconds, default 3600. */
  tokenExpiresIn?: number;
  /** Put before every random access token, so a test can search its outputs for any token issued. */
  tokenPrefix?: string;
  namespace?: PraNamespace;
  /** Render every element as `<prefix:name>` with `xmlns:prefix` on the root. */
  prefix?: string;
  /** Sessions already ended at start, spread over the last `historySeconds`; default 5. */
  closedSessions?: number;
  /** Sessions running at start (endTime null); default 2. */
  openSessions?: number;
  /** Events per closed session, default 20; open sessions start with a quarter of it (at least 2). */
  eventsPerSession?: number;
  historySeconds?: number;
  /** Unix seconds clock; default real time. Visibility, token expiry and new timestamps follow it. */
  now?: () => number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Query string merged with a form-urlencoded body (the body wins). */
  params: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** HTTP status sent; 0 when the socket was destroyed before any header. */
  status: number;
  /** `now()` when the request arrived. */
  at: number;
  /** lsids asked for through `lsid` / `lsids` (AccessSession). */
  lsids?: string[];
  /** lsids of the sessions the report contained (both report types). */
  returned?: string[];
  /** Which simulated failure shaped this reply, if any. */
  fault?: PraFault['kind'] | 'failSession';
}

export type FaultTarget = 'token' | 'reporting' | 'any';

/** A reply body given whole, or produced lazily (a fresh iterable per request) for huge bodies. */
export type FaultBody = string | Uint8Array | (() => Iterable<string | Uint8Array>);

/**
 * Queued with `injectFault` and consumed in order: a request takes the first queued fault whose
 * target matches it (default target `any`) and, when `lsid` is set, that is an AccessSession request
 * asking for that session, and when `report` is set, a reporting request whose `generate_report` is
 * that report; the fault is dropped once `count` requests took it.
 */
export type PraFault = { count: number; target?: FaultTarget; lsid?: string; report?: string } & (
  | { kind: 'status'; status: number; retryAfter?: number }
  /** Destroy the socket before any byte, or after the headers and `afterBytes` bytes of body. */
  | { kind: 'reset'; afterBytes?: number }
  | { kind: 'slow'; delayMs: number }
  /** Status 200 with the first half of the normal body, so the XML (or JSON) is cut short. */
  | { kind: 'malformed' }
  /**
   * Any reply instead of the real one: hostile XML, an HTML page, a wrong content type. `hang`
   * sends the headers and the body, then neither more bytes nor the end, until the client leaves.
   */
  | { kind: 'body'; body: FaultBody; status?: number; contentType?: string; hang?: boolean }
);

export type SessionFailureMode = 'status' | 'malformed' | 'reset';

/** `addSession` input: any session field, and `events` as a count to generate or explicit events. */
export type AddSessionInput = Omit<Partial<SimSession>, 'events'> & { events?: number | SimEvent[] };

export interface AutoGrowOptions {
  /** Events appended to every open session per tick, default 1. */
  events?: number;
  /**
   * Stamp them with the tick's second, as a live session logs its events, rather than any second
   * since the session's last event (the default, so that seconds are often shared): a bench that
   * measures how long an event waits counts from when PRA had it.
   */
  stampNow?: boolean;
}

export interface PraSimulator extends FeedControls {
  /** `http://127.0.0.1:<port>`, the tenant base_url. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Live view of the data, ordered by start time; mutate through the methods below. */
  readonly sessions: SimSession[];
  readonly tokensIssued: number;
  setNamespace(ns: PraNamespace, prefix?: string): void;
  injectFault(fault: PraFault): void;
  failSession(lsid: string, mode?: SessionFailureMode): void;
  evictTokens(): void;
  addSession(partial?: AddSessionInput): SimSession;
  growSession(lsid: string, events: number): SimEvent[];
  endSession(lsid: string): void;
  renderAccessSession(lsids: string[]): string;
  /** Grows every open session on a timer; returns the stop function. close() stops it too. */
  autoGrow(intervalMs: number, options?: AutoGrowOptions): () => void;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}
