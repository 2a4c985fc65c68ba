import { performance } from 'node:perf_hooks';

/**
 * Time source of the scheduler. `now()` is monotonic ms; `setTimer` calls `fn` once at (or after) absolute
 * time `atMs` and returns a function that cancels it. Tests inject a fake; production uses `systemClock`.
 */
export interface Clock {
  now(): number;
  setTimer(atMs: number, fn: () => void): () => void;
}

/**
 * `performance.now()` and unref'd `setTimeout`: a pending wake-up never keeps the process alive.
 * Deadlines given to the scheduler must be on this clock (arrival = `systemClock.now()`).
 */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimer(atMs: number, fn: () => void): () => void {
    const timer = setTimeout(fn, Math.max(0, atMs - performance.now()));
    timer.unref();
    return () => clearTimeout(timer);
  },
});
