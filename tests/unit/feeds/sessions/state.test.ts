import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PRA_RETENTION_SECONDS } from '../../../../module/pra/reports';
import { StateFormatError, StateStore } from '../../../../module/engine/state-store';
import { SessionFeedState, type StateFileContent } from '../../../../module/feeds/sessions/state';

const NOW = 1_800_000_000;
const DAY = 86_400;

describe('the session feed state', () => {
  let dir: string;
  let store: StateStore;
  const file = {
    get path(): string {
      return store.path;
    },
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-state-'));
    store = new StateStore(dir);
  });

  /** What the engine does at start: the saved content, if any, opened by the feed. */
  const load = (now: number, lookbackSeconds: number): SessionFeedState =>
    store.load(
      (saved) => SessionFeedState.open(saved, now, lookbackSeconds, store.path),
      (problem) => {
        throw problem;
      },
    );
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const onDisk = (): StateFileContent => JSON.parse(fs.readFileSync(file.path, 'utf8')) as StateFileContent;

  it('starts the look-back window back on a first run, and writes nothing until saved', () => {
    const state = load(NOW, DAY);
    expect(state.watermark).toBe(NOW - DAY);
    expect(state.watermark).toBe(NOW - DAY);
    expect(fs.existsSync(file.path)).toBe(false);
  });

  it('keeps the Python SDK checkpoint key in step with the closed watermark', () => {
    const state = load(NOW, DAY);
    state.advanceTo(NOW, 300);
    store.save(state);
    expect(onDisk().most_recent_date_seen).toBe(
      new Date(NOW * 1000).toISOString().replace('.000Z', '+00:00'),
    );
    expect(onDisk().watermark).toBe(NOW);
  });

  it('takes over a Python collector file: its checkpoint and its lsid cache', () => {
    fs.writeFileSync(
      file.path,
      JSON.stringify({ most_recent_date_seen: '2027-01-15T08:00:00+00:00', sessions_cache: ['a', 'b'] }),
    );
    const state = load(Date.parse('2027-01-15T09:00:00Z') / 1000, DAY);
    expect(state.watermark).toBe(Date.parse('2027-01-15T08:00:00Z') / 1000);
    expect(state.track('a', NOW)).toBe(false);
    expect(state.track('c', NOW)).toBe(true);
  });

  it('refuses a file it does not understand instead of guessing', () => {
    fs.writeFileSync(file.path, JSON.stringify({ version: 7, whatever: true }));
    expect(() => load(NOW, DAY)).toThrow(StateFormatError);
  });

  it('catches up at most as far back as PRA keeps data', () => {
    fs.writeFileSync(file.path, JSON.stringify({ most_recent_date_seen: '2020-01-01T00:00:00+00:00' }));
    const state = load(NOW, DAY);
    expect(state.watermark).toBe(NOW - PRA_RETENTION_SECONDS);
  });

  it('does not track a session twice, nor one already finished or set aside', () => {
    const state = load(NOW, DAY);
    expect(state.track('x', NOW)).toBe(true);
    expect(state.track('x', NOW)).toBe(false);
    state.finish('x', NOW - 10);
    expect(state.track('x', NOW)).toBe(false);
    state.track('y', NOW);
    state.recordFailure('y', 'boom', 1, NOW);
    expect(state.track('y', NOW)).toBe(false);
  });

  it('forgets finished sessions only once no listing window can return them', () => {
    const state = load(NOW, DAY);
    state.track('old', NOW);
    state.finish('old', NOW - 1000);
    state.track('recent', NOW);
    state.finish('recent', NOW - 100);
    state.advanceTo(NOW, 300);
    expect(state.track('old', NOW)).toBe(true);
    expect(state.track('recent', NOW)).toBe(false);
  });

  it('never moves a watermark backwards', () => {
    const state = load(NOW, DAY);
    state.advanceTo(NOW, 0);
    state.advanceTo(NOW - 50, 0);
    expect(state.watermark).toBe(NOW);
  });

  it('records forwarded progress only forwards', () => {
    const state = load(NOW, DAY);
    state.track('s', NOW);
    state.recordForwarded('s', 5, 'fp5', NOW - 5);
    state.recordForwarded('s', 3, 'fp3', NOW - 9);
    expect(state.tracked('s')).toMatchObject({ forwarded: 5, lastFingerprint: 'fp5' });
  });

  it('sets a session aside after the configured number of failures, and a success resets the count', () => {
    const state = load(NOW, DAY);
    state.track('s', NOW);
    expect(state.recordFailure('s', 'e1', 3, NOW)).toBe('retry');
    state.recordSuccess('s');
    expect(state.recordFailure('s', 'e2', 3, NOW)).toBe('retry');
    expect(state.recordFailure('s', 'e3', 3, NOW)).toBe('retry');
    expect(state.recordFailure('s', 'e4', 3, NOW)).toBe('set-aside');
    store.save(state);
    expect(onDisk().set_aside.s).toMatchObject({ failures: 3, error: 'e4' });
    expect(onDisk().tracked.s).toBeUndefined();
  });

  it('gives up tracked sessions older than the retention, and says which', () => {
    const state = load(NOW, DAY);
    state.track('ancient', NOW - PRA_RETENTION_SECONDS - 1);
    state.track('fresh', NOW);
    expect(state.clampToRetention(NOW)).toEqual(['ancient']);
    expect(state.trackedLsids).toEqual(['fresh']);
  });

  it('lists tracked sessions oldest first, so a backlog drains in order', () => {
    const state = load(NOW, DAY);
    state.track('second', NOW + 1);
    state.track('first', NOW);
    expect(state.trackedLsids).toEqual(['first', 'second']);
  });

  it('survives a round trip through the file', () => {
    const state = load(NOW, DAY);
    state.track('s', NOW);
    state.recordForwarded('s', 2, 'fp', NOW);
    state.advanceTo(NOW, 300);
    store.save(state);
    const again = load(NOW + 60, DAY);
    expect(again.tracked('s')).toMatchObject({ forwarded: 2 });
    expect(again.watermark).toBe(NOW);
  });
});

describe('a saved session state of the wrong shape', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-state-shape-'));
    file = path.join(dir, 'context.json');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A file as version 2 wrote it, with its two watermarks: still read. */
  type Version2File = Omit<StateFileContent, 'version' | 'watermark'> & {
    version: 2;
    closed_watermark: number;
    started_watermark: number;
  };

  const valid = (): Version2File => ({
    version: 2,
    most_recent_date_seen: '2027-01-15T08:00:00+00:00',
    closed_watermark: NOW - 600,
    started_watermark: NOW - 600,
    seen: { done: NOW - 700 },
    tracked: { live: { forwarded: 3, failures: 1, since: NOW - 900, lastFingerprint: 'fp' } },
    set_aside: { bad: { at: NOW - 800, failures: 5, error: 'boom' } },
  });

  /** The state opened from `saved`, with the notices it gave. */
  function open(saved: unknown, now = NOW): { state: SessionFeedState; notices: Notice[] } {
    const notices: Notice[] = [];
    const state = SessionFeedState.open(saved, now, DAY, file);
    state.reportTo((message, level) => notices.push({ message, level }));
    return { state, notices };
  }

  it('drops a null or a number where a tracked session belongs, naming the file, the key and why', () => {
    const saved = {
      ...valid(),
      tracked: { ...valid().tracked, x: null, y: 5, z: { forwarded: 'many', failures: 0, since: NOW } },
    };
    const { state, notices } = open(saved);
    expect(state.trackedLsids).toEqual(['live']);
    expect(state.tracked('live')).toMatchObject({ forwarded: 3, failures: 1, lastFingerprint: 'fp' });
    expect(notices).toEqual([
      {
        level: 'error',
        message:
          `State file ${file}: 3 entries of tracked dropped, those sessions are no longer followed (one a listing ` +
          'returns again starts over): tracked["x"] (not an object: null); tracked["y"] (not an object: 5); ' +
          'tracked["z"] (forwarded is not a count: "many").',
      },
    ]);
  });

  it('reads a field of the wrong type as empty, with one error naming it', () => {
    const { state, notices } = open({ ...valid(), set_aside: [null], seen: 'x' });
    expect(state.setAsideCount).toBe(0);
    expect(state.seenCount).toBe(0);
    expect(state.trackedCount).toBe(1);
    expect(notices.map((n) => n.level)).toEqual(['error', 'error']);
    expect(notices[0].message).toContain('seen is "x", not an object: it is read as empty');
    expect(notices[1].message).toContain('set_aside is an array, not an object: it is read as empty');
  });

  it('drops entries of seen and set_aside that are not what they must be', () => {
    const saved = {
      ...valid(),
      seen: { done: NOW - 700, n: null, s: '12', inf: Infinity },
      set_aside: { bad: { at: NOW - 800, failures: 5, error: 'boom' }, worse: { failures: 5 } },
    };
    const { state, notices } = open(saved);
    expect(state.isNew('done')).toBe(false);
    expect(['n', 's', 'inf', 'worse'].filter((lsid) => state.isNew(lsid))).toEqual([
      'n',
      's',
      'inf',
      'worse',
    ]);
    expect(notices.map((n) => n.message).join('\n')).toMatch(
      /3 entries of seen dropped.*seen\["n"\] \(not a time in unix seconds: null\)/,
    );
    expect(notices.map((n) => n.message).join('\n')).toMatch(
      /1 entry of set_aside dropped.*set_aside\["worse"\] \(at is missing\)/,
    );
  });

  it('keeps an entry whose optional field is unusable, without that field, and says so', () => {
    const saved = {
      ...valid(),
      tracked: { live: { forwarded: 3, failures: 0, since: NOW, lastError: { deep: [1] } } },
    };
    const { state, notices } = open(saved);
    expect(state.tracked('live')).toEqual({ forwarded: 3, failures: 0, since: NOW });
    expect(notices).toEqual([
      {
        level: 'warning',
        message: `State file ${file}: 1 value of tracked ignored, the entries kept: tracked["live"] (lastError ignored, not a string: an object).`,
      },
    ]);
  });

  it('replaces an unusable watermark by the best other one, and refuses a file without any', () => {
    const { state, notices } = open({ ...valid(), closed_watermark: null });
    expect(state.watermark).toBe(Date.parse('2027-01-15T08:00:00Z') / 1000);
    expect(notices[0]).toMatchObject({
      level: 'error',
      message: expect.stringContaining('closed_watermark is null, not a time'),
    });
    const none = { ...valid(), closed_watermark: 'x', started_watermark: [], most_recent_date_seen: 'soon' };
    expect(() => open(none)).toThrow(StateFormatError);
    expect(() => open([valid()])).toThrow(/holds an array, not an object/);
    expect(() => open(null)).toThrow(StateFormatError);
  });

  it('names only the first ten entries it drops, and counts the others', () => {
    const tracked = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`t${i}`, null]));
    const { notices } = open({ ...valid(), tracked });
    expect(notices[0].message).toMatch(/^State file .*: 25 entries of tracked dropped/);
    expect(notices[0].message).toContain('tracked["t9"] (not an object: null) and 15 more.');
    expect(notices[0].message).not.toContain('t10');
  });

  it('never throws anything but StateFormatError, whatever a field holds, and saves what it kept', () => {
    const hostile: unknown[] = [
      null,
      5,
      -1,
      1.5,
      'x',
      '',
      true,
      [],
      [null],
      {},
      { a: null },
      { a: 5 },
      { a: 'x' },
      { a: [] },
      { a: { b: null } },
    ];
    const fields = [
      'closed_watermark',
      'started_watermark',
      'most_recent_date_seen',
      'seen',
      'tracked',
      'set_aside',
      'version',
    ];
    for (const field of fields) {
      for (const value of hostile) {
        const saved = { ...valid(), [field]: value };
        let state: SessionFeedState;
        try {
          state = open(saved).state;
        } catch (error) {
          expect(error).toBeInstanceOf(StateFormatError);
          continue;
        }
        const again = SessionFeedState.open(JSON.parse(JSON.stringify(state.toJSON())), NOW, DAY, file);
        expect(again.toJSON()).toEqual(state.toJSON());
        void state.trackedLsids;
        state.clampToRetention(NOW + 60);
      }
    }
  });

  it('gives no session id a special meaning: __proto__, constructor and toString round-trip', () => {
    const state = SessionFeedState.open(undefined, NOW, DAY, file);
    for (const lsid of ['toString', 'constructor', 'hasOwnProperty']) expect(state.isNew(lsid)).toBe(true);
    state.track('__proto__', NOW);
    state.recordForwarded('__proto__', 4, 'fp', NOW);
    state.track('constructor', NOW);
    state.finish('constructor', NOW);
    state.track('toString', NOW);
    state.recordFailure('toString', 'boom', 1, NOW);
    const saved = JSON.parse(JSON.stringify(state.toJSON())) as unknown;
    const { state: again, notices } = open(saved);
    expect(notices).toEqual([]);
    expect(again.tracked('__proto__')).toMatchObject({ forwarded: 4, lastFingerprint: 'fp' });
    expect(again.isNew('constructor')).toBe(false);
    expect(again.isNew('toString')).toBe(false);
    expect(again.isNew('valueOf')).toBe(true);
    expect(again.setAsideCount).toBe(1);
    expect(Object.getPrototypeOf(again.toJSON().tracked)).toBe(Object.prototype);
  });

  it('takes over a Python file whose checkpoint or cache is broken, saying what it drops', () => {
    const { state, notices } = open({
      most_recent_date_seen: 'yesterday',
      sessions_cache: ['a', 7, null, 'b'],
    });
    expect(state.watermark).toBe(NOW - DAY);
    expect(state.isNew('a')).toBe(false);
    expect(state.isNew('b')).toBe(false);
    expect(notices.map((n) => n.message)).toEqual([
      `State file ${file}: most_recent_date_seen is not an ISO 8601 date ("yesterday"): collection starts from the configured look-back window.`,
      `State file ${file}: 2 entries of sessions_cache dropped, those sessions are forwarded again if a listing returns them: ` +
        'sessions_cache[1] (not a string: 7); sessions_cache[2] (not a string: null).',
    ]);
    expect(
      open({ most_recent_date_seen: '2027-01-15T08:00:00' }, Date.parse('2027-01-16T00:00:00Z') / 1000).state
        .watermark,
    ).toBe(Date.parse('2027-01-15T08:00:00Z') / 1000);
  });
});

describe('a saved session state ahead of the clock', () => {
  const file = '/data/context.json';

  it('pulls watermarks back to now and says so, naming the file and the times; seen keeps PRA end times', () => {
    const saved = {
      version: 2,
      most_recent_date_seen: '',
      closed_watermark: NOW + 3600,
      started_watermark: NOW + 3600,
      seen: { done: NOW - 100, ahead: NOW + 50 },
      tracked: { live: { forwarded: 1, failures: 0, since: NOW + 3000 } },
      set_aside: { bad: { at: NOW + 3000, failures: 5, error: 'e' } },
    };
    const notices: Notice[] = [];
    const state = SessionFeedState.open(saved, NOW, DAY, file);
    state.reportTo((message, level) => notices.push({ message, level }));
    expect(state.watermark).toBe(NOW);
    expect(state.tracked('live')?.since).toBe(NOW);
    expect(state.toJSON().set_aside.bad.at).toBe(NOW);
    expect(state.toJSON().seen).toEqual({ done: NOW - 100, ahead: NOW + 50 });
    expect(notices).toEqual([
      {
        level: 'warning',
        message: expect.stringMatching(
          new RegExp(
            `^State file /data/context\\.json: the watermark \\(${iso(NOW + 3600)}\\) ` +
              `is ahead of the clock \\(${iso(NOW)}\\)`,
          ),
        ),
      },
    ]);
  });

  it('does the same at the start of a cycle when the clock went back since the last one', () => {
    const state = SessionFeedState.open(undefined, NOW, DAY, file);
    const notices: Notice[] = [];
    state.reportTo((message, level) => notices.push({ message, level }));
    state.advanceTo(NOW + 3600, 300);
    state.clampToRetention(NOW + 60);
    expect(state.watermark).toBe(NOW + 60);
    state.clampToRetention(NOW + 120);
    expect(state.watermark).toBe(NOW + 60);
    expect(notices).toHaveLength(1);
  });
});

interface Notice {
  message: string;
  level: 'warning' | 'error';
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', '\\+00:00');
}
