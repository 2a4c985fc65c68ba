/**
 * A quantile over the last `capacity` values pushed: a ring buffer plus the same values kept sorted, so a
 * push costs O(capacity) (binary search + splice) and reading the quantile O(1). Meant for small windows.
 */
export class SlidingQuantile {
  private readonly ring: number[] = [];
  private readonly sorted: number[] = [];
  private next = 0;

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
    else {
      this.sorted.splice(this.lowerBound(this.ring[this.next]!), 1);
      this.ring[this.next] = value;
    }
    this.next = (this.next + 1) % this.capacity;
    this.sorted.splice(this.lowerBound(value), 0, value);
  }

  /** The nearest-rank quantile of the window; NaN when empty. */
  get value(): number {
    const n = this.sorted.length;
    return n === 0 ? Number.NaN : this.sorted[Math.min(n - 1, Math.ceil(this.quantile * n) - 1)]!;
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
