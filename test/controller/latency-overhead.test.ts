import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecayingWindow, decayWeight } from '../../src/controller/decaying-window.js';
import { LatencyModel } from '../../src/controller/latency-model.js';
import { costMs, makeCatalog, makeProfile } from './fixtures.js';

/**
 * The additive per-batch overhead and the fading of old observations, with explicit times (no clock, no
 * sleeps). Fixture profile: stitch 0 costs 20 ms at batch 1, stitch 3 160 ms (compute only, as the engine
 * measures it inside its worker).
 */
const close = (actual: number, expected: number, eps = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= eps * Math.max(1, Math.abs(expected)), `${actual} ≉ ${expected}`);

test('the per-batch overhead is learnt from wall − reported compute and added to every stitch, not scaled', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile());
  // Stitch 3 runs at its profiled compute, and each batch spends 50 ms more outside it (IPC, copies).
  for (let i = 0; i < 8; i++) model.observe('classify', 3, 1, 160 + 50, i * 100, 160);
  close(model.overheadMs('classify', 1), 50);
  close(model.correction('classify', 3, 1), 1);
  close(model.predict('classify', 3, 1), 210);
  // The cheap stitch pays the same 50 ms: 70 ms, not 20 × 210/160 = 26 ms as a pure ratio would say.
  close(model.predict('classify', 0, 1), 70);
  // A batch size never observed borrows the overhead of all sizes.
  close(model.predict('classify', 0, 4), costMs(1, 4) + 50);
});

test('an overhead-dominated family (wall 6-16x the in-worker compute) is predicted from the first batches on', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile());
  const compute = costMs(1, 1); // 20 ms
  const walls = [6, 9, 12, 16, 8, 10].map((x) => x * compute);
  walls.forEach((wall, i) => model.observe('classify', 0, 1, wall, i * 50, compute));
  const predicted = model.predict('classify', 0, 1);
  // The high quantile of six, short of the single largest (one stall is never the estimate alone).
  close(predicted, 12 * compute);
  // Dearer stitches pay it too, plus their own compute: the ranking by cost is kept.
  close(model.predict('classify', 3, 1), predicted - costMs(1, 1) + costMs(8, 1));
});

test('without a reported compute time the whole wall time is compute (as in the simulator)', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile());
  for (let i = 0; i < 8; i++) model.observe('classify', 2, 1, costMs(4, 1) * 1.5, i * 10);
  close(model.overheadMs('classify', 1), 0);
  close(model.correction('classify', 2, 1), 1.5);
});

test('observations fade toward the profile with age: full weight within the grace, then halved every half-life', () => {
  const decay = { graceMs: 2_000, halfLifeMs: 1_000 };
  close(decayWeight(1_500, decay), 1);
  close(decayWeight(4_000, decay), 0.25);
  const window = new DecayingWindow(16, 1, decay, 'min');
  window.push(10, 0);
  window.push(1_010, 0);
  close(window.valueAt(1_000), 1_010);
  close(window.valueAt(3_000), 510);
  close(window.valueAt(12_000), 10 + 1_000 / 1024);
  const ratios = new DecayingWindow(16, 1, decay, 1);
  ratios.push(5, 0);
  close(ratios.valueAt(4_000), 2);
});

test('after a stall nothing new is observed, yet the overhead returns to its usual value within seconds', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile(), { overheadDecay: { graceMs: 500, halfLifeMs: 250 } });
  model.observe('classify', 0, 1, 25, 0, 20); // normal: 5 ms overhead
  // Five batches stalled 1.5 s outside the compute (the worker blocked), as in bug R7's repro.
  for (let i = 1; i <= 5; i++) model.observe('classify', 0, 1, 1_500 + 20, i * 100, 20);
  const end = 5 * 100;
  assert.ok(model.predict('classify', 0, 1) > 1_000, 'right after the spell the model is pessimistic');
  const v = model.version;
  model.advanceTo(end + 2_000); // idle, everything refused: no new observation
  assert.ok(model.predict('classify', 0, 1) < 2 * 25, `2 s later: ${model.predict('classify', 0, 1).toFixed(1)} ms`);
  model.advanceTo(end + 3_000);
  assert.ok(model.predict('classify', 0, 1) < 30, `3 s later: ${model.predict('classify', 0, 1).toFixed(1)} ms`);
  assert.ok(model.version > v, 'the fading bumps the version, so frontiers are recomputed');
  // Steady traffic is not affected: observations younger than the grace period count in full.
  for (let i = 0; i < 8; i++) model.observe('classify', 0, 1, 20 + 30, end + 3_000 + i * 50, 20);
  close(model.predict('classify', 0, 1), 50, 1e-3);
});

test('the optimistic view is the profile plus the smallest overhead seen, whatever the corrections say', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile());
  model.observe('classify', 3, 1, 165, 0, 160);
  for (let i = 1; i <= 6; i++) model.observe('classify', 3, 1, 2_000, i * 10, 480);
  assert.ok(model.predict('classify', 0, 1) > 1_000);
  close(model.optimistic.predict('classify', 0, 1), 20 + 5);
  close(model.optimistic.predict('classify', 3, 1), 160 + 5);
});

test('observations fade only while no batch runs: long batches keep their noise margin, an idle spell does not', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile(), { correctionDecay: { graceMs: 1_000, halfLifeMs: 1_000 } });
  const base = model.base('classify', 3, 8);
  // Back-to-back 10 s batches, 10 % slower than profiled: the executor never idles, so nothing fades.
  let t = 0;
  for (let i = 0; i < 6; i++) {
    model.batchStarted(t);
    t += 10_000;
    model.advanceTo(t);
    model.batchEnded(t);
    model.observe('classify', 3, 8, base * 1.1, t);
  }
  model.batchStarted(t);
  model.advanceTo(t + 9_000);
  close(model.correction('classify', 3, 8), 1.1, 1e-9);
  model.batchEnded(t + 9_000);
  // Idle from now on: after the grace the margin fades toward the profile.
  model.advanceTo(t + 9_000 + 4_000);
  assert.ok(model.correction('classify', 3, 8) < 1.02, `${model.correction('classify', 3, 8)}`);
});
