/**
 * Report time walked in windows, the same for every feed that asks PRA for a time window (the
 * session listings, the activity reports): a cursor from where collection stands up to now, and one
 * window length that follows the replies, so that a quiet tenant catches up in few requests and a
 * burst costs a bounded reply.
 */

/** A time window of a report, half open: [from, to), unix seconds. */
export interface TimeWindow {
  from: number;
  to: number;
}

export interface WindowLengthPolicy {
  firstSeconds: number;
  maxSeconds: number;
  /** Items (events, new sessions) a reply aims at: a window past it is followed by a shorter one. */
  targetItems: number;
}

/**
 * Shorter after a big reply, in proportion (to about half the target, so one more request, not a
 * halving series), halved after a timeout or a reply too large; twice as long after one of less
 * than half the target, so that a catch-up takes windows of about the target, not a quarter of it.
 */
export class WindowLength {
  private current: number;

  constructor(private readonly policy: WindowLengthPolicy) {
    this.current = policy.firstSeconds;
  }

  get seconds(): number {
    return this.current;
  }

  /** A window of `span` seconds brought `items`. */
  afterReply(items: number, span: number): void {
    const { targetItems, maxSeconds } = this.policy;
    if (items > targetItems) this.current = Math.max(1, Math.floor((span * targetItems) / (2 * items)));
    else if (items < targetItems / 2) this.current = Math.min(maxSeconds, this.current * 2);
  }

  /** A request timed out, or its reply, for a window of `span` seconds, was too large. */
  shrink(span = this.current): void {
    this.current = Math.max(1, Math.floor(Math.min(this.current, span) / 2));
  }
}

/**
 * The windows from `from` up to `until`, each as long as the length says when it is taken.
 * `atLeastOne`: the first window is given even when the walk starts at `until` (it is empty then),
 * for a feed whose requests also cover an overlap before the window.
 */
export class WindowWalker {
  private taken = false;

  constructor(
    private cursor: number,
    private readonly until: number,
    private readonly length: WindowLength,
    private readonly options: { atLeastOne?: boolean } = {},
  ) {}

  /** Where the next window starts. */
  get position(): number {
    return this.cursor;
  }

  /** The next window; undefined once the walk reached `until`. */
  take(seconds = this.length.seconds): TimeWindow | undefined {
    const first = !this.taken && this.options.atLeastOne === true;
    if (this.cursor >= this.until && !first) return undefined;
    this.taken = true;
    const from = Math.min(this.cursor, this.until);
    const window = { from, to: Math.min(this.until, from + seconds) };
    this.cursor = window.to;
    return window;
  }

  /** A window taken is to be taken again (shorter, as the length now says): the walk goes back to it. */
  giveBack(window: TimeWindow): void {
    this.cursor = Math.min(this.cursor, window.from);
    this.taken = false;
  }

  /** Whether `window` is the last one, up to `until`. */
  reachesEnd(window: TimeWindow): boolean {
    return window.to >= this.until;
  }
}

/** Two halves of a window that can still be narrowed, undefined for one second. */
export function splitWindow(window: TimeWindow): [TimeWindow, TimeWindow] | undefined {
  if (window.to - window.from <= 1) return undefined;
  const middle = window.from + Math.floor((window.to - window.from) / 2);
  return [
    { from: window.from, to: middle },
    { from: middle, to: window.to },
  ];
}
