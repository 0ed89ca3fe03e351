/**
 * A BeyondTrust PRA tenant on loopback: OAuth client-credentials token endpoint and the reporting
 * API (AccessSessionListing, AccessSession, and the three reports of feeds.ts) as PRA answers them, plus a control
 * API to change the data, inject failures and wait for requests without sleeping. VaultAccountActivity,
 * Team and Syslog are served by `feeds.ts`.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

import { SessionGenerator } from './data';
import { noDataBody } from './activity-report';
import { FeedReports } from './feeds';
import { refusal, type RefusalSettings } from './language';
import { parseReportQuery } from './query';
import { accessSessionChunks, coalesced, collect, listingChunks, renderError, type XmlStyle } from './render';
import { RenderCache } from './render-cache';
import { SessionIndex } from './session-index';
import { Waiters } from '../wait';
import type {
  AddSessionInput,
  AddSyslogRecordInput,
  AddTeamEventInput,
  AddVaultActivityInput,
  AutoGrowOptions,
  FaultBody,
  FaultTarget,
  FeedOptions,
  PraFault,
  PraLocale,
  PraNamespace,
  PraSimulator,
  PraSimulatorOptions,
  RecordedRequest,
  SessionFailureMode,
  SimEvent,
  SimReport,
  SimSession,
  SimSyslogRecord,
  SimTeam,
  SimTeamEvent,
  SimVaultActivity,
} from './types';

export * from './types';
export { NAMESPACE_URIS, NO_DATA_BODY, renderEvent } from './render';
export { madeUpLanguage } from './language';

/** PRA keeps at most this many valid tokens per API account; the next one evicts the oldest. */
const MAX_TOKENS = 30;
const XML_TYPE = 'text/xml; charset=UTF-8';
const JSON_TYPE = 'application/json';
/**
 * Bytes of finished session renderings kept for reuse: enough for the sessions a collector asks
 * for again (retries, split batches), far less than a large tenant's whole history.
 */
const RENDER_CACHE_BYTES = 64 * 1024 * 1024;

/** Options with their defaults; the feeds apply their own. */
type SimulatorSettings = Required<Omit<PraSimulatorOptions, 'prefix' | keyof FeedOptions>> & {
  prefix?: string;
  feeds: FeedOptions;
};

/** A reply before faults shape it: status, headers and a body produced chunk by chunk. */
interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;
  /** Destroy the socket once the body is written instead of ending the response cleanly. */
  destroyAtEnd?: boolean;
  /** Neither end nor destroy once the body is written: the reply stays open until the client leaves. */
  hang?: boolean;
  returned?: string[];
  lsids?: string[];
  fault?: RecordedRequest['fault'];
}

function textReply(
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): Reply {
  return { status, headers: { 'Content-Type': contentType, ...headers }, body: [body] };
}

function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return textReply(status, JSON_TYPE, JSON.stringify(value), headers);
}

function targetOf(path: string): FaultTarget | undefined {
  if (path === '/oauth2/token') return 'token';
  if (path === '/api/reporting') return 'reporting';
  return undefined;
}

/** `Basic base64(id:secret)` → [id, secret]; the secret may itself contain colons. */
function basicCredentials(header: string | undefined): [string, string] | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

/**
 * A TCP RST rather than a FIN: with `Connection: close` a body may be delimited by the close itself,
 * so only a reset lets the client tell a cut transfer from a complete one, as with a real reset.
 */
function resetConnection(res: ServerResponse): void {
  if (res.socket) res.socket.resetAndDestroy();
  else res.destroy();
}

/** Waits until the socket takes more data, or the connection closes (a client giving up mid-report). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      // Drops the listener of whichever event did not fire, so long reports do not pile them up.
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

function faultReply(fault: Extract<PraFault, { kind: 'body' }>): Reply {
  const body: FaultBody = fault.body;
  return {
    status: fault.status ?? 200,
    headers: { 'Content-Type': fault.contentType ?? XML_TYPE },
    body: typeof body === 'function' ? body() : [body],
    hang: fault.hang,
  };
}

/** The first half of a body, in bytes: a cut-short XML document or ZIP archive. */
async function firstHalf(body: Reply['body']): Promise<Uint8Array[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  const whole = Buffer.concat(chunks);
  return [whole.subarray(0, Math.floor(whole.length / 2))];
}

/** The lsids an AccessSession request asks for, as the reporting API reads `lsid` and `lsids`. */
function askedLsids(params: Record<string, string>): string[] {
  return [params.lsid, params.lsids].flatMap((value) => value?.split(',') ?? []);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

class Simulator implements PraSimulator {
  readonly requests: RecordedRequest[] = [];
  url = '';
  private issued = 0;
  /** Valid tokens, oldest first, with their expiry in unix seconds. */
  private tokens: Array<{ token: string; expiresAt: number }> = [];
  private style: XmlStyle;
  private readonly faults: PraFault[] = [];
  private readonly failing = new Map<string, SessionFailureMode>();
  private readonly waiters = new Waiters();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Aborts pending `slow` delays on close so no handler writes to a closed server. */
  private readonly closing = new AbortController();
  private readonly server: Server;
  private readonly generator: SessionGenerator;
  private readonly index: SessionIndex;
  private readonly renderings = new RenderCache(RENDER_CACHE_BYTES);
  private readonly now: () => number;
  private readonly feeds: FeedReports;
  private readonly refusals: Omit<RefusalSettings, 'locale' | 'reportError'>;

  constructor(private readonly options: SimulatorSettings) {
    this.now = options.now;
    this.style = { namespace: options.namespace, prefix: options.prefix };
    this.generator = new SessionGenerator(options);
    this.index = new SessionIndex(this.generator.initialSessions(this.now()));
    this.feeds = new FeedReports(options.feeds, {
      seed: options.seed,
      clientId: options.clientId,
      now: this.now(),
      historySeconds: options.historySeconds,
    });
    this.refusals = {
      missingReports: options.feeds.missingReports ?? {},
      rejectWindowsOlderThan: options.feeds.rejectWindowsOlderThan,
    };
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  get tokensIssued(): number {
    return this.issued;
  }

  get sessions(): SimSession[] {
    return this.index.sessions;
  }

  async listen(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  setNamespace(ns: PraNamespace, prefix?: string): void {
    this.style = { namespace: ns, prefix };
  }

  injectFault(fault: PraFault): void {
    if (fault.count > 0) this.faults.push(fault);
  }

  failSession(lsid: string, mode: SessionFailureMode = 'status'): void {
    this.failing.set(lsid, mode);
  }

  evictTokens(): void {
    this.tokens = [];
  }

  addSession(partial: AddSessionInput = {}): SimSession {
    const { events, ...fields } = partial;
    const session = this.generator.newSession(
      fields,
      events ?? Math.max(Math.floor(this.options.eventsPerSession / 4), 2),
      this.now(),
    );
    this.index.add(session);
    this.notify();
    return session;
  }

  growSession(lsid: string, events: number): SimEvent[] {
    const added = this.generator.grow(this.openSession(lsid), events, this.now());
    this.notify();
    return added;
  }

  endSession(lsid: string): void {
    const session = this.openSession(lsid);
    this.generator.end(session, this.now());
    this.index.ended(session);
    this.notify();
  }

  autoGrow(intervalMs: number, options: AutoGrowOptions = {}): () => void {
    const timer = setInterval(() => {
      const now = this.now();
      for (const s of this.index.runningSessions()) {
        this.generator.grow(s, options.events ?? 1, now, options.stampNow === true ? now : undefined);
      }
      this.notify();
    }, intervalMs);
    this.timers.add(timer);
    return () => {
      clearInterval(timer);
      this.timers.delete(timer);
    };
  }

  renderAccessSession(lsids: string[]): string {
    const views = this.index.select({ report: 'AccessSession', lsids }, this.now());
    return collect(
      accessSessionChunks(views, { style: this.style, baseUrl: this.url, cache: this.renderings }),
    );
  }

  waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    return this.waiters.waitFor(predicate, timeoutMs);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    this.closing.abort();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private openSession(lsid: string): SimSession {
    const session = this.index.find(lsid);
    if (!session) throw new Error(`PRA simulator: unknown session ${lsid}`);
    if (session.endTime !== null) throw new Error(`PRA simulator: session ${lsid} has already ended`);
    return session;
  }

  private notify(): void {
    this.waiters.notify();
  }

  /** The first queued fault aimed at this request, consumed by one use. */
  private takeFault(record: RecordedRequest): PraFault | undefined {
    const target = targetOf(record.path);
    const index = this.faults.findIndex(
      (f) =>
        ((f.target ?? 'any') === 'any' || f.target === target) &&
        (f.lsid === undefined || (target === 'reporting' && askedLsids(record.params).includes(f.lsid))) &&
        (f.report === undefined || record.params.generate_report === f.report),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index];
    if (--fault.count <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = this.now();
    const url = new URL(req.url ?? '/', 'http://simulator');
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      params: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      status: 0,
      at,
    };
    try {
      const body = await readBody(req);
      if (/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
        Object.assign(record.params, Object.fromEntries(new URLSearchParams(body)));
      }
      const fault = this.takeFault(record);
      if (fault) record.fault = fault.kind;
      if (fault?.kind === 'reset' && fault.afterBytes === undefined) {
        resetConnection(res);
        return;
      }
      if (fault?.kind === 'status') {
        const retry: Record<string, string> =
          fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) };
        await this.send(
          res,
          record,
          textReply(fault.status, 'text/plain; charset=UTF-8', `HTTP ${fault.status}`, retry),
        );
        return;
      }
      if (fault?.kind === 'body') {
        await this.send(res, record, faultReply(fault));
        return;
      }
      if (fault?.kind === 'slow') await delay(fault.delayMs, undefined, { signal: this.closing.signal });
      const reply = this.route(req.method ?? '', record);
      if (fault?.kind === 'malformed') reply.body = await firstHalf(reply.body);
      await this.send(res, record, reply, fault?.kind === 'reset' ? fault.afterBytes : undefined);
    } catch (error) {
      if (res.headersSent || res.destroyed || this.closing.signal.aborted) {
        // A client that went away, or close() aborting a slow reply: nothing left to answer.
        res.destroy();
      } else {
        // A simulator bug: surface it to the test instead of hanging the client.
        record.status = 500;
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8' }).end(String(error));
      }
    } finally {
      this.requests.push(record);
      this.notify();
    }
  }

  private route(method: string, record: RecordedRequest): Reply {
    if (record.path === '/oauth2/token') {
      return method === 'POST'
        ? this.token(record)
        : jsonReply(405, { error: 'invalid_request' }, { Allow: 'POST' });
    }
    if (record.path === '/api/reporting') {
      // PRA takes GET too; the collector POSTs, so that is all the simulator serves.
      return method === 'POST'
        ? this.report(record)
        : textReply(405, 'text/plain', 'Method Not Allowed', { Allow: 'POST' });
    }
    return textReply(404, 'text/plain', 'Not Found');
  }

  private token(record: RecordedRequest): Reply {
    const credentials = basicCredentials(record.headers.authorization as string | undefined);
    if (
      !credentials ||
      credentials[0] !== this.options.clientId ||
      credentials[1] !== this.options.clientSecret
    ) {
      return jsonReply(401, { error: 'invalid_client' }, { 'WWW-Authenticate': 'Basic realm="oauth2"' });
    }
    const grant = record.params.grant_type;
    if (grant === undefined) return jsonReply(400, { error: 'invalid_request' });
    if (grant !== 'client_credentials') return jsonReply(400, { error: 'unsupported_grant_type' });
    const now = this.now();
    this.tokens = this.tokens.filter((t) => t.expiresAt > now);
    if (this.tokens.length >= MAX_TOKENS) this.tokens.shift();
    const token = this.options.tokenPrefix + randomBytes(24).toString('base64url');
    this.tokens.push({ token, expiresAt: now + this.options.tokenExpiresIn });
    this.issued++;
    this.feeds.syslog.logToken(now);
    return jsonReply(200, {
      access_token: token,
      token_type: 'bearer',
      expires_in: this.options.tokenExpiresIn,
    });
  }

  private report(record: RecordedRequest): Reply {
    const now = this.now();
    const bearer = /^Bearer\s+(\S+)$/i.exec((record.headers.authorization as string | undefined) ?? '')?.[1];
    if (!this.tokens.some((t) => t.token === bearer && t.expiresAt > now)) {
      return jsonReply(
        401,
        { error: 'invalid_token' },
        { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      );
    }
    const refused = refusal(record.params, now, {
      ...this.refusals,
      locale: this.feeds.locale,
      reportError: this.feeds.errorFor(record.params.generate_report),
    });
    if (refused !== undefined && 'status' in refused) return textReply(404, 'text/plain', 'Not Found');
    if (refused !== undefined) return textReply(200, XML_TYPE, renderError(refused.error, this.style));
    const feedReply = this.feeds.reply(record.params, now, this.style);
    if (feedReply) return feedReply;
    const query = parseReportQuery(record.params);
    if ('error' in query) return textReply(200, XML_TYPE, renderError(query.error, this.style));
    record.lsids = query.lsids;
    const views = this.index.select(query, now);
    record.returned = views.map((v) => v.session.lsid);
    const headers = { 'Content-Type': XML_TYPE };
    if (query.report === 'AccessSessionListing') {
      return {
        status: 200,
        headers,
        body: coalesced(
          listingChunks(
            views.map((v) => v.session),
            this.style,
            noDataBody('AccessSessionListing', this.feeds.locale),
          ),
        ),
      };
    }
    // A failed session breaks every AccessSession report it is asked for or would appear in.
    const broken = [...(query.lsids ?? []), ...record.returned].find((lsid) => this.failing.has(lsid));
    const mode = broken === undefined ? undefined : this.failing.get(broken);
    if (mode === 'status') {
      return {
        ...textReply(500, 'text/plain; charset=UTF-8', 'Internal Server Error'),
        fault: 'failSession',
      };
    }
    return {
      status: 200,
      headers,
      body: coalesced(
        accessSessionChunks(views, {
          style: this.style,
          baseUrl: this.url,
          breakAt: broken,
          cache: this.renderings,
          noDataBody: noDataBody('AccessSession', this.feeds.locale),
        }),
      ),
      destroyAtEnd: mode === 'reset',
      fault: mode ? 'failSession' : undefined,
    };
  }

  /**
   * Streams the reply with backpressure. `cutAfter` destroys the socket after that many body bytes
   * (headers already sent), as a connection reset in mid-transfer.
   */
  private async send(
    res: ServerResponse,
    record: RecordedRequest,
    reply: Reply,
    cutAfter?: number,
  ): Promise<void> {
    record.status = reply.status;
    if (reply.fault) record.fault = reply.fault;
    res.writeHead(reply.status, reply.headers);
    let budget = cutAfter ?? Infinity;
    for await (const chunk of reply.body) {
      if (res.destroyed) throw new Error('client went away');
      let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
      if (bytes.length >= budget) bytes = bytes.subarray(0, budget);
      budget -= bytes.length;
      if (!res.write(bytes)) await drained(res);
      if (budget <= 0) break;
    }
    if (reply.destroyAtEnd || cutAfter !== undefined) {
      // Let what was written reach the client, then drop the connection without ending the body.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      resetConnection(res);
      return;
    }
    if (reply.hang) {
      if (!res.closed) await once(res, 'close');
      return;
    }
    res.end();
  }

  get vaultActivity(): readonly SimVaultActivity[] {
    return this.feeds.vault.activity;
  }

  get teams(): readonly SimTeam[] {
    return this.feeds.team.teams;
  }

  get syslogRecords(): readonly SimSyslogRecord[] {
    return this.feeds.syslog.log.records;
  }

  currentTime(): number {
    return this.now();
  }

  addVaultActivity(input: AddVaultActivityInput = {}): SimVaultActivity {
    const activity = this.feeds.vault.add(input, this.now());
    this.notify();
    return activity;
  }

  addTeamEvent(input: AddTeamEventInput = {}): SimTeamEvent {
    const event = this.feeds.team.add(input, this.now());
    this.notify();
    return event;
  }

  addSyslogRecord(input: AddSyslogRecordInput = {}): SimSyslogRecord {
    const record = this.feeds.syslog.add(input, this.now());
    this.notify();
    return record;
  }

  continueSyslogRecord(record: SimSyslogRecord, segments?: number): void {
    this.feeds.syslog.continue(record, segments, this.now());
    this.notify();
  }

  rotateSyslog(options: { keep?: number } = {}): void {
    this.feeds.syslog.rotate(this.now(), options.keep);
    this.notify();
  }

  setLocale(locale: PraLocale): void {
    this.feeds.locale = locale;
  }

  setWindowSlack(seconds: number): void {
    this.feeds.windowSlack = seconds;
  }

  setReportError(report: SimReport, message: string | undefined): void {
    this.feeds.setError(report, message);
  }
}

export async function startPraSimulator(options: PraSimulatorOptions = {}): Promise<PraSimulator> {
  const simulator = new Simulator({
    seed: options.seed ?? 1,
    clientId: options.clientId ?? 'sim-client',
    clientSecret: options.clientSecret ?? 'sim-secret',
    tokenExpiresIn: options.tokenExpiresIn ?? 3600,
    tokenPrefix: options.tokenPrefix ?? '',
    namespace: options.namespace ?? 'sra',
    prefix: options.prefix,
    closedSessions: options.closedSessions ?? 5,
    openSessions: options.openSessions ?? 2,
    eventsPerSession: options.eventsPerSession ?? 20,
    historySeconds: options.historySeconds ?? 3600,
    now: options.now ?? (() => Math.floor(Date.now() / 1000)),
    feeds: options,
  });
  await simulator.listen();
  return simulator;
}

/** A clock for `now` that only moves when told to, so tests can expire tokens or age data without sleeping. */
export function manualClock(start: number): {
  now: () => number;
  advance: (seconds: number) => void;
  set: (t: number) => void;
} {
  let current = start;
  return {
    now: () => current,
    advance: (seconds) => {
      current += seconds;
    },
    set: (t) => {
      current = t;
    },
  };
}
