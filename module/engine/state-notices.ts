/**
 * What a feed state has to say about itself: entries of context.json dropped on load, times pulled
 * back after the clock went back. A state is opened before the trigger's logger is attached to it
 * (and in the cycle tests, without any logger): notices wait in a short queue until a sink is
 * attached, then go to it as they happen.
 */

export type NoticeLevel = 'warning' | 'error';
export type NoticeSink = (message: string, level: NoticeLevel) => void;

/** Notices kept while no sink is attached: enough for every field of a state, bounded whatever happens. */
const MAX_QUEUED = 100;

export class StateNotices {
  private queued: Array<{ message: string; level: NoticeLevel }> = [];
  private sink: NoticeSink | undefined;

  /** `file`: the state file, named in every notice so that the operator knows what to look at. */
  constructor(readonly file: string) {}

  warning(message: string): void {
    this.emit(message, 'warning');
  }

  error(message: string): void {
    this.emit(message, 'error');
  }

  /** From now on, notices go to `sink`; those queued so far go first. */
  reportTo(sink: NoticeSink): void {
    this.sink = sink;
    const queued = this.queued;
    this.queued = [];
    for (const { message, level } of queued) sink(message, level);
  }

  private emit(message: string, level: NoticeLevel): void {
    const text = `State file ${this.file}: ${message}`;
    if (this.sink) this.sink(text, level);
    else if (this.queued.length < MAX_QUEUED) this.queued.push({ message: text, level });
  }
}

/** A state that reports its notices: both feed states are. */
export interface ReportsNotices {
  reportTo(sink: NoticeSink): void;
}

export function reportsNotices(state: object): state is ReportsNotices {
  return typeof (state as Partial<ReportsNotices>).reportTo === 'function';
}
