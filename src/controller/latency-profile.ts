import type { StitchCatalog, TaskCatalog } from './catalog.js';
import type { TaskName } from './types.js';

/**
 * A start-up latency profile as the engine exposes it (docs/contracts.md §2): key `task:stitchId:batch`,
 * value the measured batch wall time in ms. Any subset of stitches and batch sizes may be present.
 */
export type LatencyProfile = ReadonlyMap<string, number>;

/** The profile key of one measurement. */
export function profileKey(task: TaskName, stitchId: number, batch: number): string {
  return `${task}:${stitchId}:${batch}`;
}

/** Measured points of one stitch, batch ascending. */
type Curve = ReadonlyArray<readonly [batch: number, ms: number]>;

/**
 * Linear cost model `ms = gflops · (perBatchMsPerGflop + perItemMsPerGflop · batch)` fitted to two measured
 * facts (platform.md): a DeiT-S 12-block forward (4.61 GFLOPs) takes ~90 ms at batch 1 and ~400 ms at
 * batch 8 on 2 threads here. Used only where nothing was profiled; results built on it are "FLOPs-derived".
 */
export const FLOPS_DERIVED_COST = (() => {
  const gflops = 4.608338304;
  const perItem = (400 / gflops - 90 / gflops) / 7;
  return { perBatchMsPerGflop: 90 / gflops - perItem, perItemMsPerGflop: perItem } as const;
})();

/** Batch latency (ms) from FLOPs alone, with the `FLOPS_DERIVED_COST` model. */
export function flopsDerivedMs(gflops: number, batch: number): number {
  return gflops * (FLOPS_DERIVED_COST.perBatchMsPerGflop + FLOPS_DERIVED_COST.perItemMsPerGflop * batch);
}

/** A whole FLOPs-derived profile for every stitch of `catalog` at `batches`. */
export function flopsDerivedProfile(catalog: StitchCatalog, batches: readonly number[]): Map<string, number> {
  const profile = new Map<string, number>();
  for (const [task, tc] of catalog) {
    for (const point of tc.stitches.values()) {
      for (const b of batches) profile.set(profileKey(task, point.id, b), flopsDerivedMs(point.gflops, b));
    }
  }
  return profile;
}

/** Reads a profile from a plain JSON object (`{"classify:0:1": 90.1, ...}`), rejecting malformed entries. */
export function profileFromJson(value: unknown): Map<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('latency profile: expected an object of "task:stitch:batch" → ms');
  }
  const profile = new Map<string, number>();
  for (const [key, ms] of Object.entries(value)) {
    if (!/^[a-z]+:\d+:[1-9]\d*$/.test(key)) throw new Error(`latency profile: bad key '${key}' (want task:stitch:batch)`);
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
      throw new Error(`latency profile: '${key}' must be a positive number of ms`);
    }
    profile.set(key, ms);
  }
  return profile;
}

/** Evaluates a measured curve at any batch: linear between points, linear extrapolation outside. */
function evalCurve(curve: Curve, batch: number): number {
  const first = curve[0]!;
  if (curve.length === 1) return (first[1] * batch) / first[0];
  let lo = curve[0]!;
  let hi = curve[1]!;
  for (let i = 1; i < curve.length && curve[i - 1]![0] < batch; i++) {
    lo = curve[i - 1]!;
    hi = curve[i]!;
  }
  const slope = Math.max(0, (hi[1] - lo[1]) / (hi[0] - lo[0]));
  const linear = lo[1] + slope * (batch - lo[0]);
  // Below the smallest measured batch, per-item cost can only grow, so proportional scaling bounds it from below.
  return batch < first[0] ? Math.max(linear, (first[1] * batch) / first[0]) : linear;
}

/**
 * Base latency L(task, stitch, batch) from a profile: measured curves are interpolated in batch; a stitch
 * without measurements is interpolated in FLOPs between the measured stitches just below and above it
 * (scaled by FLOPs outside that range); a task with no measurement at all falls back to `flopsDerivedMs`.
 */
export class ProfileInterpolator {
  private readonly curves = new Map<TaskName, Map<number, Curve>>();
  /** Measured stitches per task, by FLOPs ascending. */
  private readonly measured = new Map<TaskName, Array<{ gflops: number; curve: Curve }>>();

  constructor(
    private readonly catalog: StitchCatalog,
    profile: LatencyProfile,
  ) {
    const points = new Map<string, Array<[number, number]>>();
    for (const [key, ms] of profile) {
      const [task, stitch, batch] = key.split(':');
      const tc = catalog.get(task as TaskName);
      const id = Number(stitch);
      if (tc === undefined || !tc.stitches.has(id)) continue;
      const k = `${task}:${id}`;
      if (!points.has(k)) points.set(k, []);
      points.get(k)!.push([Number(batch), ms]);
    }
    for (const [k, pts] of points) {
      const [task, stitch] = k.split(':') as [TaskName, string];
      pts.sort((a, b) => a[0] - b[0]);
      if (!this.curves.has(task)) this.curves.set(task, new Map());
      this.curves.get(task)!.set(Number(stitch), pts);
    }
    for (const [task, byStitch] of this.curves) {
      const tc = catalog.get(task)!;
      const list = [...byStitch].map(([id, curve]) => ({ gflops: tc.stitches.get(id)!.gflops, curve }));
      this.measured.set(task, list.sort((a, b) => a.gflops - b.gflops));
    }
  }

  /** Base prediction in ms; `stitchId` must be in the catalog of `task`. */
  predict(task: TaskName, stitchId: number, batch: number): number {
    const own = this.curves.get(task)?.get(stitchId);
    if (own !== undefined) return evalCurve(own, batch);
    const gflops = this.gflopsOf(task, stitchId);
    const measured = this.measured.get(task);
    if (measured === undefined || measured.length === 0) return flopsDerivedMs(gflops, batch);
    let above = measured.findIndex((m) => m.gflops >= gflops);
    if (above === -1) above = measured.length;
    const lo = measured[Math.max(0, above - 1)]!;
    const hi = measured[Math.min(measured.length - 1, above)]!;
    const loMs = evalCurve(lo.curve, batch);
    if (lo === hi || hi.gflops === lo.gflops) return (loMs * gflops) / Math.max(lo.gflops, 1e-12);
    const t = (gflops - lo.gflops) / (hi.gflops - lo.gflops);
    return loMs + t * (evalCurve(hi.curve, batch) - loMs);
  }

  private gflopsOf(task: TaskName, stitchId: number): number {
    const tc: TaskCatalog | undefined = this.catalog.get(task);
    const point = tc?.stitches.get(stitchId);
    if (point === undefined) throw new Error(`latency model: no stitch ${stitchId} for task '${task}'`);
    return point.gflops;
  }
}
