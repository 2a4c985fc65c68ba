import { SlidingQuantile } from './sliding-quantile.js';

/**
 * How an observation's pull away from the window's floor fades with its age: full weight for `graceMs`, then
 * halved every `halfLifeMs` (Infinity: never fades). Age is counted on the caller's aging clock (the latency
 * model's runs only while no batch runs).
 */
export interface AgeDecay {
  graceMs: number;
  halfLifeMs: number;
}

/** Weight in [0, 1] of an observation `ageMs` old under `decay`. */
export function decayWeight(ageMs: number, decay: AgeDecay): number {
  if (!(ageMs > decay.graceMs) || decay.halfLifeMs === Number.POSITIVE_INFINITY) return 1;
  return 2 ** (-(ageMs - decay.graceMs) / decay.halfLifeMs);
}

/** Model time (ms) a decayed value is reused for before it is recomputed (predictions are read very often). */
const RECOMPUTE_AFTER_MS = 50;

/**
 * A high quantile over a sliding window whose observations fade toward a floor as they age: each value v
 * pushed at aging time a counts, at aging time now, as `floor + (v − floor) · decayWeight(now − a)`. Fresh traffic keeps
 * the plain quantile (every value younger than the grace period counts in full); a window that stops being
 * refreshed (nothing runs because everything is refused, or the server is idle) drifts to the floor instead
 * of keeping a slow spell's values for ever. The floor is a number (e.g. 1 for a correction ratio: the
 * profile) or `'min'`, the smallest value in the window (e.g. a fixed overhead's best case). In a window of 3 or
 * more values the largest one is never the estimate on its own.
 */
export class DecayingWindow {
  private readonly window: SlidingQuantile;
  private cachedAtMs = Number.NaN;
  private cachedValue = Number.NaN;
  private mutations = 0;
  private cachedMutations = -1;

  constructor(
    capacity: number,
    quantile: number,
    private readonly decay: AgeDecay,
    private readonly floor: number | 'min',
  ) {
    if (!(decay.graceMs >= 0) || !(decay.halfLifeMs > 0)) throw new Error('decaying window: graceMs must be ≥ 0 and halfLifeMs > 0');
    // The single largest value of the window never sets the estimate alone (a lone stall or GC pause).
    this.window = new SlidingQuantile(capacity, quantile, 1);
  }

  get size(): number {
    return this.window.size;
  }

  get oldestMs(): number | undefined {
    return this.window.oldestMs;
  }

  get newestMs(): number | undefined {
    return this.window.newestMs;
  }

  /** The plain (undecayed) quantile; NaN when empty. */
  get raw(): number {
    return this.window.value;
  }

  /** The floor values fade toward; NaN when empty and the floor is `'min'`. */
  get floorValue(): number {
    return this.floor === 'min' ? this.window.min : this.floor;
  }

  /** Adds `value` observed at `atMs` (ordinary clock, for `expireBefore`) and `agingMs` (aging clock). */
  push(value: number, atMs: number, agingMs: number = atMs): void {
    this.window.push(value, atMs, agingMs);
    this.mutations++;
  }

  /** Drops values pushed before `cutoffMs`; returns how many. */
  expireBefore(cutoffMs: number): number {
    const dropped = this.window.expireBefore(cutoffMs);
    if (dropped > 0) this.mutations++;
    return dropped;
  }

  /** The quantile of the decayed values at aging time `agingNowMs`; NaN when empty. */
  valueAt(agingNowMs: number): number {
    const nowMs = agingNowMs;
    if (this.cachedMutations === this.mutations && Math.abs(nowMs - this.cachedAtMs) < RECOMPUTE_AFTER_MS) return this.cachedValue;
    const oldest = this.window.oldestStamp;
    // Nothing old enough to fade yet (the common case under steady traffic): the plain quantile.
    if (oldest === undefined || !(nowMs - oldest > this.decay.graceMs)) return this.window.value;
    const floor = this.floorValue;
    this.cachedValue = this.window.quantileOf((v, _atMs, agingMs) => floor + (v - floor) * decayWeight(nowMs - agingMs, this.decay));
    this.cachedAtMs = nowMs;
    this.cachedMutations = this.mutations;
    return this.cachedValue;
  }
}
