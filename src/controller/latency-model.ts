import { performance } from 'node:perf_hooks';
import type { StitchCatalog } from './catalog.js';
import { ProfileInterpolator, type LatencyProfile } from './latency-profile.js';
import { DEFAULT_PREPROCESS_OPTIONS, PreprocessEstimate, type PreprocessEstimateOptions } from './preprocess-estimate.js';
import { SlidingQuantile } from './sliding-quantile.js';
import type { LatencyEstimator, TaskName } from './types.js';

/** Tuning of the online correction; defaults in `DEFAULT_LATENCY_OPTIONS`. */
export interface LatencyModelOptions {
  /** Observations kept per key (twice as many per task) in the sliding windows. */
  window: number;
  /** Observations older than this (ms) leave the windows, so a correction that stops being refreshed decays. */
  maxAgeMs: number;
  /** Quantile of observed/base ratios used as the correction factor (high → conservative). */
  quantile: number;
  /** Observations a window needs before its correction is trusted. */
  minSamples: number;
  /** Relative change of a correction that counts as "the profile changed" (frontiers are recomputed). */
  versionThreshold: number;
  /** Preprocessing estimate per task (ms) while no recent observation exists (default 0). */
  preprocessMs: Partial<Record<TaskName, number>>;
  /** Window of the preprocessing estimate (see `PreprocessEstimate`); the fallback comes from `preprocessMs`. */
  preprocess: Omit<PreprocessEstimateOptions, 'fallbackMs'>;
  /** Clock (ms) for observations and estimates given no explicit time; the scheduler passes its own. */
  now: () => number;
}

export const DEFAULT_LATENCY_OPTIONS: Readonly<LatencyModelOptions> = Object.freeze({
  window: 64,
  maxAgeMs: 30_000,
  quantile: 0.98,
  minSamples: 4,
  versionThreshold: 0.05,
  preprocessMs: {},
  preprocess: DEFAULT_PREPROCESS_OPTIONS,
  now: () => performance.now(),
});

/** Correction windows of one task. */
interface TaskState {
  /** Ratios observed/base over every key of the task: tracks drift that hits all stitches (CPU contention). */
  all: SlidingQuantile;
  /** Per (stitch, batch) ratios, key `stitch*4096+batch`. */
  perKey: Map<number, SlidingQuantile>;
  /** Base predictions cached per stitch, index = batch. */
  base: Map<number, number[]>;
  preprocess: PreprocessEstimate;
}

/**
 * L(task, stitch, batch): the start-up profile (interpolated by `ProfileInterpolator`) times a correction
 * learnt online from observed batch times. The correction is a high quantile (default p95) of the
 * observed/base ratio over a sliding window (the last `window` observations no older than `maxAgeMs`), per
 * (stitch, batch) once that key has `minSamples` observations, else the same quantile pooled over the task
 * (1 before `minSamples` observations). It ignores a few outliers per window and keeps a margin for noise.
 * Windows forget by age as well as by count because a pessimistic correction feeds itself: a stitch predicted
 * too slow is no longer chosen, and a request refused for a too-slow prediction runs no batch, so neither adds
 * the observation that would correct it. Time moves with `advanceTo` (the scheduler calls it on every event).
 * `version` increases when the profile is replaced or a correction moved by more than `versionThreshold`.
 */
export class LatencyModel implements LatencyEstimator {
  private interpolator: ProfileInterpolator;
  private readonly tasks = new Map<TaskName, TaskState>();
  private readonly options: LatencyModelOptions;
  /** Correction values at the last version bump, same keys as the windows (task-wide = -1). */
  private readonly published = new Map<string, number>();
  private versionCounter = 0;
  /** The model's time (ms): the latest `advanceTo` or observation. */
  private nowMs = Number.NEGATIVE_INFINITY;
  /** Earliest time at which some correction observation gets older than `maxAgeMs`. */
  private nextExpiryMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly catalog: StitchCatalog,
    profile: LatencyProfile,
    options: Partial<LatencyModelOptions> = {},
  ) {
    this.options = { ...DEFAULT_LATENCY_OPTIONS, ...options };
    if (!(this.options.quantile > 0 && this.options.quantile <= 1)) throw new Error('latency model: quantile must be in (0, 1]');
    if (this.options.window < 1 || this.options.minSamples < 1) throw new Error('latency model: window and minSamples must be ≥ 1');
    if (!(this.options.maxAgeMs > 0)) throw new Error('latency model: maxAgeMs must be positive');
    this.interpolator = new ProfileInterpolator(catalog, profile);
  }

  get version(): number {
    return this.versionCounter;
  }

  /** Replaces the start-up profile (e.g. after the engine re-profiled); corrections are kept. */
  setProfile(profile: LatencyProfile): void {
    this.interpolator = new ProfileInterpolator(this.catalog, profile);
    for (const state of this.tasks.values()) state.base.clear();
    this.versionCounter++;
  }

  /** Base (uncorrected) prediction in ms. */
  base(task: TaskName, stitchId: number, batch: number): number {
    const state = this.state(task);
    let row = state.base.get(stitchId);
    if (row === undefined) state.base.set(stitchId, (row = []));
    let ms = row[batch];
    if (ms === undefined) row[batch] = ms = this.interpolator.predict(task, stitchId, batch);
    return ms;
  }

  predict(task: TaskName, stitchId: number, batch: number): number {
    return this.base(task, stitchId, batch) * this.correction(task, stitchId, batch);
  }

  /** The multiplicative correction currently applied to (task, stitch, batch). */
  correction(task: TaskName, stitchId: number, batch: number): number {
    const state = this.state(task);
    const key = state.perKey.get(stitchId * 4096 + batch);
    if (key !== undefined && key.size >= this.options.minSamples) return key.value;
    return state.all.size >= this.options.minSamples ? state.all.value : 1;
  }

  /**
   * Records the observed wall time (ms) of one batch, finished at `nowMs` (default: the model's clock).
   * Non-finite or non-positive times are ignored.
   */
  observe(task: TaskName, stitchId: number, batch: number, ms: number, nowMs: number = this.options.now()): void {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    this.advanceTo(nowMs);
    const at = this.nowMs;
    const state = this.state(task);
    const ratio = ms / this.base(task, stitchId, batch);
    const keyId = stitchId * 4096 + batch;
    let key = state.perKey.get(keyId);
    if (key === undefined) state.perKey.set(keyId, (key = new SlidingQuantile(this.options.window, this.options.quantile)));
    key.push(ratio, at);
    state.all.push(ratio, at);
    this.nextExpiryMs = Math.min(this.nextExpiryMs, at + this.options.maxAgeMs);
    this.maybeBump(`${task}:${keyId}`, key);
    this.maybeBump(`${task}:-1`, state.all);
  }

  /** Moves the model's time forward to `nowMs` (earlier times are ignored), forgetting observations too old. */
  advanceTo(nowMs: number): void {
    if (!(nowMs > this.nowMs)) return;
    this.nowMs = nowMs;
    if (nowMs < this.nextExpiryMs) return;
    const cutoff = nowMs - this.options.maxAgeMs;
    let oldest = Number.POSITIVE_INFINITY;
    const sweep = (id: string, window: SlidingQuantile): void => {
      if (window.expireBefore(cutoff) > 0) this.maybeBump(id, window);
      oldest = Math.min(oldest, window.oldestMs ?? Number.POSITIVE_INFINITY);
    };
    for (const [task, state] of this.tasks) {
      // The task-wide window is the noise margin of every key without its own: it forgets by age only once
      // no batch at all ran for maxAgeMs (idle, or every request refused), else by count.
      if ((state.all.newestMs ?? Number.POSITIVE_INFINITY) < cutoff) sweep(`${task}:-1`, state.all);
      oldest = Math.min(oldest, state.all.newestMs ?? Number.POSITIVE_INFINITY);
      // A stitch's own window forgets by age only while it is more pessimistic than the task-wide one: that
      // is the case that feeds itself; a key predicted no slower than the rest is chosen and so refreshed.
      const taskWide = state.all.size >= this.options.minSamples ? state.all.value : 1;
      for (const [keyId, window] of state.perKey) {
        if (window.size > 0 && window.value > taskWide) sweep(`${task}:${keyId}`, window);
        oldest = Math.min(oldest, window.oldestMs ?? Number.POSITIVE_INFINITY);
      }
    }
    this.nextExpiryMs = oldest + this.options.maxAgeMs;
  }

  /** Predicted preprocessing time (ms) of a request of `task` starting at `nowMs` (default: the model's clock). */
  preprocessMs(task: TaskName, nowMs: number = this.options.now()): number {
    return this.state(task).preprocess.valueAt(nowMs);
  }

  /** Records the observed preprocessing time (ms) of one request, finished at `nowMs` (default: the model's clock). */
  observePreprocess(task: TaskName, ms: number, nowMs: number = this.options.now()): void {
    this.state(task).preprocess.observe(ms, nowMs);
  }

  /** Bumps `version` when the window's correction (1 once it has too few observations) moved enough. */
  private maybeBump(id: string, window: SlidingQuantile): void {
    const current = window.size >= this.options.minSamples ? window.value : 1;
    const last = this.published.get(id) ?? 1;
    if (Math.abs(current / last - 1) > this.options.versionThreshold) {
      this.published.set(id, current);
      this.versionCounter++;
    }
  }

  private state(task: TaskName): TaskState {
    let state = this.tasks.get(task);
    if (state === undefined) {
      const { window, quantile } = this.options;
      state = {
        all: new SlidingQuantile(window * 2, quantile),
        perKey: new Map(),
        base: new Map(),
        preprocess: new PreprocessEstimate({ ...this.options.preprocess, fallbackMs: this.options.preprocessMs[task] ?? 0 }),
      };
      this.tasks.set(task, state);
    }
    return state;
  }
}
