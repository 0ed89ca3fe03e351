import type { Clock } from '../../module/pra/clock';

/** Time that moves only when told to, firing the timers it passes. */
export class ManualClock implements Clock {
  private time = 0;
  private timers: Array<{ at: number; callback: () => void; live: boolean }> = [];

  now = (): number => this.time;

  setTimer = (callback: () => void, ms: number): (() => void) => {
    const timer = { at: this.time + ms, callback, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  };

  get pendingTimers(): number {
    return this.timers.filter((timer) => timer.live).length;
  }

  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((timer) => timer.live && timer.at <= this.time);
    for (const timer of due.sort((a, b) => a.at - b.at)) {
      timer.live = false;
      timer.callback();
    }
    this.timers = this.timers.filter((timer) => timer.live);
  }
}
