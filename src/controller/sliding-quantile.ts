/**
 * A quantile over the last `capacity` values pushed, optionally also bounded in age: a ring buffer (push
 * order = time order) plus the same values kept sorted, so a push or an eviction costs O(capacity) (binary
 * search + splice) and reading the quantile O(1). Meant for small windows.
 */
export class SlidingQuantile {
  /** Values in push order, oldest at `head`. */
  private readonly ring: number[] = [];
  /** Push time (ms) of each ring slot. */
  private readonly times: number[] = [];
  /** A second, caller-defined time of each ring slot (e.g. on a clock that runs only while idle). */
  private readonly stamps: number[] = [];
  private readonly sorted: number[] = [];
  /** Index of the oldest value in `ring`. */
  private head = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    /** In (0, 1]; nearest-rank quantile. */
    readonly quantile: number,
    /**
     * Largest values a window of 3 or more never reaches (so in a small window one stall is not the estimate
     * alone, whatever the quantile); 0 = plain nearest rank.
     */
    readonly skipLargest = 0,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('SlidingQuantile: capacity must be a positive integer');
    if (!(quantile > 0 && quantile <= 1)) throw new Error('SlidingQuantile: quantile must be in (0, 1]');
  }

  /** Values currently in the window. */
  get size(): number {
    return this.count;
  }

  /** Push time (ms) of the oldest value in the window; undefined when empty. */
  get oldestMs(): number | undefined {
    return this.count === 0 ? undefined : this.times[this.head];
  }

  /** The second time (`stamp`) of the oldest value in the window; undefined when empty. */
  get oldestStamp(): number | undefined {
    return this.count === 0 ? undefined : this.stamps[this.head];
  }

  /** Push time (ms) of the newest value in the window; undefined when empty. */
  get newestMs(): number | undefined {
    return this.count === 0 ? undefined : this.times[(this.head + this.count - 1) % this.capacity];
  }

  /**
   * Adds `value`, pushed at `atMs` (pushes must come in non-decreasing time; only `expireBefore` reads the
   * times). A full window drops its oldest value.
   */
  push(value: number, atMs = 0, stamp = atMs): void {
    if (this.count === this.capacity) this.dropOldest();
    const slot = (this.head + this.count) % this.capacity;
    this.ring[slot] = value;
    this.times[slot] = atMs;
    this.stamps[slot] = stamp;
    this.count++;
    this.sorted.splice(this.lowerBound(value), 0, value);
  }

  /** Drops every value pushed before `cutoffMs`; returns how many were dropped. */
  expireBefore(cutoffMs: number): number {
    let dropped = 0;
    while (this.count > 0 && this.times[this.head]! < cutoffMs) {
      this.dropOldest();
      dropped++;
    }
    return dropped;
  }

  /** The nearest-rank quantile of the window; NaN when empty. */
  get value(): number {
    const n = this.sorted.length;
    return n === 0 ? Number.NaN : this.sorted[this.rank(n)]!;
  }

  /** The smallest value in the window; NaN when empty. */
  get min(): number {
    return this.sorted.length === 0 ? Number.NaN : this.sorted[0]!;
  }

  /**
   * The same nearest-rank quantile over `map(value, pushedAtMs, stamp)` of every value in the window
   * (O(n log n)); NaN when empty. Lets a caller weigh values by age without keeping a second window.
   */
  quantileOf(map: (value: number, atMs: number, stamp: number) => number): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const mapped = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const slot = (this.head + i) % this.capacity;
      mapped[i] = map(this.ring[slot]!, this.times[slot]!, this.stamps[slot]!);
    }
    mapped.sort((a, b) => a - b);
    return mapped[this.rank(n)]!;
  }

  /** Index of the quantile in a sorted window of `n` ≥ 1 values. */
  private rank(n: number): number {
    const cap = n >= 3 ? Math.max(0, n - 1 - this.skipLargest) : n - 1;
    return Math.min(cap, Math.ceil(this.quantile * n) - 1);
  }

  private dropOldest(): void {
    this.sorted.splice(this.lowerBound(this.ring[this.head]!), 1);
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }

  /** First index in `sorted` whose value is ≥ x. */
  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
