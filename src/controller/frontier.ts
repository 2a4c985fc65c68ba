import type { StitchPoint } from './catalog.js';

/** A stitch on a Pareto frontier: no other candidate is both cheaper and at least as good. */
export interface FrontierPoint {
  readonly id: number;
  readonly gflops: number;
  /** Known task metric (fraction), undefined when the task has no metric at all. */
  readonly accuracy: number | undefined;
  /** What the frontier ranks by: `accuracy`, or GFLOPs when the task has no known accuracy. */
  readonly quality: number;
  /** Predicted cost used for ranking (ms at the reference batch). */
  readonly costMs: number;
}

/**
 * The Pareto frontier of `points` by (predicted cost ↓, quality ↑), ascending in both. Stitches with an
 * unknown accuracy are left out when any stitch of the set has one; when none has, every stitch competes
 * with GFLOPs as its quality (more compute assumed better), so the frontier is the FLOPs/latency frontier.
 */
export function paretoFrontier(points: Iterable<StitchPoint>, costMs: (id: number) => number): FrontierPoint[] {
  const all = [...points];
  const anyKnown = all.some((p) => p.accuracy !== undefined);
  const ranked = all
    .filter((p) => !anyKnown || p.accuracy !== undefined)
    .map((p) => ({ id: p.id, gflops: p.gflops, accuracy: p.accuracy, quality: p.accuracy ?? p.gflops, costMs: costMs(p.id) }))
    .sort((a, b) => a.costMs - b.costMs || b.quality - a.quality || a.id - b.id);
  const frontier: FrontierPoint[] = [];
  for (const point of ranked) {
    const best = frontier[frontier.length - 1];
    if (best === undefined || point.quality > best.quality) frontier.push(point);
  }
  return frontier;
}

/**
 * Index of the preferred frontier point for quality quantile `q` ∈ [0, 1]: the cheapest point whose quality
 * reaches `min + q·(max − min)` over `frontier` (ascending). q = 0 → the cheapest, q = 1 → the best.
 */
export function preferredIndex(frontier: readonly FrontierPoint[], q: number): number {
  const lo = frontier[0]!.quality;
  const hi = frontier[frontier.length - 1]!.quality;
  const target = lo + q * (hi - lo);
  // A tolerance so that q = 1 always reaches the top point despite rounding.
  const index = frontier.findIndex((p) => p.quality >= target - 1e-12 * Math.max(1, Math.abs(hi)));
  return index === -1 ? frontier.length - 1 : index;
}

/**
 * The upper concave hull of a frontier (ascending cost): the points not below any chord between two others.
 * A point under the hull is beaten by time-sharing its two hull neighbours (same mean cost, more accuracy),
 * so a policy that mixes levels over time should only use hull points. Keeps the first and last point.
 */
export function upperHull(frontier: readonly FrontierPoint[]): FrontierPoint[] {
  const hull: FrontierPoint[] = [];
  for (const p of frontier) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2]!;
      const b = hull[hull.length - 1]!;
      // b is dropped when it lies on or below the chord a → p.
      const cross = (b.costMs - a.costMs) * (p.quality - a.quality) - (b.quality - a.quality) * (p.costMs - a.costMs);
      if (cross >= 0) hull.pop();
      else break;
    }
    hull.push(p);
  }
  return hull;
}
