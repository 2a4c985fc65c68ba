import { performance } from 'node:perf_hooks';
import type { StitchCatalog } from './catalog.js';
import { BatchOverhead } from './batch-overhead.js';
import { DecayingWindow, type AgeDecay } from './decaying-window.js';
import { ProfileInterpolator, type LatencyProfile } from './latency-profile.js';
import { DEFAULT_PREPROCESS_OPTIONS, PreprocessEstimate, type PreprocessEstimateOptions } from './preprocess-estimate.js';
import type { LatencyEstimator, TaskName } from './types.js';

/** Tuning of the online correction; defaults in `DEFAULT_LATENCY_OPTIONS`. */
export interface LatencyModelOptions {
  /** Observations kept per key (twice as many per task) in the sliding windows. */
  window: number;
  /** Observations older than this (ms) leave the windows, so a correction that stops being refreshed decays. */
  maxAgeMs: number;
  /**
   * A correction more than this factor above its reference (the task-wide one for a stitch's window, the profile
   * for the task-wide window) is a spell (cold start, stall, contention) and forgets by age; closer, it is the
   * noise margin and is kept however old (dropping it cost ~1 pt of SLO attainment after idle gaps of bursty
   * traffic in `bench:controller`).
   */
  spellRatio: number;
  /** Quantile of observed/base ratios used as the correction factor (high → conservative). */
  quantile: number;
  /** Observations a window needs before its correction is trusted. */
  minSamples: number;
  /** Relative change of a correction that counts as "the profile changed" (frontiers are recomputed). */
  versionThreshold: number;
  /**
   * How an overhead observation's distance from the smallest one observed fades with age on the idle clock
   * (time without a running batch), so a stall stops counting a few seconds after it ended even when nothing
   * new is observed. `halfLifeMs: Infinity` disables it.
   */
  overheadDecay: AgeDecay;
  /**
   * The same for correction ratios, toward 1 (the profile). Off by default: on a family whose batches take
   * seconds, fading the noise margin of rarely refreshed stitches cost 0.5–1 pt of SLO attainment in
   * `bench:controller`; those windows forget by age (`maxAgeMs`) instead.
   */
  correctionDecay: AgeDecay;
  /** Quantile of the per-batch overhead observations used as the additive overhead (see `BatchOverhead`). */
  overheadQuantile: number;
  /** Per-batch overhead per task (ms) before any is observed (default 0). */
  overheadMs: Partial<Record<TaskName, number>>;
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
  spellRatio: 1.5,
  quantile: 0.98,
  minSamples: 4,
  versionThreshold: 0.05,
  overheadDecay: Object.freeze({ graceMs: 2_000, halfLifeMs: 2_000 }),
  correctionDecay: Object.freeze({ graceMs: 0, halfLifeMs: Number.POSITIVE_INFINITY }),
  overheadQuantile: 0.95,
  overheadMs: {},
  preprocessMs: {},
  preprocess: DEFAULT_PREPROCESS_OPTIONS,
  now: () => performance.now(),
});

/** Correction windows of one task. */
interface TaskState {
  /** Ratios observed/base over every key of the task: tracks drift that hits all stitches (CPU contention). */
  all: DecayingWindow;
  /** Per (stitch, batch) ratios, key `stitch*4096+batch`. */
  perKey: Map<number, DecayingWindow>;
  /** Additive per-batch overhead (ms), learnt from batches whose executor reported the compute time. */
  overhead: BatchOverhead;
  /** Base predictions cached per stitch, index = batch. */
  base: Map<number, number[]>;
  preprocess: PreprocessEstimate;
}

/** Model time (ms) between two checks of how far decay moved the batch-1 predictions (for `version`). */
const DECAY_CHECK_MS = 1_000;

/**
 * L(task, stitch, batch) = overhead(task, batch) + compute(task, stitch, batch) × correction.
 *
 * - compute: the start-up profile (in-worker compute time, interpolated by `ProfileInterpolator`).
 * - overhead: additive per-batch cost outside the compute (worker round trip, tensor transfer, output copies),
 *   learnt from `batch wall time − reported compute time` (see `BatchOverhead`); 0 (or `overheadMs`) until then.
 * - correction: a high quantile (default p98) of the observed compute/base ratio over a sliding window (the last
 *   `window` observations no older than `maxAgeMs`), per (stitch, batch) once that key has `minSamples`
 *   observations, else the same quantile pooled over the task (1 before `minSamples` observations). When an
 *   executor reports no compute time, the ratio is taken of the wall time minus the smallest overhead seen.
 *
 * Overheads fade with idle time toward the smallest one seen (`overheadDecay`; corrections only if
 * `correctionDecay` is set), and windows forget by age as well as by count,
 * because a pessimistic correction feeds itself: a stitch predicted too slow is no longer chosen, and a request
 * refused for a too-slow prediction runs no batch, so neither adds the observation that would correct it.
 * Time moves with `advanceTo` (the scheduler calls it on every event). `optimistic` is the de-biased view
 * (profile + smallest overhead seen) that an idle scheduler uses to let a request through as a probe.
 * `version` increases when the profile is replaced or a correction or overhead moved by more than
 * `versionThreshold`.
 */
export class LatencyModel implements LatencyEstimator {
  /** The profile plus the smallest overhead observed, without corrections: what an unloaded machine can do. */
  readonly optimistic: LatencyEstimator;
  private interpolator: ProfileInterpolator;
  private readonly tasks = new Map<TaskName, TaskState>();
  private readonly options: LatencyModelOptions;
  /** Values at the last version bump, keyed by window (`task:key` corrections, `task:oh:batch` overheads). */
  private readonly published = new Map<string, number>();
  private versionCounter = 0;
  /** The model's time (ms): the latest `advanceTo` or observation. */
  private nowMs = Number.NEGATIVE_INFINITY;
  /** Earliest time at which some correction observation gets older than `maxAgeMs`. */
  private nextExpiryMs = Number.POSITIVE_INFINITY;
  private nextDecayCheckMs = Number.NEGATIVE_INFINITY;
  /**
   * The aging clock: observations fade only while no batch runs (`batchStarted` … `batchEnded`), because a
   * running batch brings a fresh observation anyway; what must not last is pessimism while nothing runs (idle,
   * or everything refused). Idle time accumulated before `idleSinceMs`; undefined while a batch runs.
   */
  private idleBeforeMs = 0;
  private idleSinceMs: number | undefined = 0;

  constructor(
    private readonly catalog: StitchCatalog,
    profile: LatencyProfile,
    options: Partial<LatencyModelOptions> = {},
  ) {
    this.options = { ...DEFAULT_LATENCY_OPTIONS, ...options };
    if (!(this.options.quantile > 0 && this.options.quantile <= 1)) throw new Error('latency model: quantile must be in (0, 1]');
    if (!(this.options.overheadQuantile > 0 && this.options.overheadQuantile <= 1)) throw new Error('latency model: overheadQuantile must be in (0, 1]');
    if (this.options.window < 1 || this.options.minSamples < 1) throw new Error('latency model: window and minSamples must be ≥ 1');
    if (!(this.options.maxAgeMs > 0)) throw new Error('latency model: maxAgeMs must be positive');
    this.interpolator = new ProfileInterpolator(catalog, profile);
    this.optimistic = {
      predict: (task, stitchId, batch) => this.state(task).overhead.floor(batch) + this.base(task, stitchId, batch),
      preprocessMs: (task, nowMs) => this.preprocessMs(task, nowMs),
      get version() {
        return 0;
      },
    };
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

  /** Base (uncorrected) compute prediction in ms, from the profile. */
  base(task: TaskName, stitchId: number, batch: number): number {
    const state = this.state(task);
    let row = state.base.get(stitchId);
    if (row === undefined) state.base.set(stitchId, (row = []));
    let ms = row[batch];
    if (ms === undefined) row[batch] = ms = this.interpolator.predict(task, stitchId, batch);
    return ms;
  }

  predict(task: TaskName, stitchId: number, batch: number): number {
    return this.overheadMs(task, batch) + this.base(task, stitchId, batch) * this.correction(task, stitchId, batch);
  }

  /** The additive per-batch overhead (ms) currently predicted for a batch of `batch` of `task`. */
  overheadMs(task: TaskName, batch: number): number {
    return this.state(task).overhead.valueAt(batch, this.agingNow());
  }

  /** The executor started a batch at `nowMs`: observations stop fading until `batchEnded`. */
  batchStarted(nowMs: number): void {
    if (this.idleSinceMs === undefined) return;
    this.idleBeforeMs += Math.max(0, nowMs - this.idleSinceMs);
    this.idleSinceMs = undefined;
  }

  /** The executor finished (or failed) its batch at `nowMs`: observations fade again. */
  batchEnded(nowMs: number): void {
    if (this.idleSinceMs === undefined) this.idleSinceMs = nowMs;
  }

  /** The aging clock (ms) at the model's time. */
  private agingNow(): number {
    if (this.idleSinceMs === undefined) return this.idleBeforeMs;
    return this.idleBeforeMs + Math.max(0, this.nowMs - this.idleSinceMs);
  }

  /** The multiplicative correction of the compute time currently applied to (task, stitch, batch). */
  correction(task: TaskName, stitchId: number, batch: number): number {
    const state = this.state(task);
    const key = state.perKey.get(stitchId * 4096 + batch);
    const aging = this.agingNow();
    if (key !== undefined && key.size >= this.options.minSamples) return key.valueAt(aging);
    return state.all.size >= this.options.minSamples ? state.all.valueAt(aging) : 1;
  }

  /**
   * Records the observed wall time (ms) of one batch, finished at `nowMs` (default: the model's clock), and the
   * compute time the executor reported for it, if any (then `ms − computeMs` is this batch's overhead).
   * Non-finite or non-positive times are ignored.
   */
  observe(task: TaskName, stitchId: number, batch: number, ms: number, nowMs: number = this.options.now(), computeMs?: number): void {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    this.advanceTo(nowMs);
    const at = this.nowMs;
    const aging = this.agingNow();
    const state = this.state(task);
    let compute: number;
    if (computeMs !== undefined && computeMs > 0 && Number.isFinite(computeMs)) {
      compute = Math.min(ms, computeMs);
      state.overhead.observe(batch, ms - compute, at, aging);
    } else {
      // No split reported: charge the batch's overhead at its smallest observed value, keep the rest as compute.
      compute = Math.max(ms - state.overhead.floor(batch), ms * MIN_COMPUTE_SHARE);
    }
    const ratio = compute / this.base(task, stitchId, batch);
    const keyId = stitchId * 4096 + batch;
    let key = state.perKey.get(keyId);
    if (key === undefined) state.perKey.set(keyId, (key = this.correctionWindow(this.options.window)));
    key.push(ratio, at, aging);
    state.all.push(ratio, at, aging);
    this.nextExpiryMs = Math.min(this.nextExpiryMs, at + this.options.maxAgeMs);
    this.publishChanges(task, state, keyId, batch);
  }

  /** Moves the model's time forward to `nowMs` (earlier times are ignored), forgetting observations too old. */
  advanceTo(nowMs: number): void {
    if (!(nowMs > this.nowMs)) return;
    this.nowMs = nowMs;
    if (nowMs >= this.nextDecayCheckMs) {
      this.nextDecayCheckMs = nowMs + DECAY_CHECK_MS;
      // Frontiers rank stitches at batch 1, so those are the predictions whose fading must bump the version.
      for (const [task, state] of this.tasks) this.publishChanges(task, state, undefined, 1);
    }
    if (nowMs < this.nextExpiryMs) return;
    const cutoff = nowMs - this.options.maxAgeMs;
    let oldest = Number.POSITIVE_INFINITY;
    const sweep = (window: DecayingWindow): void => {
      window.expireBefore(cutoff);
      oldest = Math.min(oldest, window.oldestMs ?? Number.POSITIVE_INFINITY);
    };
    for (const [task, state] of this.tasks) {
      // The task-wide window is the noise margin of every key without its own: it forgets by age only once
      // no batch at all ran for maxAgeMs (idle, or every request refused) and it holds a spell, else by count.
      const spell = this.options.spellRatio;
      if ((state.all.newestMs ?? Number.POSITIVE_INFINITY) < cutoff && state.all.raw > spell) sweep(state.all);
      oldest = Math.min(oldest, state.all.newestMs ?? Number.POSITIVE_INFINITY);
      // A stitch's own window forgets by age only while it is a spell above the task-wide one: that is the case
      // that feeds itself; a key predicted no slower than the rest is chosen and so refreshed.
      const taskWide = state.all.size >= this.options.minSamples ? state.all.raw : 1;
      for (const window of state.perKey.values()) {
        if (window.size > 0 && window.raw > taskWide * spell) sweep(window);
        oldest = Math.min(oldest, window.oldestMs ?? Number.POSITIVE_INFINITY);
      }
      this.publishChanges(task, state, undefined, undefined);
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

  /**
   * Bumps `version` once when a correction or overhead of the task moved by more than `versionThreshold`:
   * the task-wide ones, and the per-key ones of `keyId` (undefined: every key) and of `batch` (undefined: all).
   */
  private publishChanges(task: TaskName, state: TaskState, keyId: number | undefined, batch: number | undefined): void {
    const { minSamples, versionThreshold } = this.options;
    let changed = false;
    const check = (id: string, current: number, initial: number): void => {
      const last = this.published.get(id) ?? initial;
      if (Math.abs(current - last) > versionThreshold * Math.max(Math.abs(last), 1e-3)) {
        this.published.set(id, current);
        changed = true;
      }
    };
    const aging = this.agingNow();
    const correctionOf = (window: DecayingWindow): number => (window.size >= minSamples ? window.valueAt(aging) : 1);
    check(`${task}:-1`, correctionOf(state.all), 1);
    for (const [id, window] of state.perKey) {
      if ((keyId === undefined || id === keyId) && (batch === undefined || id % 4096 === batch)) check(`${task}:${id}`, correctionOf(window), 1);
    }
    const fallback = this.options.overheadMs[task] ?? 0;
    for (const [size, window] of state.overhead.windows()) {
      if (batch === undefined || size === batch || size === -1) check(`${task}:oh:${size}`, window.size > 0 ? window.valueAt(aging) : fallback, fallback);
    }
    if (changed) this.versionCounter++;
  }

  private correctionWindow(capacity: number): DecayingWindow {
    return new DecayingWindow(capacity, this.options.quantile, this.options.correctionDecay, 1);
  }

  private state(task: TaskName): TaskState {
    let state = this.tasks.get(task);
    if (state === undefined) {
      const { window, minSamples, overheadDecay: decay } = this.options;
      state = {
        all: this.correctionWindow(window * 2),
        perKey: new Map(),
        base: new Map(),
        overhead: new BatchOverhead({ window, quantile: this.options.overheadQuantile, minSamples, decay, fallbackMs: this.options.overheadMs[task] ?? 0 }),
        preprocess: new PreprocessEstimate({ ...this.options.preprocess, fallbackMs: this.options.preprocessMs[task] ?? 0 }),
      };
      this.tasks.set(task, state);
    }
    return state;
  }
}

/** Without a reported compute time, at least this share of a batch's wall time counts as compute. */
const MIN_COMPUTE_SHARE = 0.1;
