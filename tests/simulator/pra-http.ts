/**
 * What the feed tests of the PRA simulator share: simulators closed after each test, a token, a
 * reporting request over real HTTP, and the Syslog ZIP read back with yauzl.
 */
import { gunzipSync } from 'node:zlib';

import { fromBufferPromise } from 'yauzl';

import { startPraSimulator, type PraSimulator, type PraSimulatorOptions } from '../../simulator/pra';

export const NOW = 1_764_150_000;

const open: PraSimulator[] = [];

/** A simulator on a fixed clock unless `now` says otherwise; closed by `closeSimulators`. */
export async function start(options: PraSimulatorOptions = {}): Promise<PraSimulator> {
  const sim = await startPraSimulator({ now: () => NOW, ...options });
  open.push(sim);
  return sim;
}

export async function closeSimulators(): Promise<void> {
  await Promise.all(open.splice(0).map((s) => s.close()));
}

/** `Basic` credentials for a client; the simulator's own by default. */
export function basic(id = 'sim-client', secret = 'sim-secret'): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** POST /oauth2/token with `auth` as Authorization (none when empty) and the given grant type. */
export async function tokenResponse(
  sim: PraSimulator,
  auth: string | undefined = basic(),
  grant = 'client_credentials',
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (auth) headers.Authorization = auth;
  headers['Content-Type'] = 'application/x-www-form-urlencoded';
  headers.Connection = 'close';
  return fetch(`${sim.url}/oauth2/token`, { method: 'POST', headers, body: `grant_type=${grant}` });
}

export async function token(sim: PraSimulator): Promise<string> {
  const res = await tokenResponse(sim);
  if (res.status !== 200) throw new Error(`token request answered ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export interface ReportReply {
  status: number;
  headers: Headers;
  contentType: string | null;
  bytes: Buffer;
  text: string;
}

/**
 * POST /api/reporting with form parameters, as the collectors send it. Fault tests that expect a
 * reset use keep-alive: on a `Connection: close` reply undici (Node's fetch) deliberately treats
 * ECONNRESET as the end of the body, so a cut transfer would resolve with a truncated text instead of
 * failing.
 */
export async function report(
  sim: PraSimulator,
  bearer: string,
  params: Record<string, string>,
  connection = 'close',
): Promise<ReportReply> {
  const res = await fetch(`${sim.url}/api/reporting`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${bearer}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      Connection: connection,
    },
    body: new URLSearchParams(params).toString(),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    contentType: res.headers.get('content-type'),
    bytes,
    text: bytes.toString('utf8'),
  };
}

export interface ArchiveEntry {
  name: string;
  mtime: Date;
  /** As stored in the archive: gzip bytes for `.gz` members. */
  raw: Buffer;
  /** The file's content: `raw`, gunzipped for `.gz` members. */
  content: Buffer;
}

/** Every member of a ZIP, in archive order. */
export async function readZip(bytes: Buffer): Promise<ArchiveEntry[]> {
  const zip = await fromBufferPromise(bytes, { lazyEntries: true });
  const members: ArchiveEntry[] = [];
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    members.push({
      name: entry.fileName,
      mtime: entry.getLastModDate(),
      raw,
      content: entry.fileName.endsWith('.gz') ? gunzipSync(raw) : raw,
    });
  }
  return members;
}

/** The Syslog report, downloaded and unzipped. */
export async function syslogArchive(sim: PraSimulator, bearer: string): Promise<ArchiveEntry[]> {
  const res = await report(sim, bearer, { generate_report: 'Syslog' });
  if (res.contentType !== 'application/zip')
    throw new Error(`Syslog answered ${res.contentType}: ${res.text}`);
  return readZip(res.bytes);
}
