/** Time as the PRA client measures it: injectable, so that deadlines are tested without waiting. */
export interface Clock {
  /** Milliseconds on a monotonic scale (only differences are read). */
  now(): number;
  /** Runs `callback` once, `ms` from now; the function returned cancels it. */
  setTimer(callback: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};
