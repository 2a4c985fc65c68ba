import { DecayingWindow, type AgeDecay } from './decaying-window.js';

/** Tuning of `BatchOverhead`. */
export interface BatchOverheadOptions {
  /** Observations kept per batch size (twice as many over all sizes). */
  window: number;
  /** Quantile of the (decayed) observations used as the estimate: high, overheads have a long tail. */
  quantile: number;
  /** Observations a batch size needs before its own window is trusted over the all-sizes one. */
  minSamples: number;
  /** How old observations fade toward the smallest one seen (a slow spell is not kept for ever). */
  decay: AgeDecay;
  /** Overhead (ms) assumed before anything was observed (e.g. measured at warm-up); ≥ 0. */
  fallbackMs: number;
}

/**
 * The additive per-batch overhead of one task, in ms: what a batch costs on top of the engine's compute (worker
 * round trip, tensor transfer, output copies, splitting the results), observed as `batch wall time − compute
 * time reported by the engine`. On a small family it dominates (a few ms of IPC around sub-ms compute), so it
 * must be added, not folded into a ratio of compute time: a ratio learnt on one stitch would scale it wrongly
 * for every other stitch. Per batch size (transfer grows with it), falling back to all sizes, then to
 * `fallbackMs`.
 */
export class BatchOverhead {
  private readonly all: DecayingWindow;
  private readonly perBatch = new Map<number, DecayingWindow>();

  constructor(private readonly options: BatchOverheadOptions) {
    if (!(options.fallbackMs >= 0)) throw new Error('batch overhead: fallbackMs must be ≥ 0');
    this.all = new DecayingWindow(options.window * 2, options.quantile, options.decay, 'min');
  }

  /**
   * Records the overhead `ms` (≥ 0; others are ignored) of one batch of `batch` requests, finished at `atMs`
   * (`agingMs` on the aging clock that the decay reads; default the same).
   */
  observe(batch: number, ms: number, atMs: number, agingMs: number = atMs): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    let window = this.perBatch.get(batch);
    if (window === undefined) this.perBatch.set(batch, (window = new DecayingWindow(this.options.window, this.options.quantile, this.options.decay, 'min')));
    window.push(ms, atMs, agingMs);
    this.all.push(ms, atMs, agingMs);
  }

  /** The estimate (ms) for a batch of `batch` at aging time `agingNowMs`. */
  valueAt(batch: number, agingNowMs: number): number {
    const window = this.windowFor(batch);
    return window === undefined ? this.options.fallbackMs : window.valueAt(agingNowMs);
  }

  /** The optimistic estimate: the smallest overhead observed for this batch size (or all sizes), else the fallback. */
  floor(batch: number): number {
    const window = this.windowFor(batch);
    return window === undefined ? this.options.fallbackMs : window.floorValue;
  }

  /** Every window with an id unique within the task (`-1` = all sizes), for change tracking. */
  *windows(): Iterable<readonly [number, DecayingWindow]> {
    yield [-1, this.all];
    yield* this.perBatch;
  }

  private windowFor(batch: number): DecayingWindow | undefined {
    const own = this.perBatch.get(batch);
    if (own !== undefined && own.size >= this.options.minSamples) return own;
    return this.all.size > 0 ? this.all : undefined;
  }
}
