import type { StitchSpec, TaskName } from '../bundle/manifest.js';
import { profileKey, stitchCost } from './profile-plan.js';

/** Where a latency figure comes from. */
export type LatencySource = 'measured' | 'interpolated';

export interface LatencyEntry {
  /** Median compute time of one batch in ms (session run only, no queueing). */
  ms: number;
  source: LatencySource;
}

/**
 * Pure: fills L(task, stitch, batch) for every served stitch and allowed batch size from the measured subset.
 * Within a measured batch size, unmeasured stitches are interpolated piecewise-linearly in FLOPs between the
 * measured stitches (linear extrapolation beyond the ends, never below 0.05 × the nearest point); other batch
 * sizes are interpolated linearly in batch size between the nearest measured sizes of the same stitch.
 * Measured entries are kept as they are.
 */
export function completeProfile(
  measured: ReadonlyMap<string, number>,
  tasks: readonly TaskName[],
  stitches: readonly Readonly<StitchSpec>[],
  batchSizes: readonly number[],
): Map<string, LatencyEntry> {
  const out = new Map<string, LatencyEntry>();
  for (const [key, ms] of measured) out.set(key, { ms, source: 'measured' });
  for (const task of tasks) {
    const measuredBatches = batchSizes.filter((b) => stitches.some((s) => measured.has(profileKey(task, s.id, b))));
    for (const batch of measuredBatches) {
      const points = stitches
        .filter((s) => measured.has(profileKey(task, s.id, batch)))
        .map((s) => ({ x: stitchCost(s, task), y: measured.get(profileKey(task, s.id, batch))! }))
        .sort((a, b) => a.x - b.x);
      for (const s of stitches) {
        const key = profileKey(task, s.id, batch);
        if (!out.has(key)) out.set(key, { ms: interpolate(points, stitchCost(s, task)), source: 'interpolated' });
      }
    }
    if (measuredBatches.length === 0) continue;
    const known = measuredBatches.map((b) => ({ x: b, y: 0 }));
    for (const s of stitches) {
      const points = known.map(({ x }) => ({ x, y: out.get(profileKey(task, s.id, x))!.ms }));
      for (const batch of batchSizes) {
        const key = profileKey(task, s.id, batch);
        if (!out.has(key)) out.set(key, { ms: interpolate(points, batch), source: 'interpolated' });
      }
    }
  }
  return out;
}

/** Piecewise-linear interpolation in x (points in any order; equal x are averaged). */
export function interpolate(points: readonly { x: number; y: number }[], x: number): number {
  const merged = mergeEqualX(points);
  if (merged.length === 0) throw new RangeError('interpolate needs at least one point');
  if (merged.length === 1) return merged[0]!.y;
  let i = merged.findIndex((p) => p.x >= x);
  if (i === -1) i = merged.length - 1;
  if (i === 0) i = 1;
  const lo = merged[i - 1]!;
  const hi = merged[i]!;
  const y = lo.y + ((hi.y - lo.y) * (x - lo.x)) / (hi.x - lo.x);
  // Extrapolating below the cheapest point along a steep segment could reach zero or below.
  const nearest = x <= lo.x ? lo.y : hi.y;
  return Math.max(y, 0.05 * nearest);
}

function mergeEqualX(points: readonly { x: number; y: number }[]): { x: number; y: number }[] {
  const groups = new Map<number, number[]>();
  for (const p of points) groups.set(p.x, [...(groups.get(p.x) ?? []), p.y]);
  return [...groups]
    .map(([x, ys]) => ({ x, y: ys.reduce((a, b) => a + b, 0) / ys.length }))
    .sort((a, b) => a.x - b.x);
}
