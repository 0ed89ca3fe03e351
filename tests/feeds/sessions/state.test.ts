import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StateFormatError, StateStore } from '../../../module/engine/state-store';
import {
  PRA_RETENTION_SECONDS,
  SessionsState,
  type StateFileContent,
} from '../../../module/feeds/sessions/state';

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
  const load = (now: number, lookbackSeconds: number): SessionsState =>
    store.load(
      (saved) => SessionsState.open(saved, now, lookbackSeconds, store.path),
      (problem) => {
        throw problem;
      },
    );
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const onDisk = (): StateFileContent => JSON.parse(fs.readFileSync(file.path, 'utf8')) as StateFileContent;

  it('starts the look-back window back on a first run, and writes nothing until saved', () => {
    const state = load(NOW, DAY);
    expect(state.closedWatermark).toBe(NOW - DAY);
    expect(state.startedWatermark).toBe(NOW - DAY);
    expect(fs.existsSync(file.path)).toBe(false);
  });

  it('keeps the Python SDK checkpoint key in step with the closed watermark', () => {
    const state = load(NOW, DAY);
    state.advanceTo(NOW, 300);
    store.save(state);
    expect(onDisk().most_recent_date_seen).toBe(
      new Date(NOW * 1000).toISOString().replace('.000Z', '+00:00'),
    );
    expect(onDisk().closed_watermark).toBe(NOW);
  });

  it('takes over a Python collector file: its checkpoint and its lsid cache', () => {
    fs.writeFileSync(
      file.path,
      JSON.stringify({ most_recent_date_seen: '2027-01-15T08:00:00+00:00', sessions_cache: ['a', 'b'] }),
    );
    const state = load(Date.parse('2027-01-15T09:00:00Z') / 1000, DAY);
    expect(state.closedWatermark).toBe(Date.parse('2027-01-15T08:00:00Z') / 1000);
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
    expect(state.closedWatermark).toBe(NOW - PRA_RETENTION_SECONDS);
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
    expect(state.closedWatermark).toBe(NOW);
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
    expect(again.closedWatermark).toBe(NOW);
  });
});
