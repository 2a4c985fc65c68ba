import type { StitchCatalog, StitchPoint } from '../../src/controller/catalog.js';
import { FrontierIndex } from '../../src/controller/frontier-index.js';
import { LatencyModel } from '../../src/controller/latency-model.js';
import { profileKey } from '../../src/controller/latency-profile.js';
import type { LoadSnapshot, QueuedRequest, TaskName } from '../../src/controller/types.js';

/**
 * A small classify family: cost ms = gflops · (10 + 10·batch), accuracy concave in FLOPs, plus one dominated
 * stitch (id 9: dear and poor). Frontier: 0 (1 GF) < 1 (2 GF) < 2 (4 GF) < 3 (8 GF).
 */
export const POINTS: StitchPoint[] = [
  { id: 0, gflops: 1, accuracy: 0.7 },
  { id: 1, gflops: 2, accuracy: 0.8 },
  { id: 2, gflops: 4, accuracy: 0.86 },
  { id: 3, gflops: 8, accuracy: 0.9 },
  { id: 9, gflops: 6, accuracy: 0.75 },
];

export function makeCatalog(points: StitchPoint[] = POINTS): StitchCatalog {
  return new Map([['classify', { task: 'classify', metric: 'top1', stitches: new Map(points.map((p) => [p.id, p])) }]]);
}

export const costMs = (gflops: number, batch: number): number => gflops * (10 + 10 * batch);

/** Profile with every stitch measured at batches 1, 2, 4, 8 on the linear cost above. */
export function makeProfile(points: StitchPoint[] = POINTS): Map<string, number> {
  const profile = new Map<string, number>();
  for (const p of points) for (const b of [1, 2, 4, 8]) profile.set(profileKey('classify', p.id, b), costMs(p.gflops, b));
  return profile;
}

export function makeParts(points: StitchPoint[] = POINTS): { latency: LatencyModel; frontier: FrontierIndex } {
  const catalog = makeCatalog(points);
  const latency = new LatencyModel(catalog, makeProfile(points));
  return { latency, frontier: new FrontierIndex(catalog, latency) };
}

/** `n` queued classify requests arriving at `arrivalMs`, deadline `arrivalMs + budgetMs`, ids r0..r(n-1). */
export function makeQueue(n: number, budgetMs: number, stitches: readonly number[] = [0, 1, 2, 3], arrivalMs = 0): QueuedRequest[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    task: 'classify' as TaskName,
    arrivalMs,
    deadlineMs: arrivalMs + budgetMs + i * 1e-3,
    stitches,
  }));
}

export function makeSnapshot(queue: QueuedRequest[], nowMs = 0, maxBatch = 8, executorFreeAtMs = nowMs): LoadSnapshot {
  const { latency, frontier } = makeParts();
  return {
    nowMs,
    executorFreeAtMs,
    queues: new Map([['classify', queue]]),
    latency,
    quality: frontier,
    maxBatch,
    arrivalRatePerMs: new Map(),
    typicalBudgetMs: new Map(),
    burstArrivals: new Map(),
  };
}
