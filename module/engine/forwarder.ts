/**
 * Push, then commit: report items become intake pushes, one in flight at a time, and each push's
 * progress is committed to the state only once the intake accepted it. A crash can repeat at most
 * the push in flight; a failed push commits nothing.
 */
import { IntakePushError } from '@sekoia/automation-sdk-shim';

/**
 * A feed's bookkeeping of what was forwarded. It decides which items go out (skipping what an
 * earlier push already carried), remembers what was handed over to pushes not yet accepted, and
 * applies a push's progress to the state once the intake accepted it.
 */
export interface Ledger<Item, Receipt> {
  /** The JSON (or text) to send for `item`, or undefined when nothing of it is to be sent. */
  admit(item: Item): string | undefined;
  /** Ends the current push: what commit() must apply once the intake accepts it. */
  seal(): Sealed<Receipt>;
  /** The intake accepted the push sealed as `receipt`: apply its progress to the state. */
  commit(receipt: Receipt): void;
  /** Forgets what was handed over and not committed (a push failed, or the cycle stopped). */
  rollback(): void;
}

export interface Sealed<Receipt> {
  receipt: Receipt;
  /** Whether the push carries anything for the state, events or not (a session that ended, a window done). */
  empty: boolean;
  /** The newest event time in the push (unix seconds), for the lag metric. */
  newestTime: number | undefined;
}

/** Builds a push's request now and returns what sends it; the sending resolves once the intake accepted. */
export type PreparePush = (events: string[]) => () => Promise<void>;

export interface ForwarderOptions {
  preparePush: PreparePush;
  /** Persists the state after a commit. */
  save: () => void;
  /**
   * Characters of buffered events that start a push. At most 3 bytes each, and a little more once
   * escaped again inside the request, so anything up to about 3 Mi keeps one push to one intake
   * request of at most 10 MiB.
   */
  flushChars: number;
  onForwarded?: (count: number, newestTime: number | undefined) => void;
}

/**
 * Pushes go one at a time, in order; the next one's request is built while the previous is on the
 * wire, so parsing overlaps the push in flight. A failed push surfaces on the next add/flush/drain.
 */
export class Forwarder<Item, Receipt> {
  private events: string[] = [];
  private chars = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private accepted = 0;

  constructor(
    private readonly ledger: Ledger<Item, Receipt>,
    private readonly options: ForwarderOptions,
  ) {}

  async add(item: Item): Promise<void> {
    const text = this.ledger.admit(item);
    if (text === undefined) return;
    this.events.push(text);
    // Characters, not bytes: a cheap measure whose 3x worst case still fits one intake request.
    this.chars += text.length;
    if (this.chars >= this.options.flushChars) await this.flush();
  }

  /**
   * Starts pushing what is buffered once the previous push is done, and waits only for that
   * previous one: the caller keeps parsing while this push is on the wire.
   */
  async flush(): Promise<void> {
    const sealed = this.ledger.seal();
    const events = this.events;
    if (events.length === 0 && sealed.empty) return;
    this.events = [];
    this.chars = 0;
    const send = events.length > 0 ? this.options.preparePush(events) : undefined;
    const previous = this.inFlight;
    this.inFlight = previous.then(async () => {
      if (send !== undefined) await send();
      this.ledger.commit(sealed.receipt);
      this.options.save();
      this.accepted += events.length;
      if (events.length > 0) this.options.onForwarded?.(events.length, sealed.newestTime);
    });
    // Reported by the next add/flush/drain; keep it from surfacing as an unhandled rejection.
    this.inFlight.catch(() => undefined);
    await previous;
  }

  /** Events the intake accepted through this forwarder. */
  get forwarded(): number {
    return this.accepted;
  }

  /** Pushes everything buffered and waits until it is accepted and committed. */
  async drain(): Promise<void> {
    await this.flush();
    await this.inFlight;
  }

  /**
   * Runs `collect` (which adds items), then pushes and commits what it left. On any failure, the
   * push in flight is let finish (it must not commit under the next cycle's feet), and everything
   * not committed is forgotten: the next cycle sends it again from the committed state. Returns
   * 'abandoned' when a stop ended the last push before the intake answered.
   */
  async run(collect: () => Promise<void>, stopping: () => boolean): Promise<'done' | 'abandoned'> {
    try {
      await collect();
      await this.drain();
      return 'done';
    } catch (error) {
      await this.inFlight.catch(() => undefined);
      this.events = [];
      this.chars = 0;
      this.inFlight = Promise.resolve();
      this.ledger.rollback();
      if (error instanceof IntakePushError && error.aborted && stopping()) return 'abandoned';
      throw error;
    }
  }
}
