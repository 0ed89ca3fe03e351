import { DeliveryLedger } from '../../bench/delivery-ledger';
import { expectedEvents } from '../../simulator/delivery-check';
import { startPraSimulator, type PraSimulator } from '../../simulator/pra';

describe('bench DeliveryLedger', () => {
  let pra: PraSimulator;
  let forwarded: string[];

  beforeAll(async () => {
    // Every event kind, participants with and without fields, encoded chat: the default data set.
    pra = await startPraSimulator({ closedSessions: 30, openSessions: 0, eventsPerSession: 40 });
    forwarded = await expectedEvents(pra);
  });

  afterAll(async () => {
    await pra.close();
  });

  it('matches each simulated event with its contract JSON as the module forwards it', () => {
    const ledger = new DeliveryLedger(pra.sessions);
    expect(ledger.expected).toBe(forwarded.length);
    ledger.record(forwarded.slice(0, 500));
    expect(ledger.matched).toBe(500);
    ledger.record(forwarded.slice(500));
    expect(ledger.count()).toEqual({
      expected: forwarded.length,
      delivered: forwarded.length,
      lost: 0,
      duplicated: 0,
      unexpected: 0,
    });
  });

  it('does not depend on the order of keys in the JSON', () => {
    const ledger = new DeliveryLedger(pra.sessions);
    const reordered = (json: string): string => {
      const event = JSON.parse(json) as Record<string, unknown>;
      return JSON.stringify(Object.fromEntries(Object.entries(event).reverse()));
    };
    ledger.record(forwarded.map(reordered));
    expect(ledger.count().lost).toBe(0);
  });

  it('counts a lost, a duplicated, a mangled and a non-JSON event', () => {
    const ledger = new DeliveryLedger(pra.sessions);
    const [first, , third] = forwarded;
    const mangled = JSON.stringify({ ...(JSON.parse(third) as object), event_type: 'Made Up' });
    ledger.record([first, first, mangled, 'not json', ...forwarded.slice(3)]);
    expect(ledger.count()).toEqual({
      expected: forwarded.length,
      delivered: forwarded.length + 1,
      lost: 2,
      duplicated: 1,
      unexpected: 2,
    });
    expect(ledger.matched).toBe(forwarded.length - 2);
  });
});
