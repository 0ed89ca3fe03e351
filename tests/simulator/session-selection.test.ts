import { Rng } from '../../simulator/pra/data';
import { manualClock, type PraSimulator, type SimSession } from '../../simulator/pra';
import { closeSimulators, NOW, report, start, token } from './pra-http';

/** A session as the test added it, with its rank: the order reports must follow is start time, then rank. */
interface Known {
  session: SimSession;
  rank: number;
}

interface Query {
  params: Record<string, string>;
  /** Bounds inclusive; `to` null for `duration=0`, up to now. */
  window?: { field: 'start' | 'end'; from: number; to: number | null };
  lsids?: string[];
}

/** Start time, then the order sessions came in: the order of `sessions` and of every report. */
function reportOrder(known: Known[]): SimSession[] {
  return [...known]
    .sort((a, b) => a.session.startTime - b.session.startTime || a.rank - b.rank)
    .map((k) => k.session);
}

/** What a report selects, by visiting every session: the rules stated independently of the index. */
function scan(known: Known[], query: Query, now: number): string[] {
  return reportOrder(known)
    .filter((s) => {
      if (s.startTime > now) return false;
      if (query.lsids && !query.lsids.includes(s.lsid)) return false;
      const window = query.window;
      if (!window) return true;
      // An end still to come is no end yet: such a session is running at `now`.
      const end = s.endTime !== null && s.endTime <= now ? s.endTime : null;
      const at = window.field === 'start' ? s.startTime : end;
      return at !== null && at >= window.from && (window.to === null || at <= window.to);
    })
    .map((s) => s.lsid);
}

function randomWindow(rng: Rng, now: number): Query {
  const field = rng.chance(0.5) ? 'start' : 'end';
  const from = now - rng.int(-20, 4000);
  const duration = rng.chance(0.3) ? 0 : rng.int(0, 2000);
  return {
    params: { [`${field}_time`]: String(from), duration: String(duration) },
    window: { field, from, to: duration === 0 ? null : from + duration },
  };
}

function randomQuery(rng: Rng, known: Known[], now: number): Query {
  const roll = rng.next();
  if (roll < 0.6) return randomWindow(rng, now);
  const lsids = Array.from({ length: rng.int(1, 6) }, () =>
    rng.chance(0.1) ? 'unknown-lsid' : rng.pick(known).session.lsid,
  );
  const byLsid: Query = { params: { lsids: lsids.join(',') }, lsids };
  if (roll < 0.8) return byLsid;
  const window = randomWindow(rng, now);
  return { ...window, params: { ...window.params, ...byLsid.params }, lsids };
}

/** Adds, grows or ends a session, as a live tenant changes between two reports. */
function mutate(rng: Rng, sim: PraSimulator, known: Known[], now: number): void {
  // Growing or ending goes by lsid, which names the first session holding it: skip shared lsids.
  const shared = (lsid: string): boolean => known.filter((k) => k.session.lsid === lsid).length > 1;
  const running = known.filter((k) => k.session.endTime === null && !shared(k.session.lsid));
  const roll = rng.next();
  if (roll < 0.5 || running.length === 0) {
    // Whole ten seconds, so that many sessions share their start and only their rank orders them.
    const startTime = now - 10 * rng.int(-3, 300);
    const endTime = rng.chance(0.4) ? null : startTime + rng.int(0, 600);
    const lsid = rng.chance(0.1) ? rng.pick(known).session.lsid : undefined;
    const session = sim.addSession({ startTime, endTime, events: rng.int(1, 6), ...(lsid && { lsid }) });
    known.push({ session, rank: known.length });
  } else if (roll < 0.75) {
    sim.growSession(rng.pick(running).session.lsid, rng.int(1, 3));
  } else {
    sim.endSession(rng.pick(running).session.lsid);
  }
}

describe('PRA simulator: session selection through the indexes', () => {
  let sim: PraSimulator;
  let bearer: string;

  afterEach(closeSimulators);

  async function reportLsids(params: Record<string, string>): Promise<string[]> {
    // Keep-alive: 300 requests need not open 300 connections.
    expect((await report(sim, bearer, params, 'keep-alive')).status).toBe(200);
    return sim.requests.at(-1)?.returned ?? [];
  }

  it('returns exactly what a scan of every session returns, as sessions come, grow and end', async () => {
    const rng = new Rng(2024);
    const clock = manualClock(NOW);
    sim = await start({
      now: clock.now,
      closedSessions: 40,
      openSessions: 6,
      eventsPerSession: 4,
      historySeconds: 3000,
      // The clock moves on by hours over the test; the token must outlive it.
      tokenExpiresIn: 86_400,
    });
    bearer = await token(sim);
    const known: Known[] = sim.sessions.map((session, rank) => ({ session, rank }));

    for (let round = 0; round < 300; round++) {
      if (rng.chance(0.5)) mutate(rng, sim, known, clock.now());
      if (rng.chance(0.3)) clock.advance(rng.int(0, 120));
      const query = randomQuery(rng, known, clock.now());
      const expected = scan(known, query, clock.now());
      // Listings take no lsids; a window alone works with both reports.
      const reportType = query.lsids || rng.chance(0.5) ? 'AccessSession' : 'AccessSessionListing';
      const params = { ...query.params, generate_report: reportType };
      const returned = await reportLsids(params);
      // The round and parameters make a failure say which query went wrong.
      expect({ round, params, returned }).toEqual({ round, params, returned: expected });
    }
    expect(known.length).toBeGreaterThan(80);
    const ordered = reportOrder(known);
    expect(sim.sessions.every((s, i) => s === ordered[i])).toBe(true);
  });
});
