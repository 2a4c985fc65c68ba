/**
 * A quantile over the last `capacity` values pushed (a ring buffer). `value` is recomputed lazily after a
 * push, by sorting a copy: O(capacity log capacity), meant for small windows (tens of values).
 */
export class SlidingQuantile {
  private readonly ring: number[] = [];
  private next = 0;
  private cached: number | undefined;

  constructor(
    readonly capacity: number,
    /** In (0, 1]; nearest-rank quantile. */
    readonly quantile: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('SlidingQuantile: capacity must be a positive integer');
    if (!(quantile > 0 && quantile <= 1)) throw new Error('SlidingQuantile: quantile must be in (0, 1]');
  }

  /** Values currently in the window. */
  get size(): number {
    return this.ring.length;
  }

  push(value: number): void {
    if (this.ring.length < this.capacity) this.ring.push(value);
    else this.ring[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    this.cached = undefined;
  }

  /** The nearest-rank quantile of the window; NaN when empty. */
  get value(): number {
    if (this.ring.length === 0) return Number.NaN;
    if (this.cached === undefined) {
      const sorted = [...this.ring].sort((a, b) => a - b);
      this.cached = sorted[Math.min(sorted.length - 1, Math.ceil(this.quantile * sorted.length) - 1)]!;
    }
    return this.cached;
  }
}
