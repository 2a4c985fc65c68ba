import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catalogFromManifest } from '../../src/controller/catalog.js';
import { paretoFrontier, preferredIndex, upperHull } from '../../src/controller/frontier.js';
import { checkConstraints, parseQualityHint } from '../../src/controller/hints.js';
import { ServiceError } from '../../src/errors.js';
import { costMs, makeParts, POINTS } from './fixtures.js';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ServiceError);
    return error.code;
  }
  return 'no error';
};

test('the frontier keeps non-dominated stitches, cheapest first', () => {
  const frontier = paretoFrontier(POINTS, (id) => costMs(POINTS.find((p) => p.id === id)!.gflops, 1));
  assert.deepEqual(frontier.map((p) => p.id), [0, 1, 2, 3]);
});

test('without any known accuracy the frontier ranks by FLOPs', () => {
  const unknown = POINTS.map((p) => ({ ...p, accuracy: undefined }));
  const frontier = paretoFrontier(unknown, (id) => unknown.find((p) => p.id === id)!.gflops);
  assert.deepEqual(frontier.map((p) => p.id), [0, 1, 2, 9, 3]);
});

test('hint q picks the cheapest frontier point reaching min + q·(max − min) accuracy', () => {
  const { frontier } = makeParts();
  const f = frontier.frontier('classify');
  assert.equal(f[preferredIndex(f, 0)]!.id, 0);
  assert.equal(f[preferredIndex(f, 1)]!.id, 3);
  assert.equal(f[preferredIndex(f, 0.5)]!.id, 1); // target 0.80
  assert.equal(f[preferredIndex(f, 0.51)]!.id, 2);
  assert.deepEqual(frontier.eligibility('classify', 'balanced').ladder, [0, 1]);
  assert.deepEqual(frontier.eligibility('classify', 'accurate').ladder, [0, 1, 2, 3]);
  assert.deepEqual(frontier.eligibility('classify', 'fast').ladder, [0]);
});

test('constraints filter the candidates before the frontier is taken', () => {
  const { frontier } = makeParts();
  assert.deepEqual(frontier.eligibility('classify', 'accurate', { maxGflops: 4 }).ladder, [0, 1, 2]);
  assert.deepEqual(frontier.eligibility('classify', 'fast', { minAccuracy: 0.85 }).ladder, [2]);
  const pinned = frontier.eligibility('classify', 'accurate', { stitch: 9 });
  assert.deepEqual(pinned.ladder, [9]);
  assert.ok(pinned.candidates.has(9));
  assert.equal(codeOf(() => frontier.eligibility('classify', 'fast', { stitch: 42 })), 'UNKNOWN_STITCH');
  assert.equal(codeOf(() => frontier.eligibility('classify', 'fast', { minAccuracy: 0.95 })), 'NO_STITCH_MATCHES');
  assert.equal(codeOf(() => frontier.eligibility('classify', 'fast', { stitch: 0, minAccuracy: 0.8 })), 'NO_STITCH_MATCHES');
  assert.equal(codeOf(() => frontier.eligibility('segment', 'fast')), 'UNSUPPORTED_TASK');
});

test('the frontier is recomputed when the latency model changes', () => {
  const { frontier, latency } = makeParts();
  assert.deepEqual(frontier.eligibility('classify', 'accurate').ladder, [0, 1, 2, 3]);
  // Stitch 2 turns out 3x slower than profiled: it becomes dearer than stitch 3 and drops off.
  for (let i = 0; i < 8; i++) latency.observe('classify', 2, 1, costMs(4, 1) * 3);
  for (const [id, gflops] of [[0, 1], [1, 2], [3, 8]] as const) {
    for (let i = 0; i < 8; i++) latency.observe('classify', id, 1, costMs(gflops, 1));
  }
  assert.deepEqual(frontier.eligibility('classify', 'accurate').ladder, [0, 1, 3]);
});

test('quality hints and constraints are parsed strictly', () => {
  assert.equal(parseQualityHint('fast'), 'fast');
  assert.equal(parseQualityHint('0.25'), 0.25);
  for (const bad of ['', 'quick', '1.5', '-0', 'NaN', '-1']) {
    if (bad === '-0') continue;
    assert.equal(codeOf(() => parseQualityHint(bad)), 'INVALID_PARAMETER', bad);
  }
  assert.equal(codeOf(() => checkConstraints({ stitch: 1.5 })), 'INVALID_PARAMETER');
  assert.equal(codeOf(() => checkConstraints({ minAccuracy: 2 })), 'INVALID_PARAMETER');
  assert.equal(codeOf(() => checkConstraints({ maxGflops: 0 })), 'INVALID_PARAMETER');
});

test('a catalog is read from a manifest (FLOPs in MACs, metrics as fractions)', () => {
  const catalog = catalogFromManifest({
    tasks: { classify: { metric: { name: 'top1', higherIsBetter: true } } },
    stitches: [
      { id: 0, flops: { classify: 4.6e9 }, metrics: { classify: { top1: 0.83 } } },
      { id: 1, flops: { classify: 61.6e9 } },
    ],
  });
  const tc = catalog.get('classify')!;
  assert.equal(tc.stitches.get(0)!.gflops, 4.6);
  assert.equal(tc.stitches.get(0)!.accuracy, 0.83);
  assert.equal(tc.stitches.get(1)!.accuracy, undefined);
});

test('the upper concave hull drops frontier points beaten by mixing their neighbours', () => {
  // Like deit3-s-l: a flat stretch (ids 1, 2 barely better than 0 at 3-4x its cost) before a jump (id 3).
  const points = [
    { id: 0, gflops: 4.6, accuracy: 0.829 },
    { id: 1, gflops: 14.3, accuracy: 0.8295 },
    { id: 2, gflops: 19, accuracy: 0.8309 },
    { id: 3, gflops: 28.5, accuracy: 0.8515 },
    { id: 4, gflops: 61.6, accuracy: 0.8698 },
  ];
  const frontier = paretoFrontier(points, (id) => points.find((p) => p.id === id)!.gflops);
  assert.deepEqual(frontier.map((p) => p.id), [0, 1, 2, 3, 4]);
  assert.deepEqual(upperHull(frontier).map((p) => p.id), [0, 3, 4]);
  const { frontier: index } = makeParts();
  assert.deepEqual(upperHull(index.frontier('classify')).map((p) => p.id), [0, 1, 2, 3]);
});
