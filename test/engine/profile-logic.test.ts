import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StitchSpec, TaskSpec } from '../../src/bundle/manifest.js';
import { completeProfile, interpolate } from '../../src/engine/latency-profile.js';
import {
  costModel,
  parseProfileKey,
  probeShape,
  profileKey,
  profilePlan,
  representativeStitches,
  unmeasuredBatchShapes,
} from '../../src/engine/profile-plan.js';
import { median } from '../../src/engine/profiler.js';

const taskSpec = { metric: { name: 'top1', higherIsBetter: true } } as TaskSpec;

function stitch(id: number, flops: number, top1?: number, kind: StitchSpec['kind'] = 's2l'): StitchSpec {
  return {
    id, kind, anchors: [0], route: [[0, 1]], stitchLayers: [-1], slots: [], params: flops,
    flops: { classify: flops }, ...(top1 === undefined ? {} : { metrics: { classify: { top1 } } }),
  };
}

test('interpolate: piecewise linear, extrapolates, never collapses to zero, merges equal x', () => {
  const pts = [{ x: 1, y: 10 }, { x: 3, y: 30 }, { x: 5, y: 40 }];
  assert.equal(interpolate(pts, 2), 20);
  assert.equal(interpolate(pts, 4), 35);
  assert.equal(interpolate(pts, 7), 50);
  assert.equal(interpolate([{ x: 1, y: 10 }, { x: 2, y: 100 }], 0), 0.5); // floored at 0.05 × nearest
  assert.equal(interpolate([{ x: 2, y: 4 }, { x: 2, y: 6 }, { x: 4, y: 9 }], 3), 7);
  assert.equal(interpolate([{ x: 2, y: 4 }], 100), 4);
});

const oneMs = () => 1;

test('profilePlan measures every shape when they fit the count and the time budget', () => {
  const stitches = [stitch(0, 10), stitch(1, 20)];
  const input = { tasks: [{ name: 'classify' as const, spec: taskSpec }], stitches, batchSizes: [1, 2, 4], sampleStitches: 8, runsPerShape: 3, estimateMs: oneMs };
  const plan = profilePlan({ ...input, maxShapes: 6, budgetMs: 18 });
  assert.equal(plan.complete, true);
  assert.equal(plan.shapes.length, 6);
  assert.equal(profilePlan({ ...input, maxShapes: 6, budgetMs: 17 }).complete, false, 'over the time budget');
  assert.equal(profilePlan({ ...input, maxShapes: 5, budgetMs: 1e9 }).complete, false, 'over the shape count');
});

test('over budget: cheapest and dearest always, then anchors, spread and frontier while the budget lasts', () => {
  const stitches = Array.from({ length: 40 }, (_, i) => stitch(i, 100 + i * 10, i % 7 === 0 ? 0.5 + i / 100 : 0.1, i === 20 ? 'anchor' : 's2l'));
  const ids = representativeStitches(stitches, 'classify', taskSpec, 5);
  assert.deepEqual(ids.slice(0, 3), [0, 39, 20], 'cheapest, dearest, anchors');
  for (const id of [10, 29]) assert.ok(ids.includes(id), `spread sample has ${id}`);
  for (const id of [7, 14, 21, 28, 35]) assert.ok(ids.includes(id), `frontier has ${id}`);
  const input = { tasks: [{ name: 'classify' as const, spec: taskSpec }], stitches, batchSizes: [1, 2, 4, 8], sampleStitches: 5, runsPerShape: 2, estimateMs: oneMs };
  const tight = profilePlan({ ...input, maxShapes: 1000, budgetMs: 1 });
  assert.deepEqual(tight.shapes.map((s) => `${s.stitchId}:${s.batch}`), ['0:1', '0:8', '39:1', '39:8'], 'the extremes even over budget');
  const roomy = profilePlan({ ...input, maxShapes: 1000, budgetMs: 24 });
  assert.equal(roomy.complete, false);
  assert.equal(roomy.shapes.length, 12, '6 stitches × 2 end batch sizes × 2 runs = 24 ms');
  assert.ok(roomy.shapes.every((s) => s.batch === 1 || s.batch === 8));
});

test('probe shape, cost model and key parsing', () => {
  const stitches = [stitch(0, 100), stitch(1, 300), stitch(2, 200)];
  const probe = probeShape({ tasks: [{ name: 'classify', spec: taskSpec }], stitches, batchSizes: [1, 8] });
  assert.deepEqual(probe, { task: 'classify', stitchId: 1, batch: 8 });
  const estimate = costModel(stitches, probe, 240);
  assert.equal(estimate({ task: 'classify', stitchId: 0, batch: 1 }), 10);
  assert.deepEqual(parseProfileKey('detect:14:4'), { task: 'detect', stitchId: 14, batch: 4 });
  assert.equal(parseProfileKey('nonsense'), null);
});

test('completeProfile interpolates unmeasured stitches in FLOPs and batch sizes in batch', () => {
  const stitches = [stitch(0, 100), stitch(1, 200), stitch(2, 300)];
  const measured = new Map([
    [profileKey('classify', 0, 1), 10], [profileKey('classify', 2, 1), 30],
    [profileKey('classify', 0, 8), 80], [profileKey('classify', 2, 8), 240],
  ]);
  const table = completeProfile(measured, ['classify'], stitches, [1, 2, 8]);
  assert.deepEqual(table.get('classify:1:1'), { ms: 20, source: 'interpolated' });
  assert.deepEqual(table.get('classify:1:8'), { ms: 160, source: 'interpolated' });
  assert.deepEqual(table.get('classify:0:1'), { ms: 10, source: 'measured' });
  assert.equal(table.get('classify:0:2')!.ms, 20);
  assert.equal(table.size, 9);
});

test('median', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
});

test('batch sizes without a measured shape are warmed with the dearest stitch', () => {
  const stitches = [stitch(0, 100), stitch(1, 300)];
  const shapes = unmeasuredBatchShapes(['classify:0:1', 'classify:1:8'], ['classify'], stitches, [1, 2, 4, 8]);
  assert.deepEqual(shapes, [{ task: 'classify', stitchId: 1, batch: 2 }, { task: 'classify', stitchId: 1, batch: 4 }]);
});
