import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StitchSpec, TaskSpec } from '../../src/bundle/manifest.js';
import { completeProfile, interpolate } from '../../src/engine/latency-profile.js';
import { profileKey, profilePlan, representativeStitches } from '../../src/engine/profile-plan.js';
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

test('profilePlan measures every shape when the family is small', () => {
  const stitches = [stitch(0, 10), stitch(1, 20)];
  const plan = profilePlan({ tasks: [{ name: 'classify', spec: taskSpec }], stitches, batchSizes: [1, 2, 4], maxShapes: 6, sampleStitches: 8 });
  assert.equal(plan.complete, true);
  assert.equal(plan.shapes.length, 6);
});

test('profilePlan takes anchors, a FLOPs spread and the frontier at the end batch sizes when large', () => {
  const stitches = Array.from({ length: 40 }, (_, i) => stitch(i, 100 + i * 10, i % 7 === 0 ? 0.5 + i / 100 : 0.1, i === 39 ? 'anchor' : 's2l'));
  const plan = profilePlan({ tasks: [{ name: 'classify', spec: taskSpec }], stitches, batchSizes: [1, 2, 4, 8], maxShapes: 40, sampleStitches: 5 });
  assert.equal(plan.complete, false);
  assert.ok(plan.shapes.every((s) => s.batch === 1 || s.batch === 8));
  assert.ok(plan.shapes.length <= 40);
  const ids = representativeStitches(stitches, 'classify', taskSpec, 5);
  assert.equal(ids[0], 39, 'anchors first');
  for (const id of [0, 10, 20, 29]) assert.ok(ids.includes(id), `spread sample has ${id}`);
  for (const id of [7, 14, 21, 28, 35]) assert.ok(ids.includes(id), `frontier has ${id}`);
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
