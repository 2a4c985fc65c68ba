/**
 * Counts task requests between acceptance and answer (preprocessing, queue, inference and post-processing),
 * so a graceful shutdown can wait for every accepted request. `onChange` feeds the inflight gauge.
 */
export class InflightTracker {
  #count = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(private readonly onChange: (count: number) => void = () => {}) {}

  get count(): number {
    return this.#count;
  }

  /** Runs `work` counted as in flight until it settles. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.#count++;
    this.onChange(this.#count);
    try {
      return await work();
    } finally {
      this.#count--;
      this.onChange(this.#count);
      if (this.#count === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /** Resolves once nothing is in flight (at once if nothing is). */
  idle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
