import { manualClock, type SimSession } from '../../simulator/pra';
import { viewAt } from '../../simulator/pra/query';
import { accessSessionChunks, collect, type AccessSessionRenderOptions } from '../../simulator/pra/render';
import { RenderCache } from '../../simulator/pra/render-cache';
import { closeSimulators, NOW, start } from './pra-http';

function session(lsid: string): SimSession {
  return {
    lsid,
    lseq: 1,
    startTime: NOW - 60,
    endTime: NOW - 10,
    externalKey: '',
    customers: [],
    reps: [],
    hasRecording: false,
    events: [
      { timestamp: NOW - 60, eventType: 'Session Start' },
      { timestamp: NOW - 10, eventType: 'Session End' },
    ],
  };
}

describe('RenderCache', () => {
  it('keeps renderings within its byte budget, dropping the least recently used first', () => {
    const [a, b, c] = ['a', 'b', 'c'].map(session);
    const cache = new RenderCache(10);
    cache.set(a, 'k', Buffer.alloc(4));
    cache.set(b, 'k', Buffer.alloc(4));
    expect(cache.get(a, 'k')).toHaveLength(4);
    cache.set(c, 'k', Buffer.alloc(4));
    expect([cache.get(a, 'k'), cache.get(b, 'k'), cache.get(c, 'k')].map((x) => x?.length)).toEqual([
      4,
      undefined,
      4,
    ]);
    cache.set(b, 'k', Buffer.alloc(11));
    expect(cache.get(b, 'k')).toBeUndefined();
  });

  it('misses when what the rendering depends on differs, and replaces it', () => {
    const a = session('a');
    const cache = new RenderCache(100);
    cache.set(a, 'sra', Buffer.from('one'));
    expect(cache.get(a, 'docs')).toBeUndefined();
    cache.set(a, 'docs', Buffer.from('two'));
    expect(cache.get(a, 'docs')?.toString()).toBe('two');
    expect(cache.get(a, 'sra')).toBeUndefined();
  });
});

describe('AccessSession rendering with a cache', () => {
  const options = (cache?: RenderCache): AccessSessionRenderOptions => ({
    style: { namespace: 'sra' },
    baseUrl: 'http://tenant',
    cache,
  });

  it('renders an ended session once and hands out the same bytes afterwards', () => {
    const view = viewAt(session('a'), NOW);
    const cache = new RenderCache(1024 * 1024);
    const first = [...accessSessionChunks([view!], options(cache))];
    const second = [...accessSessionChunks([view!], options(cache))];
    expect(second[1]).toBeInstanceOf(Buffer);
    expect(second[1]).toBe(first[1]);
    expect(collect(second)).toBe(collect(accessSessionChunks([view!], options())));
  });

  it('does not cache a session still open at that instant, nor one with events yet to come', () => {
    const cache = new RenderCache(1024 * 1024);
    const late = session('late');
    late.events.push({ timestamp: NOW + 5, eventType: 'File Download' });
    for (const view of [viewAt(session('a'), NOW - 20), viewAt(late, NOW)]) {
      const chunks = [...accessSessionChunks([view!], options(cache))];
      expect(chunks.some((c) => c instanceof Buffer)).toBe(false);
    }
  });
});

describe('PRA simulator: cached sessions change when they still can', () => {
  afterEach(closeSimulators);

  it('re-renders an ended session in a new namespace, and as open when the clock goes back', async () => {
    const clock = manualClock(NOW);
    const sim = await start({ now: clock.now, closedSessions: 3, openSessions: 0 });
    const [first] = sim.sessions;
    const rendered = sim.renderAccessSession([first.lsid]);
    expect(sim.renderAccessSession([first.lsid])).toBe(rendered);

    sim.setNamespace('docs', 'ns');
    const prefixed = sim.renderAccessSession([first.lsid]);
    expect(prefixed).toContain(`<ns:session lsid="${first.lsid}">`);
    expect(prefixed).not.toMatch(/<session[ >]/);
    sim.setNamespace('sra');
    expect(sim.renderAccessSession([first.lsid])).toBe(rendered);

    clock.set((first.endTime as number) - 1);
    const before = sim.renderAccessSession([first.lsid]);
    expect(before).toContain('<end_time />');
    expect(before).not.toContain('session_chat_view_url');
    clock.set(NOW);
    expect(sim.renderAccessSession([first.lsid])).toBe(rendered);
  });

  it('shows the end and the last events of a session rendered while it ran', async () => {
    const clock = manualClock(NOW);
    const sim = await start({ now: clock.now, closedSessions: 0, openSessions: 1 });
    const [running] = sim.sessions;
    expect(sim.renderAccessSession([running.lsid])).toContain('<end_time />');
    sim.growSession(running.lsid, 2);
    clock.advance(30);
    sim.endSession(running.lsid);
    const ended = sim.renderAccessSession([running.lsid]);
    expect(ended).toContain(`<end_time timestamp="${running.endTime}">`);
    expect((ended.match(/<event /g) ?? []).length).toBe(running.events.length);

    const late = sim.addSession({
      startTime: NOW - 100,
      endTime: NOW - 50,
      events: [
        { timestamp: NOW - 100, eventType: 'Session Start' },
        { timestamp: NOW + 60, eventType: 'Session End' },
      ],
    });
    expect(sim.renderAccessSession([late.lsid])).not.toContain('Session End');
    clock.advance(30);
    expect(sim.renderAccessSession([late.lsid])).toContain('Session End');
  });
});
