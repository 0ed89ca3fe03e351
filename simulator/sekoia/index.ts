/**
 * The Sekoia platform endpoints a module talks to (intake `/batch`, logs, secrets, callback), on loopback,
 * for tests, the demo and benchmarks. Faults can be queued on the intake to exercise retries.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { Waiters } from '../wait';

export interface SekoiaSimulatorOptions {
  intakeKey?: string;
  token?: string;
  secrets?: Record<string, string>;
  /** Default true; false = count only, for benchmarks. */
  storeEvents?: boolean;
  /**
   * Called for every accepted intake batch, as it is stored. Per-batch timing and identity let the
   * soak tell which collector run sent a duplicate and measure delivery delays, which counts alone cannot.
   */
  onBatch?: (batch: AcceptedBatch) => void;
}

export interface AcceptedBatch {
  jsons: readonly string[];
  /** Date.now() when the whole request body had arrived (before any injected delay). */
  receivedAt: number;
  /** Date.now() when the events were stored. */
  acceptedAt: number;
}

export interface IntakeFault {
  /** 500, 429, 413... */
  status?: number;
  count: number;
  delayMs?: number;
  resetConnection?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  bytes: number;
  at: number;
}

export interface SekoiaSimulator {
  readonly url: string;
  readonly intakeUrl: string;
  readonly callbackUrl: string;
  readonly logsUrl: string;
  readonly secretsUrl: string;
  readonly events: string[];
  readonly eventCount: number;
  readonly logs: Array<{ date: string; level: string; message: string }>;
  readonly callbacks: unknown[];
  readonly patches: unknown[];
  readonly requests: RecordedRequest[];
  /** Intake batches whose body has arrived, answered or not: a push is in flight when it exceeds the answered ones. */
  readonly batchesReceived: number;
  injectIntakeFault(fault: IntakeFault): void;
  setPatchReply(body: unknown): void;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_INTAKE_KEY = 'simulated-intake-key';
export const DEFAULT_TOKEN = 'simulated-platform-token';
/** The intake refuses bodies above 10 MiB. */
const MAX_BODY_BYTES = 10_485_760;
const INTAKE_PATH = '/api/v1/intake-http';

class Simulator implements SekoiaSimulator {
  readonly events: string[] = [];
  readonly logs: Array<{ date: string; level: string; message: string }> = [];
  readonly callbacks: unknown[] = [];
  readonly patches: unknown[] = [];
  readonly requests: RecordedRequest[] = [];
  url = '';
  batchesReceived = 0;
  private count = 0;
  private readonly faults: IntakeFault[] = [];
  private patchReply: unknown = {};
  private readonly waiters = new Waiters();
  private readonly server: http.Server;
  private readonly intakeKey: string;
  private readonly token: string;

  constructor(private readonly options: SekoiaSimulatorOptions) {
    this.intakeKey = options.intakeKey ?? DEFAULT_INTAKE_KEY;
    this.token = options.token ?? DEFAULT_TOKEN;
    this.server = http.createServer((req, res) => {
      // A client that resets mid-request has nobody to answer; the request is simply not recorded.
      this.handle(req, res).catch(() => req.socket.destroy());
    });
    this.server.keepAliveTimeout = 0;
  }

  get intakeUrl(): string {
    return `${this.url}${INTAKE_PATH}`;
  }
  get callbackUrl(): string {
    return `${this.url}/callback`;
  }
  get logsUrl(): string {
    return `${this.url}/logs`;
  }
  get secretsUrl(): string {
    return `${this.url}/secrets`;
  }
  get eventCount(): number {
    return this.count;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  injectIntakeFault(fault: IntakeFault): void {
    this.faults.push({ ...fault });
  }

  setPatchReply(body: unknown): void {
    this.patchReply = body;
  }

  waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    return this.waiters.waitFor(predicate, timeoutMs);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const receivedAt = Date.now();
    res.setHeader('Connection', 'close');
    let status: number;
    if (method === 'POST' && path.endsWith('/batch')) {
      status = await this.intake(req, res, body, receivedAt);
    } else if (method === 'POST' && path === '/logs') {
      status = this.authorized(req) ? this.recordLogs(body) : 401;
      reply(res, status, status === 200 ? {} : { message: 'rejected' });
    } else if (method === 'GET' && path === '/secrets') {
      status = this.authorized(req) ? 200 : 401;
      reply(
        res,
        status,
        status === 200 ? { value: this.options.secrets ?? {} } : { message: 'unauthorized' },
      );
    } else if ((method === 'POST' || method === 'PATCH') && path === '/callback') {
      status = this.callback(req, method, body);
      reply(
        res,
        status,
        status === 200 ? (method === 'PATCH' ? this.patchReply : {}) : { message: 'bad request' },
      );
    } else {
      status = 404;
      reply(res, status, { message: 'not found' });
    }
    this.record(req, method, path, status, body.length);
  }

  private async intake(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    receivedAt: number,
  ): Promise<number> {
    this.batchesReceived += 1;
    this.notifyWaiters();
    const fault = this.faults[0];
    if (fault) {
      fault.count -= 1;
      if (fault.count <= 0) this.faults.shift();
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault.resetConnection) {
        req.socket.destroy();
        return 0;
      }
      if (fault.status) {
        reply(res, fault.status, { message: 'injected fault' });
        return fault.status;
      }
    }
    if (body.length > MAX_BODY_BYTES) return reply(res, 413, { message: 'request entity too large' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return reply(res, 400, { message: 'invalid JSON' });
    }
    const { intake_key: key, jsons } = (parsed ?? {}) as { intake_key?: unknown; jsons?: unknown };
    if (key !== this.intakeKey) return reply(res, 401, { message: 'invalid intake key' });
    if (!Array.isArray(jsons) || !jsons.every((j) => typeof j === 'string')) {
      return reply(res, 400, { message: 'jsons must be an array of strings' });
    }
    this.count += jsons.length;
    if (this.options.storeEvents !== false) this.events.push(...jsons);
    this.options.onBatch?.({ jsons, receivedAt, acceptedAt: Date.now() });
    return reply(res, 200, { event_ids: jsons.map(() => randomUUID()) });
  }

  private recordLogs(body: Buffer): number {
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { logs?: unknown };
      if (!Array.isArray(parsed.logs)) return 400;
      this.logs.push(...(parsed.logs as Array<{ date: string; level: string; message: string }>));
      return 200;
    } catch {
      return 400;
    }
  }

  private callback(req: http.IncomingMessage, method: string, body: Buffer): number {
    if (!this.authorized(req)) return 401;
    try {
      const parsed = JSON.parse(body.toString('utf8')) as unknown;
      (method === 'PATCH' ? this.patches : this.callbacks).push(parsed);
      return 200;
    } catch {
      return 400;
    }
  }

  private authorized(req: http.IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${this.token}`;
  }

  private record(
    req: http.IncomingMessage,
    method: string,
    path: string,
    status: number,
    bytes: number,
  ): void {
    this.requests.push({ method, path, headers: { ...req.headers }, status, bytes, at: Date.now() });
    this.notifyWaiters();
  }

  private notifyWaiters(): void {
    this.waiters.notify();
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function reply(res: http.ServerResponse, status: number, body: unknown): number {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
  return status;
}

export async function startSekoiaSimulator(options: SekoiaSimulatorOptions = {}): Promise<SekoiaSimulator> {
  const simulator = new Simulator(options);
  await simulator.start();
  return simulator;
}
