import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Forwarder, type PreparePush } from '../../../../module/engine/forwarder';
import { StateStore } from '../../../../module/engine/state-store';
import { EventSerializer } from '../../../../module/feeds/sessions/event-json';
import type { SerializedItem, SessionEvent } from '../../../../module/feeds/sessions/events';
import { SessionLedger, type SessionReceipt } from '../../../../module/feeds/sessions/ledger';
import { SessionFeedState, type StateFileContent } from '../../../../module/feeds/sessions/state';

type SessionForwarder = Forwarder<SerializedItem, SessionReceipt>;

const NOW = 1_800_000_000;

const serializer = new EventSerializer();

function event(lsid: string, index: number, extra: Partial<SessionEvent> = {}): SerializedItem {
  return serializer.serializeItem({
    kind: 'event',
    lsid,
    index,
    event: {
      timestamp: String(NOW + index),
      event_type: 'Chat Message',
      body: `m${index}`,
      session_id: lsid,
      ...extra,
    },
  });
}

function end(lsid: string, eventCount: number, endTime: number | null): SerializedItem {
  return { kind: 'session', lsid, startTime: NOW, endTime, eventCount };
}

/** A recording intake that can be told to fail; the forwarder only sees a push function. */
class Intake {
  readonly batches: string[][] = [];
  failNext = false;
  push = async (events: string[]): Promise<void> => {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('intake down');
    }
    this.batches.push(events);
  };
  get bodies(): string[] {
    return this.batches.flat().map((json) => (JSON.parse(json) as SessionEvent).body ?? '');
  }
}

describe('the session ledger, behind the forwarder', () => {
  let dir: string;
  let store: StateStore;
  let state: SessionFeedState;
  let intake: Intake;
  const warnings: string[] = [];

  /** One cycle's forwarder: a fresh ledger over the same state. */
  const forwarder = (
    flushChars = 1 << 20,
    preparePush: PreparePush = (events) => () => intake.push(events),
  ): SessionForwarder =>
    new Forwarder(new SessionLedger(state, (m) => warnings.push(m)), {
      preparePush,
      save: () => store.save(state),
      flushChars,
    });
  const saved = (): StateFileContent => JSON.parse(fs.readFileSync(store.path, 'utf8')) as StateFileContent;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-ledger-'));
    store = new StateStore(dir);
    state = SessionFeedState.open(undefined, NOW, 3600, store.path);
    intake = new Intake();
    warnings.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function feed(target: SessionForwarder, items: SerializedItem[]): Promise<void> {
    for (const item of items) await target.add(item);
    await target.drain();
  }

  it('forwards a finished session whole, then remembers it as seen', async () => {
    state.track('a', NOW);
    await feed(forwarder(), [event('a', 0), event('a', 1), end('a', 2, NOW + 5)]);
    expect(intake.bodies).toEqual(['m0', 'm1']);
    expect(saved().seen.a).toBe(NOW + 5);
    expect(saved().tracked.a).toBeUndefined();
  });

  it('forwards only the new events of a running session on the next report', async () => {
    state.track('live', NOW);
    await feed(forwarder(), [event('live', 0), event('live', 1), end('live', 2, null)]);
    expect(saved().tracked.live?.forwarded).toBe(2);

    await feed(forwarder(), [event('live', 0), event('live', 1), event('live', 2), end('live', 3, NOW + 9)]);
    expect(intake.bodies).toEqual(['m0', 'm1', 'm2']);
    expect(warnings).toEqual([]);
    expect(saved().seen.live).toBe(NOW + 9);
  });

  it('ignores session fields that change while a session runs when checking its history', async () => {
    state.track('live', NOW);
    await feed(forwarder(), [event('live', 0, { file_transfer_count: '0' }), end('live', 1, null)]);
    await feed(forwarder(), [
      event('live', 0, { file_transfer_count: '3' }),
      event('live', 1, { file_transfer_count: '3' }),
      end('live', 2, null),
    ]);
    expect(warnings).toEqual([]);
    expect(intake.bodies).toEqual(['m0', 'm1']);
  });

  it('forwards only newer events when PRA rewrote what was already forwarded', async () => {
    state.track('s', NOW);
    await feed(forwarder(), [event('s', 0), event('s', 1), end('s', 2, null)]);
    await feed(forwarder(), [
      event('s', 0),
      event('s', 1, { body: 'edited', timestamp: String(NOW + 1) }),
      event('s', 2, { timestamp: String(NOW + 1), body: 'same second as the last forwarded' }),
      event('s', 3, { timestamp: String(NOW + 7) }),
      end('s', 4, null),
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/changed events that were already forwarded/);
    expect(intake.bodies).toEqual(['m0', 'm1', 'm3']);
  });

  it('saves nothing for events the intake did not accept', async () => {
    state.track('a', NOW);
    store.save(state);
    const before = fs.readFileSync(store.path, 'utf8');
    intake.failNext = true;
    await expect(feed(forwarder(), [event('a', 0), end('a', 1, NOW)])).rejects.toThrow('intake down');
    expect(fs.readFileSync(store.path, 'utf8')).toBe(before);
  });

  it('commits the progress of a session cut by a failure, so the next fetch resumes after it', async () => {
    state.track('a', NOW);
    const first = forwarder(1);
    await first.add(event('a', 0));
    await first.add(event('a', 1));
    await first.drain();
    expect(saved().tracked.a?.forwarded).toBe(2);

    await feed(forwarder(), [event('a', 0), event('a', 1), event('a', 2), end('a', 3, NOW)]);
    expect(intake.bodies).toEqual(['m0', 'm1', 'm2']);
  });

  it('pushes in chunks of about flushChars, one at a time, saving after each', async () => {
    state.track('big', NOW);
    const target = forwarder(200);
    const items = Array.from({ length: 20 }, (_, i) => event('big', i));
    await feed(target, [...items, end('big', 20, NOW)]);
    expect(intake.batches.length).toBeGreaterThan(3);
    expect(intake.batches.flat()).toHaveLength(20);
    expect(saved().seen.big).toBe(NOW);
  });

  it('builds the next push while the previous one is in flight, and sends it only once that one is accepted', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const steps: string[] = [];
    const overlapping = forwarder(1, (events) => {
      steps.push(`prepare ${events.length}`);
      return async () => {
        steps.push('send');
        if (!steps.includes('accepted')) await held;
        steps.push('accepted');
      };
    });
    state.track('a', NOW);
    await overlapping.add(event('a', 0));
    const second = overlapping.add(event('a', 1));
    expect(steps).toEqual(['prepare 1', 'send', 'prepare 1']);
    release();
    await second;
    await overlapping.drain();
    expect(steps).toEqual(['prepare 1', 'send', 'prepare 1', 'accepted', 'send', 'accepted']);
    expect(saved().tracked.a?.forwarded).toBe(2);
  });

  it('does not queue again the events of a push still in flight when the session is fetched again', async () => {
    // The intake holds the first push until released, as a slow intake does while a failed batch
    // is split and its sessions fetched again.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const pushes: string[][] = [];
    const slow = forwarder(1 << 20, (events) => async () => {
      pushes.push(events);
      if (pushes.length === 1) await held;
    });
    state.track('a', NOW);
    await slow.add(event('a', 0));
    await slow.add(event('a', 1));
    // The fetch broke off here; the same session comes again while the first push is unanswered.
    await slow.flush();
    const again = [event('a', 0), event('a', 1), event('a', 2), end('a', 3, NOW)];
    for (const item of again) await slow.add(item);
    release();
    await slow.drain();
    const bodies = pushes.flat().map((json) => (JSON.parse(json) as SessionEvent).body);
    expect(bodies).toEqual(['m0', 'm1', 'm2']);
    expect(saved().seen.a).toBe(NOW);
  });

  it('drops events of sessions nobody asked for', async () => {
    await feed(forwarder(), [event('stranger', 0), end('stranger', 1, NOW)]);
    expect(intake.batches).toHaveLength(0);
    expect(state.track('stranger', NOW)).toBe(true);
  });
});
