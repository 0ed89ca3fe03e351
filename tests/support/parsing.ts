import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportItem, SessionEvent } from '../../module/feeds/sessions/events';
import { parseAccessSessionReport, type ParseOptions } from '../../module/feeds/sessions/report-parser';
import { Rng } from '../../simulator/pra/data';
import { collect } from './async';
import { FIXTURES } from './paths';

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

/** The bytes of `data` cut into pieces whose sizes `nextSize` picks, as a network stream would. */
export async function* chunked(
  data: Buffer,
  nextSize: () => number = () => data.length,
): AsyncGenerator<Buffer> {
  for (let start = 0; start < data.length;) {
    const end = Math.min(data.length, start + Math.max(1, nextSize()));
    yield data.subarray(start, end);
    start = end;
  }
}

/** The given pieces as an async stream, like a Readable's chunks. */
export async function* stream(...pieces: (Buffer | string)[]): AsyncGenerator<Buffer | string> {
  yield* pieces;
}

/** Everything `parse` yields for `data` fed in pieces of the sizes `nextSize` picks. */
export async function parseAll<T>(
  parse: (input: AsyncIterable<Buffer | string>) => AsyncIterable<T>,
  data: string | Buffer,
  nextSize?: () => number,
): Promise<T[]> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return collect(parse(chunked(bytes, nextSize)));
}

/** Everything the AccessSession parser yields for `xml`, fed in pieces of the sizes `nextSize` picks. */
export async function items(
  xml: string | Buffer,
  options?: ParseOptions,
  nextSize?: () => number,
): Promise<ReportItem[]> {
  return parseAll((input) => parseAccessSessionReport(input, options), xml, nextSize);
}

export async function events(xml: string | Buffer, options?: ParseOptions): Promise<SessionEvent[]> {
  return (await items(xml, options)).flatMap((item) => (item.kind === 'event' ? [item.event] : []));
}

/** A report holding `body` inside `<session_list>` of the live-tenant namespace. */
export function report(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<session_list xmlns="http://www.beyondtrust.com/sra/namespaces/API/reporting">${body}</session_list>`;
}

/** One session with the given inner XML. */
export function session(inner: string, lsid = 'abc123'): string {
  return report(`<session lsid="${lsid}">${inner}</session>`);
}

/** The error `promise` rejects with, so that its class and fields can be checked. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure, got none');
}

/** Seeded chunk sizes from 1 to `max` (the simulator's Rng), so that a failing split can be replayed from its seed. */
export function randomSizes(seed: number, max: number): () => number {
  const rng = new Rng(seed);
  return () => rng.int(1, max);
}
