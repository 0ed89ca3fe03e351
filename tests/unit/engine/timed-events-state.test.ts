/**
 * The Vault, Team and Syslog state as saved in context.json: every saved value is checked on
 * load, what cannot be used is dropped and named, and no saved time may be ahead of the clock.
 */
import { StateFormatError } from '../../../module/engine/state-store';
import { TimedEventsState, type TimedEventsStateContent } from '../../../module/engine/timed-events-state';
import { PRA_RETENTION_SECONDS as RETENTION_SECONDS } from '../../../module/pra/reports';

const NOW = 1_800_000_000;
const DAY = 86_400;
const OVERLAP = 300;
const FILE = '/data/context.json';

interface Notice {
  message: string;
  level: 'warning' | 'error';
}

const valid = (): TimedEventsStateContent => ({
  version: 1,
  most_recent_date_seen: '2027-01-15T08:00:00+00:00',
  watermark: NOW - 100,
  floor: NOW - DAY,
  accepted: { [NOW - 150]: { a: 2 } },
  failures: { [NOW - 50]: { count: 2, error: 'boom' } },
  set_aside: [{ from: NOW - 5000, to: NOW - 4999, at: NOW - 4000, failures: 5, error: 'e' }],
});

function open(saved: unknown, now = NOW): { state: TimedEventsState; notices: Notice[] } {
  const notices: Notice[] = [];
  const state = TimedEventsState.open(saved, now, DAY, OVERLAP, FILE);
  state.reportTo((message, level) => notices.push({ message, level }));
  return { state, notices };
}

describe('a saved window state of the wrong shape', () => {
  it('loads a valid one as saved, without a word', () => {
    const { state, notices } = open(valid());
    expect(notices).toEqual([]);
    expect(state.toJSON()).toEqual({ ...valid(), most_recent_date_seen: iso(NOW - 100) });
  });

  it('drops a null set-aside window and bad copies, naming the file, the key and why', () => {
    const saved = {
      ...valid(),
      set_aside: [null, ...valid().set_aside, { from: 'x' }],
      accepted: { [NOW - 150]: { a: 2, b: -1, c: null }, [NOW - 140]: 5, soon: { a: 1 } },
    };
    const { state, notices } = open(saved);
    expect(state.setAsideCount).toBe(1);
    expect(state.acceptedCopies(NOW - 150, 'a')).toBe(2);
    expect(state.acceptedCopies(NOW - 150, 'b')).toBe(0);
    expect(notices).toEqual([
      {
        level: 'error',
        message:
          `State file ${FILE}: 2 entries of accepted dropped, events of those seconds may be forwarded again: ` +
          `accepted["${NOW - 140}"] (not an object: 5); accepted["soon"] (the key is not a time in unix seconds).`,
      },
      {
        level: 'warning',
        message:
          `State file ${FILE}: 2 values of accepted ignored, the entries kept: accepted["${NOW - 150}"] ` +
          `("b" ignored, not a count: -1); accepted["${NOW - 150}"] ("c" ignored, not a count: null).`,
      },
      {
        level: 'error',
        message:
          `State file ${FILE}: 2 entries of set_aside dropped, the record of those windows is lost (their events ` +
          'were lost already): set_aside[0] (not an object: null); set_aside[2] (from is not a time in unix seconds: "x").',
      },
    ]);
  });

  it('drops failure counts that are not counts, so a window starts its count again', () => {
    const { state, notices } = open({ ...valid(), failures: { [NOW - 50]: 5, [NOW - 40]: { count: 1 } } });
    expect(state.pendingCount).toBe(1);
    expect(notices[0].message).toContain(`failures["${NOW - 50}"] (not an object: 5)`);
  });

  it('falls back on most_recent_date_seen for the watermark, on the retention for the floor, and refuses neither', () => {
    const { state, notices } = open({ ...valid(), watermark: '1', floor: null });
    expect(state.watermark).toBe(NOW);
    expect(state.horizon).toBe(state.watermark - OVERLAP);
    expect(notices.map((n) => n.level)).toEqual(['error', 'error']);
    expect(() => open({ ...valid(), watermark: null, most_recent_date_seen: 7 })).toThrow(StateFormatError);
    expect(() => open({ ...valid(), version: 3 })).toThrow(/unknown version 3/);
    expect(() => open('text')).toThrow(StateFormatError);
  });

  it('never throws anything but StateFormatError, whatever a field holds, and saves what it kept', () => {
    const hostile: unknown[] = [
      null,
      5,
      1.5,
      'x',
      true,
      [],
      [null],
      [5],
      {},
      { 1: null },
      { 1: 5 },
      { 1: { a: 'x' } },
      { x: {} },
    ];
    const fields = [
      'watermark',
      'floor',
      'most_recent_date_seen',
      'accepted',
      'failures',
      'set_aside',
      'version',
    ];
    for (const field of fields) {
      for (const value of hostile) {
        let state: TimedEventsState;
        try {
          state = open({ ...valid(), [field]: value }).state;
        } catch (error) {
          expect(error).toBeInstanceOf(StateFormatError);
          continue;
        }
        const again = TimedEventsState.open(
          JSON.parse(JSON.stringify(state.toJSON())),
          NOW,
          DAY,
          OVERLAP,
          FILE,
        );
        expect(again.toJSON()).toEqual(state.toJSON());
        again.advanceTo(NOW);
        again.clampToRetention(NOW + 60);
      }
    }
  });

  it('gives no event identity a special meaning', () => {
    const state = TimedEventsState.open(undefined, NOW, DAY, OVERLAP, FILE);
    state.recordAccepted(NOW - 10, '__proto__', 2);
    state.recordAccepted(NOW - 10, 'constructor', 1);
    const again = open(JSON.parse(JSON.stringify(state.toJSON()))).state;
    expect(again.acceptedCopies(NOW - 10, '__proto__')).toBe(2);
    expect(again.acceptedCopies(NOW - 10, 'constructor')).toBe(1);
    expect(again.acceptedCopies(NOW - 10, 'toString')).toBe(0);
  });

  it('takes over a Python checkpoint, and starts from the look-back window when it is no date', () => {
    expect(open({ most_recent_date_seen: '2027-01-15T07:00:00+00:00' }).state.watermark).toBe(NOW - 3600 + 1);
    const { state, notices } = open({ most_recent_date_seen: 1_700_000_000 });
    expect(state.watermark).toBe(NOW - DAY);
    expect(notices).toEqual([
      {
        level: 'error',
        message: `State file ${FILE}: most_recent_date_seen is not an ISO 8601 date (1700000000): collection starts from the configured look-back window.`,
      },
    ]);
  });
});

describe('a saved window state ahead of the clock', () => {
  it('pulls the watermark back to now, so collection resumes from now − overlap when even the horizon is ahead', () => {
    const saved = {
      ...valid(),
      watermark: NOW + 3600,
      floor: NOW + 3000,
      set_aside: [{ ...valid().set_aside[0], at: NOW + 10 }],
    };
    const { state, notices } = open(saved);
    expect(state.watermark).toBe(NOW);
    expect(state.horizon).toBe(NOW - OVERLAP);
    expect(state.toJSON().set_aside[0].at).toBe(NOW);
    expect(notices).toEqual([
      {
        level: 'warning',
        message:
          `State file ${FILE}: the watermark ${iso(NOW + 3600)} is ahead of the clock (${iso(NOW)}), probably ` +
          "saved while the host's clock was ahead: it is pulled back to now, and collection resumes from " +
          `${iso(NOW - OVERLAP)} so that nothing written since is missed.`,
      },
    ]);
  });

  it('resumes from the old horizon when it is before now: the copies kept start there', () => {
    const { state } = open({ ...valid(), watermark: NOW + 100 });
    expect(state.watermark).toBe(NOW);
    expect(state.horizon).toBe(NOW + 100 - OVERLAP);
  });

  it('does the same at the start of a cycle when the clock went back since the last one', () => {
    const { state, notices } = open(undefined);
    state.advanceTo(NOW + 3600);
    state.clampToRetention(NOW + 60);
    expect(state.watermark).toBe(NOW + 60);
    state.clampToRetention(NOW + 120);
    expect(notices).toHaveLength(1);
  });

  it('keeps the copies of seconds ahead of the clock: they are times given by PRA', () => {
    const { state } = open({ ...valid(), watermark: NOW + 100, accepted: { [NOW + 50]: { a: 1 } } });
    expect(state.acceptedCopies(NOW + 50, 'a')).toBe(1);
  });

  it('still forgets what is older than PRA retention', () => {
    const { state } = open({ ...valid(), watermark: NOW - RETENTION_SECONDS - 10, floor: 0 });
    expect(state.watermark).toBe(NOW - RETENTION_SECONDS);
  });
});

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', '+00:00');
}
