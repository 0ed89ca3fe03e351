import { Readable } from 'node:stream';
import { eventIdentity } from '../module/feeds/sessions/event-identity';
import type { SessionEvent } from '../module/feeds/sessions/events';
import { parseAccessSessionReport } from '../module/feeds/sessions/report-parser';
import type { PraSimulator } from './pra';

/** What the intake received compared with what PRA holds: the measure of "no loss, no duplicates". */
export interface DeliveryReport {
  expected: number;
  delivered: number;
  /** Expected events that never arrived. */
  lost: number;
  /** Extra copies of expected events. */
  duplicated: number;
  /** Delivered events PRA does not hold (must be 0: a mangled or invented event). */
  unexpected: number;
  /** A few lost events, for the failure message. */
  lostSamples: string[];
}

/** Every expected event arrived exactly once: none lost, duplicated or unexpected. */
export function isExact(report: Pick<DeliveryReport, 'lost' | 'duplicated' | 'unexpected'>): boolean {
  return report.lost === 0 && report.duplicated === 0 && report.unexpected === 0;
}

/**
 * Every event the simulator holds for `lsids` (default: all sessions), serialised the way the
 * collector forwards them. The simulator guarantees events are distinct within a session, so a
 * multiset comparison with the intake is exact.
 */
export async function expectedEvents(pra: PraSimulator, lsids?: string[]): Promise<string[]> {
  const wanted = lsids ?? pra.sessions.map((session) => session.lsid);
  const events: string[] = [];
  if (wanted.length === 0) return events;
  for await (const item of parseAccessSessionReport(Readable.from([pra.renderAccessSession(wanted)]))) {
    if (item.kind === 'event') events.push(JSON.stringify(item.event));
  }
  return events;
}

/**
 * Matches events by identity (see eventIdentity): an event forwarded while its session ran carries
 * the session counters of that moment, and is still the same event once the session has ended.
 */
export function compareDeliveries(expected: readonly string[], delivered: readonly string[]): DeliveryReport {
  return compareMultisets(expected.map(identityOf), delivered.map(identityOf));
}

/**
 * Compares two multisets of event keys: each expected copy must arrive once. A delivered key beyond
 * its expected count is duplicated when it was expected at all, unexpected otherwise.
 */
export function compareMultisets(expected: readonly string[], delivered: readonly string[]): DeliveryReport {
  const remaining = new Map<string, number>();
  for (const event of expected) remaining.set(event, (remaining.get(event) ?? 0) + 1);
  let duplicated = 0;
  let unexpected = 0;
  const seen = new Set<string>();
  for (const event of delivered) {
    const left = remaining.get(event);
    if (left === undefined) {
      if (seen.has(event)) duplicated++;
      else unexpected++;
      continue;
    }
    seen.add(event);
    if (left === 1) remaining.delete(event);
    else remaining.set(event, left - 1);
  }
  let lost = 0;
  const lostSamples: string[] = [];
  for (const [event, count] of remaining) {
    lost += count;
    if (lostSamples.length < 3) lostSamples.push(event);
  }
  return {
    expected: expected.length,
    delivered: delivered.length,
    lost,
    duplicated,
    unexpected,
    lostSamples,
  };
}

function identityOf(json: string): string {
  try {
    return eventIdentity(JSON.parse(json) as SessionEvent);
  } catch {
    return json;
  }
}
