/** The one window walker and window length of the session listings and the activity reports. */
import { splitWindow, WindowLength, WindowWalker } from '../../../module/engine/time-windows';

const policy = { firstSeconds: 3600, maxSeconds: 86_400, targetItems: 5000 };

describe('the window length', () => {
  it('doubles after small replies, up to its maximum', () => {
    const length = new WindowLength(policy);
    for (let i = 0; i < 10; i++) length.afterReply(10, length.seconds);
    expect(length.seconds).toBe(86_400);
  });

  it('shortens in proportion after a big reply, to about half the target', () => {
    const length = new WindowLength(policy);
    length.afterReply(50_000, 3600);
    expect(length.seconds).toBe(180);
    // Between half the target and the target: it stays.
    length.afterReply(3000, 180);
    expect(length.seconds).toBe(180);
    length.afterReply(2000, 180);
    expect(length.seconds).toBe(360);
  });

  it('halves after a timeout, and below the span of a reply too large', () => {
    const length = new WindowLength(policy);
    length.shrink();
    expect(length.seconds).toBe(1800);
    length.shrink(100);
    expect(length.seconds).toBe(50);
    for (let i = 0; i < 10; i++) length.shrink();
    expect(length.seconds).toBe(1);
  });
});

describe('the window walker', () => {
  it('walks from the start to the end in windows of the current length', () => {
    const length = new WindowLength(policy);
    const walker = new WindowWalker(0, 10_000, length);
    const first = walker.take();
    expect(first).toEqual({ from: 0, to: 3600 });
    length.shrink();
    expect(walker.take()).toEqual({ from: 3600, to: 5400 });
    expect(walker.take(100_000)).toEqual({ from: 5400, to: 10_000 });
    expect(walker.take()).toBeUndefined();
  });

  it('takes a window given back again, as long as the length now says', () => {
    const length = new WindowLength(policy);
    const walker = new WindowWalker(0, 10_000, length);
    const window = walker.take();
    expect(window && walker.reachesEnd(window)).toBe(false);
    if (window) walker.giveBack(window);
    length.afterReply(10_000, 3600);
    expect(walker.take()).toEqual({ from: 0, to: 900 });
  });

  it('gives one empty window when asked to, where the walk starts at its end', () => {
    const length = new WindowLength(policy);
    expect(new WindowWalker(500, 500, length).take()).toBeUndefined();
    const walker = new WindowWalker(500, 500, length, { atLeastOne: true });
    const window = walker.take();
    expect(window).toEqual({ from: 500, to: 500 });
    expect(window && walker.reachesEnd(window)).toBe(true);
    expect(walker.take()).toBeUndefined();
  });

  it('splits a window in halves down to one second', () => {
    expect(splitWindow({ from: 0, to: 5 })).toEqual([
      { from: 0, to: 2 },
      { from: 2, to: 5 },
    ]);
    expect(splitWindow({ from: 7, to: 8 })).toBeUndefined();
  });
});
