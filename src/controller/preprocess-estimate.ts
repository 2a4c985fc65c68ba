import { SlidingQuantile } from './sliding-quantile.js';

/** Tuning of `PreprocessEstimate`; defaults in `DEFAULT_PREPROCESS_OPTIONS`. */
export interface PreprocessEstimateOptions {
  /** Most observations kept. */
  capacity: number;
  /** Nearest-rank quantile of the recent observations used as the estimate. */
  quantile: number;
  /** Observations older than this (ms) are forgotten. */
  maxAgeMs: number;
  /** Recent observations needed before they are trusted over `fallbackMs`. */
  minSamples: number;
  /** Estimate (ms) while fewer than `minSamples` recent observations exist. */
  fallbackMs: number;
}

/**
 * Median of the last 5 s, trusted from 3 observations. The median, not a high quantile: the estimate only
 * serves the *early* refusal before decoding (`precheck`); the binding admission runs after preprocessing
 * with the time actually spent, so an optimistic estimate costs at most a wasted decode, while a pessimistic
 * one refuses requests that would have made it. 5 s: a burst of concurrent uploads is forgotten soon after
 * it ends, even when every later request is refused before it can add a fresh observation.
 */
export const DEFAULT_PREPROCESS_OPTIONS: Readonly<Omit<PreprocessEstimateOptions, 'fallbackMs'>> = Object.freeze({
  capacity: 128,
  quantile: 0.5,
  maxAgeMs: 5_000,
  minSamples: 3,
});

/**
 * Predicted preprocessing (decode + resize + normalise) time of one request of a task, from the wall times of
 * recent requests. Time-windowed, so it heals by itself: once contention ends, old slow observations age out
 * and the estimate returns to recent values, or to `fallbackMs` when nothing recent was observed.
 */
export class PreprocessEstimate {
  private readonly window: SlidingQuantile;
  private lastMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: PreprocessEstimateOptions) {
    if (!(options.maxAgeMs > 0)) throw new Error('preprocess estimate: maxAgeMs must be positive');
    if (!(Number.isInteger(options.minSamples) && options.minSamples >= 1)) throw new Error('preprocess estimate: minSamples must be a positive integer');
    if (!(options.fallbackMs >= 0)) throw new Error('preprocess estimate: fallbackMs must be ≥ 0');
    this.window = new SlidingQuantile(options.capacity, options.quantile);
  }

  /** Records one preprocessing wall time `ms`, finished at `atMs`. Negative or non-finite values are ignored. */
  observe(ms: number, atMs: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    // Observations may be reported slightly out of order; the window needs non-decreasing times.
    this.lastMs = Math.max(this.lastMs, atMs);
    this.window.push(ms, this.lastMs);
  }

  /** The estimate (ms) at `nowMs`: the quantile of observations from the last `maxAgeMs`, else the fallback. */
  valueAt(nowMs: number): number {
    this.window.expireBefore(nowMs - this.options.maxAgeMs);
    return this.window.size >= this.options.minSamples ? this.window.value : this.options.fallbackMs;
  }
}
