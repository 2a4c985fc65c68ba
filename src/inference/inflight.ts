import { ServiceError } from '../errors.js';

/**
 * Counts task requests between arrival and answer (body upload, preprocessing, queue, inference and
 * post-processing), so that load shedding can bound them and a graceful shutdown can wait for every accepted
 * request; once closed it refuses new ones with DRAINING. `onChange` feeds the inflight gauge.
 */
export class InflightTracker {
  #count = 0;
  #closed = false;
  #idleWaiters: Array<() => void> = [];

  constructor(private readonly onChange: (count: number) => void = () => {}) {}

  get count(): number {
    return this.#count;
  }

  /**
   * Counts one request in flight from now on; DRAINING (503) once the tracker is closed. Returns its release,
   * which is idempotent (call it from every path that ends the request; only the first call counts).
   */
  enter(): () => void {
    if (this.#closed) throw new ServiceError('DRAINING', 'The server is shutting down; retry on another replica.');
    this.#count++;
    this.onChange(this.#count);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#count--;
      this.onChange(this.#count);
      if (this.#count === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    };
  }

  /** Runs `work` counted as in flight until it settles; DRAINING (503) once the tracker is closed. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    const release = this.enter();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Refuses new work from now on; work already accepted continues. */
  close(): void {
    this.#closed = true;
  }

  /** Resolves once nothing is in flight (at once if nothing is). */
  idle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
