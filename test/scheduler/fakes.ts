import type { Clock } from '../../src/scheduler/clock.js';
import type { ExecutorBatch } from '../../src/scheduler/scheduler.js';

/** Lets pending promise callbacks run (no time passes on any clock). */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A manual clock: time moves only in `advance`, which fires due timers in time order. */
export class FakeClock implements Clock {
  private t = 0;
  private timers: Array<{ atMs: number; fn: () => void; seq: number }> = [];
  private seq = 0;

  now(): number {
    return this.t;
  }

  setTimer(atMs: number, fn: () => void): () => void {
    const timer = { atMs, fn, seq: this.seq++ };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.atMs <= end).sort((a, b) => a.atMs - b.atMs || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.atMs);
      due.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** An executor whose batches finish only when the test says so. */
export class ManualExecutor {
  readonly batches: Array<{ batch: ExecutorBatch<string>; resolve: (r: string[]) => void; reject: (e: unknown) => void }> = [];

  readonly run = (batch: ExecutorBatch<string>): Promise<string[]> =>
    new Promise((resolve, reject) => this.batches.push({ batch, resolve, reject }));

  /** Completes batch `i` with one result per request (`out:<payload>`). */
  async finish(i: number): Promise<void> {
    const b = this.batches[i]!;
    b.resolve(b.batch.requests.map((r) => `out:${r.payload}`));
    await settle();
  }

  async fail(i: number, error: unknown): Promise<void> {
    this.batches[i]!.reject(error);
    await settle();
  }
}
