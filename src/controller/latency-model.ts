import type { StitchCatalog } from './catalog.js';
import { ProfileInterpolator, type LatencyProfile } from './latency-profile.js';
import { performance } from 'node:perf_hooks';
import { DEFAULT_PREPROCESS_OPTIONS, PreprocessEstimate, type PreprocessEstimateOptions } from './preprocess-estimate.js';
import { SlidingQuantile } from './sliding-quantile.js';
import type { LatencyEstimator, TaskName } from './types.js';

/** Tuning of the online correction; defaults in `DEFAULT_LATENCY_OPTIONS`. */
export interface LatencyModelOptions {
  /** Observations kept per key (and per task) in the sliding windows. */
  window: number;
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
  quantile: 0.99,
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
 * learnt online from observed batch times. The correction is a high quantile (default p90) of the
 * observed/base ratio over a sliding window, per (stitch, batch) once that key has `minSamples`
 * observations, else the same quantile pooled over the task (1 before `minSamples` observations). It is
 * robust to single outliers, keeps a margin for noise, and forgets old conditions.
 * `version` increases when the profile is replaced or a correction moved by more than `versionThreshold`.
 */
export class LatencyModel implements LatencyEstimator {
  private interpolator: ProfileInterpolator;
  private readonly tasks = new Map<TaskName, TaskState>();
  private readonly options: LatencyModelOptions;
  /** Correction values at the last version bump, same keys as the windows (task-wide = -1). */
  private readonly published = new Map<string, number>();
  private versionCounter = 0;

  constructor(
    private readonly catalog: StitchCatalog,
    profile: LatencyProfile,
    options: Partial<LatencyModelOptions> = {},
  ) {
    this.options = { ...DEFAULT_LATENCY_OPTIONS, ...options };
    if (!(this.options.quantile > 0 && this.options.quantile <= 1)) throw new Error('latency model: quantile must be in (0, 1]');
    if (this.options.window < 1 || this.options.minSamples < 1) throw new Error('latency model: window and minSamples must be ≥ 1');
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

  /** Records the observed wall time (ms) of one batch. Non-finite or non-positive values are ignored. */
  observe(task: TaskName, stitchId: number, batch: number, ms: number): void {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    const state = this.state(task);
    const ratio = ms / this.base(task, stitchId, batch);
    const keyId = stitchId * 4096 + batch;
    let key = state.perKey.get(keyId);
    if (key === undefined) state.perKey.set(keyId, (key = new SlidingQuantile(this.options.window, this.options.quantile)));
    key.push(ratio);
    state.all.push(ratio);
    this.maybeBump(`${task}:${keyId}`, key);
    this.maybeBump(`${task}:-1`, state.all);
  }

  /** Predicted preprocessing time (ms) of a request of `task` starting at `nowMs` (default: the model's clock). */
  preprocessMs(task: TaskName, nowMs: number = this.options.now()): number {
    return this.state(task).preprocess.valueAt(nowMs);
  }

  /** Records the observed preprocessing time (ms) of one request, finished at `nowMs` (default: the model's clock). */
  observePreprocess(task: TaskName, ms: number, nowMs: number = this.options.now()): void {
    this.state(task).preprocess.observe(ms, nowMs);
  }

  private maybeBump(id: string, window: SlidingQuantile): void {
    if (window.size < this.options.minSamples) return;
    const last = this.published.get(id) ?? 1;
    if (Math.abs(window.value / last - 1) > this.options.versionThreshold) {
      this.published.set(id, window.value);
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
