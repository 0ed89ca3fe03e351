/**
 * XML rendering of PRA reports. Everything is produced as a sequence of chunks so the server can
 * stream a report of 100k+ events without building it in memory; `collect` joins them when a string
 * is wanted.
 */
import type { RenderCache } from './render-cache';
import type { PraNamespace, SimCustomer, SimEvent, SimParty, SimRep, SimSession } from './types';

export const NAMESPACE_URIS: Record<Exclude<PraNamespace, 'none'>, string> = {
  sra: 'http://www.beyondtrust.com/sra/namespaces/API/reporting',
  docs: 'https://www.beyondtrust.com/namespaces/API/reporting',
  bomgar: 'http://www.bomgar.com/namespaces/API/reporting',
};

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** What a live tenant answered for an empty report, byte for byte (note the space after `error`). */
export const NO_DATA_BODY =
  XML_DECLARATION +
  '<error >No Support report information matching your chosen criteria is available.</error>';

export interface XmlStyle {
  namespace: PraNamespace;
  prefix?: string;
}

/** A session as seen at one instant: what a report produced at that instant shows of it. */
export interface SessionView {
  session: SimSession;
  /** The effective end: null while the session is open at that instant. */
  endTime: number | null;
  /** Events logged up to that instant. */
  events: SimEvent[];
  /** The instant, used for the running duration of open sessions. */
  now: number;
}

/** Events per chunk inside `session_details`: large enough to keep writes cheap, small enough to stream. */
const EVENTS_PER_CHUNK = 500;
/** Sessions per chunk of a listing, for the same reason: a listing can name a million sessions. */
const SUMMARIES_PER_CHUNK = 1000;

// XML 1.0 cannot carry these even as character references; PRA base64-encodes such chat text.
const XML_INVALID =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
// Attributes also escape quotes and the whitespace that attribute-value normalisation would flatten.
const ATTR_ESCAPES: Record<string, string> = {
  ...TEXT_ESCAPES,
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

// Tested before replacing: most values need no escape, and a test is far cheaper than a replace.
const TEXT_SPECIAL = /[&<>]/;
const ATTR_SPECIAL = /[&<>"\t\n\r]/;

export function escapeText(value: string): string {
  return TEXT_SPECIAL.test(value) ? value.replace(/[&<>]/g, (c) => TEXT_ESCAPES[c]) : value;
}

export function escapeAttr(value: string): string {
  return ATTR_SPECIAL.test(value) ? value.replace(/[&<>"\t\n\r]/g, (c) => ATTR_ESCAPES[c]) : value;
}

/** Joins rendered chunks; byte chunks hold whole renderings, so they decode on their own. */
export function collect(chunks: Iterable<string | Uint8Array>): string {
  let out = '';
  for (const chunk of chunks) {
    out +=
      typeof chunk === 'string'
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
  }
  return out;
}

/** Renders `items` `size` at a time, so a huge report never sits in memory as one string. */
export function* inChunks<T>(
  items: readonly T[],
  render: (item: T) => string,
  size: number,
): Generator<string> {
  for (let i = 0; i < items.length; i += size) {
    let chunk = '';
    for (const item of items.slice(i, i + size)) chunk += render(item);
    yield chunk;
  }
}

/** Bytes per write once small chunks are merged. */
const WRITE_BYTES = 64 * 1024;

/**
 * The chunks as bytes, small ones merged into writes of at least 64 KiB: a report renders a piece
 * per session, and a socket write per piece would cost more than rendering it.
 */
export function* coalesced(chunks: Iterable<string | Uint8Array>): Generator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for (const chunk of chunks) {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    pending.push(bytes);
    pendingBytes += bytes.length;
    if (pendingBytes >= WRITE_BYTES) {
      yield Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

/** Element naming for one response: optional prefix, and the namespace declaration for the root. */
export class Names {
  private readonly qualifier: string;
  readonly declaration: string;

  constructor(style: XmlStyle) {
    const prefixed = style.namespace !== 'none' && style.prefix !== undefined && style.prefix !== '';
    this.qualifier = prefixed ? `${style.prefix}:` : '';
    this.declaration =
      style.namespace === 'none'
        ? ''
        : ` xmlns${prefixed ? `:${style.prefix}` : ''}="${NAMESPACE_URIS[style.namespace]}"`;
  }

  el(name: string, attrs: string, text: string): string {
    const tag = this.qualifier + name;
    return `<${tag}${attrs}>${escapeText(text)}</${tag}>`;
  }

  /** An element with no content, written `<x />` like PRA's own empty elements. */
  empty(name: string, attrs = ''): string {
    return `<${this.qualifier}${name}${attrs} />`;
  }

  open(name: string, attrs = ''): string {
    return `<${this.qualifier}${name}${attrs}>`;
  }

  close(name: string): string {
    return `</${this.qualifier}${name}>`;
  }
}

export function attrs(pairs: Array<[string, string | undefined]>): string {
  let out = '';
  for (const [name, value] of pairs) if (value !== undefined) out += ` ${name}="${escapeAttr(value)}"`;
  return out;
}

export function isoTime(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function hhmmss(seconds: number): string {
  const s = Math.max(0, seconds);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** A performer or destination; Team reports leave out the gsnumber of some performers. */
type Party = Omit<SimParty, 'gsnumber'> & { gsnumber?: string };

/** An `<event>` of a session, or of a team, whose performer may lack a gsnumber. */
export type RenderableEvent = Omit<SimEvent, 'performedBy'> & { performedBy?: Party };

function party(names: Names, element: string, p: Party): string {
  return names.el(
    element,
    attrs([
      ['type', p.type],
      ['gsnumber', p.gsnumber],
    ]),
    p.name,
  );
}

export function renderEventWith(names: Names, e: RenderableEvent): string {
  let out = names.open(
    'event',
    attrs([
      ['timestamp', String(e.timestamp)],
      ['event_type', e.eventType],
    ]),
  );
  if (e.performedBy) out += party(names, 'performed_by', e.performedBy);
  if (e.destination) out += party(names, 'destination', e.destination);
  if (e.data) {
    out += names.open('data');
    for (const [name, value] of e.data) {
      out += names.empty(
        'value',
        attrs([
          ['name', name],
          ['value', value],
        ]),
      );
    }
    out += names.close('data');
  }
  if (e.body !== undefined) {
    out +=
      e.encodedBody || XML_INVALID.test(e.body)
        ? names.el('encoded_body', '', Buffer.from(e.body, 'utf8').toString('base64'))
        : names.el('body', '', e.body);
  }
  return out + names.close('event');
}

/**
 * One `<event>` without namespace or prefix. Two events of a session are duplicates exactly when
 * this string is equal, which is what the generator's uniqueness guarantee is checked against.
 */
export function renderEvent(e: SimEvent): string {
  return renderEventWith(new Names({ namespace: 'none' }), e);
}

function participantFields(names: Names, p: SimCustomer): string {
  const fields: Array<[string, string | undefined]> = [
    ['username', p.username],
    ['public_ip', p.publicIp],
    ['private_ip', p.privateIp],
    ['hostname', p.hostname],
    ['os', p.os],
  ];
  let out = '';
  for (const [name, value] of fields) if (value !== undefined) out += names.el(name, '', value);
  return out;
}

function representative(names: Names, r: SimRep, involved: number): string {
  const displayNames: Array<[string, string | undefined]> = [
    ['display_name', r.displayName],
    ['public_display_name', r.publicDisplayName],
    ['private_display_name', r.privateDisplayName],
  ];
  let out =
    names.open(
      'representative',
      attrs([
        ['gsnumber', r.gsnumber],
        ['id', r.id],
      ]),
    ) + participantFields(names, r);
  for (const [name, value] of displayNames) if (value !== undefined) out += names.el(name, '', value);
  out += names.el('session_owner', '', r.sessionOwner ? '1' : '0');
  out += names.el('seconds_involved', '', String(involved));
  return out + names.close('representative');
}

/** PRA's per-session counters, counted over the events a report shows. */
export function fileCounters(events: SimEvent[]): { transfer: number; move: number; delete: number } {
  const counts = { transfer: 0, move: 0, delete: 0 };
  for (const e of events) {
    if (e.eventType === 'File Download' || e.eventType === 'File Upload') counts.transfer++;
    else if (e.eventType === 'File Moved') counts.move++;
    else if (e.eventType === 'File Deleted') counts.delete++;
  }
  return counts;
}

function sessionHead(names: Names, view: SessionView, baseUrl: string): string {
  const s = view.session;
  const closed = view.endTime !== null;
  const duration = (view.endTime ?? view.now) - s.startTime;
  const counters = fileCounters(view.events);
  let out = names.open('session', attrs([['lsid', s.lsid]]));
  out += names.el('session_type', '', 'support');
  out += names.el('lseq', '', String(s.lseq));
  out += names.el('start_time', attrs([['timestamp', String(s.startTime)]]), isoTime(s.startTime));
  // An open session carries an empty end_time, which is how clients tell it is still running.
  out +=
    view.endTime === null
      ? names.empty('end_time')
      : names.el('end_time', attrs([['timestamp', String(view.endTime)]]), isoTime(view.endTime));
  out += names.el('duration', '', hhmmss(duration));
  out += names.el('external_key', '', s.externalKey);
  out += names.empty('custom_attributes');
  if (s.jumpGroup) {
    out += names.el(
      'jump_group',
      attrs([
        ['type', s.jumpGroup.type],
        ['id', s.jumpGroup.id],
      ]),
      s.jumpGroup.name,
    );
  }
  if (closed) {
    // Transcript links exist only once the session has ended.
    const link = `${baseUrl}/session_download/?lsid=${encodeURIComponent(s.lsid)}&dl_action=chat`;
    out += names.el('session_chat_view_url', '', `${link}&view=1`);
    out += names.el('session_chat_download_url', '', link);
  }
  out += names.el('file_transfer_count', '', String(counters.transfer));
  out += names.el('file_move_count', '', String(counters.move));
  out += names.el('file_delete_count', '', String(counters.delete));
  if (s.primaryCustomer) {
    out += names.el(
      'primary_customer',
      attrs([['gsnumber', s.primaryCustomer.gsnumber]]),
      s.primaryCustomer.name,
    );
  }
  if (s.primaryRep) {
    out += names.el(
      'primary_rep',
      attrs([
        ['gsnumber', s.primaryRep.gsnumber],
        ['id', s.primaryRep.id],
      ]),
      s.primaryRep.name,
    );
  }
  out += names.open('customer_list');
  for (const c of s.customers) {
    out += names.open('customer', attrs([['gsnumber', c.gsnumber]])) + participantFields(names, c);
    out += names.close('customer');
  }
  out += names.close('customer_list') + names.open('rep_list');
  for (const r of s.reps) out += representative(names, r, duration);
  return out + names.close('rep_list');
}

function* sessionChunks(names: Names, view: SessionView, baseUrl: string): Generator<string> {
  yield sessionHead(names, view, baseUrl) + names.open('session_details');
  yield* inChunks(view.events, (e) => renderEventWith(names, e), EVENTS_PER_CHUNK);
  yield names.close('session_details') + names.close('session');
}

export interface AccessSessionRenderOptions {
  style: XmlStyle;
  /** The tenant URL, for the transcript links of closed sessions. */
  baseUrl: string;
  /**
   * A session that breaks the report: the output stops in the middle of its head, which is where a
   * tenant failing on that session would leave the client.
   */
  breakAt?: string;
  /** Where renderings of sessions that can no longer change are kept and reused. */
  cache?: RenderCache;
  /** The reply when no session matched; default the English one. */
  noDataBody?: string;
}

/**
 * A session that no report can show differently any more: ended, every event shown. Only those that
 * fit in one chunk are cached; bigger ones keep streaming rather than being held whole.
 */
function cacheable(view: SessionView): boolean {
  return (
    view.endTime !== null && view.events === view.session.events && view.events.length <= EVENTS_PER_CHUNK
  );
}

/** A session's chunks, or its cached bytes once it can no longer change. */
function* sessionOrCached(
  names: Names,
  view: SessionView,
  options: AccessSessionRenderOptions,
  cacheKey: string,
): Generator<string | Buffer> {
  const cache = options.cache;
  if (!cache || !cacheable(view)) {
    yield* sessionChunks(names, view, options.baseUrl);
    return;
  }
  let bytes = cache.get(view.session, cacheKey);
  if (!bytes) {
    bytes = Buffer.from(collect(sessionChunks(names, view, options.baseUrl)), 'utf8');
    cache.set(view.session, cacheKey, bytes);
  }
  yield bytes;
}

/** The AccessSession report (`NO_DATA_BODY` when no session matched). */
export function* accessSessionChunks(
  views: SessionView[],
  options: AccessSessionRenderOptions,
): Generator<string | Buffer> {
  if (views.length === 0) {
    yield options.noDataBody ?? NO_DATA_BODY;
    return;
  }
  const names = new Names(options.style);
  // Everything a cached rendering depends on besides the session itself.
  const cacheKey = JSON.stringify([options.style.namespace, options.style.prefix, options.baseUrl]);
  yield `${XML_DECLARATION}${names.open(
    'session_list',
    `${names.declaration} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`,
  )}\n`;
  for (const view of views) {
    if (view.session.lsid === options.breakAt) {
      const head = sessionHead(names, view, options.baseUrl);
      yield head.slice(0, Math.floor(head.length / 2));
      return;
    }
    yield* sessionOrCached(names, view, options, cacheKey);
    yield '\n';
  }
  yield names.close('session_list');
}

/** The AccessSessionListing report (`NO_DATA_BODY` when no session matched). */
export function* listingChunks(
  sessions: SimSession[],
  style: XmlStyle,
  noDataBody = NO_DATA_BODY,
): Generator<string> {
  if (sessions.length === 0) {
    yield noDataBody;
    return;
  }
  const names = new Names(style);
  yield `${XML_DECLARATION}${names.open('session_summary_list', names.declaration)}\n`;
  yield* inChunks(
    sessions,
    (s) =>
      names.empty(
        'session_summary',
        attrs([
          ['lsid', s.lsid],
          ['has_recording', s.hasRecording ? '1' : '0'],
        ]),
      ) + '\n',
    SUMMARIES_PER_CHUNK,
  );
  yield names.close('session_summary_list');
}

/** A report-level problem: HTTP 200 with a root `<error>`, as tenants answer bad parameters. */
export function renderError(message: string, style: XmlStyle): string {
  const names = new Names(style);
  return `${XML_DECLARATION}${names.el('error', names.declaration, message)}`;
}
