/**
 * Exactly-once accounting for the benchmarks: every event the PRA simulator holds must reach the
 * intake once. An event is known by a 96-bit digest of what makes it itself in the event contract
 * (session, timestamp, type, actor, target, data, chat text), read from the simulator's data on one
 * side and from the forwarded JSON on the other. That keeps a million events to a few tens of MB,
 * and the check independent of the collector's key order and of the module's own parser.
 */
import { hash } from 'node:crypto';
import type { DeliveryReport } from '../simulator/delivery-check';
import type { SimEvent, SimParty, SimSession } from '../simulator/pra';

/** The keys of a forwarded event the identity reads; the contract leaves a key out when empty. */
interface ForwardedEvent {
  session_id?: string;
  timestamp?: string;
  event_type?: string;
  performed_by?: Partial<SimParty>;
  destination?: Partial<SimParty>;
  data?: Record<string, string>;
  body?: string;
}

/** The delivery report of a check, without samples: the ledger keeps digests, not events. */
export type DeliveryCount = Omit<DeliveryReport, 'lostSamples'>;

/** An absent key and an empty one are the same to the contract, so both become ''. */
function partyKey(party: Partial<SimParty> | undefined): string[] {
  return [party?.type ?? '', party?.gsnumber ?? '', party?.name ?? ''];
}

/** Data values by name, sorted: the contract keeps the last of a repeated name, in no set order. */
function dataKey(pairs: Array<[string, string]>): Array<[string, string]> {
  return [...new Map(pairs)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function digest(identity: unknown[]): string {
  return hash('sha1', JSON.stringify(identity), 'base64').slice(0, 16);
}

function simulatedKey(lsid: string, event: SimEvent): string {
  return digest([
    lsid,
    String(event.timestamp),
    event.eventType,
    partyKey(event.performedBy),
    partyKey(event.destination),
    dataKey(event.data ?? []),
    event.body ?? '',
  ]);
}

/** undefined for text that is not a JSON object: an event no tenant holds. */
function forwardedKey(json: string): string | undefined {
  let event: ForwardedEvent;
  try {
    event = JSON.parse(json) as ForwardedEvent;
  } catch {
    return undefined;
  }
  if (typeof event !== 'object' || event === null) return undefined;
  return digest([
    event.session_id ?? '',
    event.timestamp ?? '',
    event.event_type ?? '',
    partyKey(event.performed_by),
    partyKey(event.destination),
    dataKey(Object.entries(event.data ?? {})),
    event.body ?? '',
  ]);
}

export class DeliveryLedger {
  /** Copies still expected, by event key; 0 once delivered, so a later copy counts as a duplicate. */
  private readonly remaining = new Map<string, number>();
  private expectedCount = 0;
  private deliveredCount = 0;
  private matchedCount = 0;
  private duplicated = 0;
  private unexpected = 0;

  /** Expects every event of `sessions` once. */
  constructor(sessions: readonly SimSession[]) {
    for (const session of sessions) {
      for (const event of session.events) {
        const key = simulatedKey(session.lsid, event);
        this.remaining.set(key, (this.remaining.get(key) ?? 0) + 1);
      }
      this.expectedCount += session.events.length;
    }
  }

  get expected(): number {
    return this.expectedCount;
  }

  get delivered(): number {
    return this.deliveredCount;
  }

  /** Expected events delivered at least once: the run is complete when this reaches `expected`. */
  get matched(): number {
    return this.matchedCount;
  }

  /** Accounts for one intake batch. */
  record(jsons: readonly string[]): void {
    for (const json of jsons) {
      const key = forwardedKey(json);
      const left = key === undefined ? undefined : this.remaining.get(key);
      if (key === undefined || left === undefined) this.unexpected++;
      else if (left === 0) this.duplicated++;
      else {
        this.remaining.set(key, left - 1);
        this.matchedCount++;
      }
    }
    this.deliveredCount += jsons.length;
  }

  count(): DeliveryCount {
    let lost = 0;
    for (const left of this.remaining.values()) lost += left;
    return {
      expected: this.expectedCount,
      delivered: this.deliveredCount,
      lost,
      duplicated: this.duplicated,
      unexpected: this.unexpected,
    };
  }
}
