import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyModel } from '../../src/controller/latency-model.js';
import { flopsDerivedMs, profileFromJson, profileKey } from '../../src/controller/latency-profile.js';
import { costMs, makeCatalog, makeProfile, POINTS } from './fixtures.js';

/** Observations never fade: for the tests of the count and age windows alone. */
const NO_DECAY = { graceMs: 0, halfLifeMs: Number.POSITIVE_INFINITY };

const close = (actual: number, expected: number, eps = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= eps * Math.max(1, Math.abs(expected)), `${actual} ≉ ${expected}`);

test('measured batches are returned as is and other batches interpolated or extrapolated linearly', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile());
  close(model.predict('classify', 2, 4), costMs(4, 4));
  close(model.predict('classify', 2, 3), costMs(4, 3)); // between 2 and 4
  close(model.predict('classify', 2, 16), costMs(4, 16)); // beyond 8, slope of the last segment
});

test('an unprofiled stitch is interpolated in FLOPs between its measured neighbours', () => {
  const profile = new Map([...makeProfile()].filter(([key]) => !key.startsWith('classify:9:')));
  const model = new LatencyModel(makeCatalog(), profile);
  // id 9 has 6 GFLOPs, halfway between ids 2 (4 GF) and 3 (8 GF).
  close(model.predict('classify', 9, 2), (costMs(4, 2) + costMs(8, 2)) / 2);
});

test('outside the measured FLOPs range, latency scales with FLOPs; no profile at all falls back to the FLOPs model', () => {
  const only = new Map([[profileKey('classify', 1, 1), 40]]);
  const model = new LatencyModel(makeCatalog(), only);
  close(model.predict('classify', 3, 1), 160);
  const empty = new LatencyModel(makeCatalog(), new Map());
  close(empty.predict('classify', 3, 8), flopsDerivedMs(8, 8));
  close(flopsDerivedMs(4.608338304, 1), 90);
  close(flopsDerivedMs(4.608338304, 8), 400);
});

test('online correction follows a high quantile of observed/base ratios and ignores a lone outlier', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile(), { window: 32, quantile: 0.9, minSamples: 4 });
  const base = model.predict('classify', 1, 2);
  const v0 = model.version;
  for (let i = 0; i < 20; i++) model.observe('classify', 1, 2, base * 1.2);
  model.observe('classify', 1, 2, base * 10); // one GC pause
  close(model.predict('classify', 1, 2), base * 1.2);
  assert.ok(model.version > v0, 'a 20 % shift bumps the version');
  // Keys never observed borrow the task-wide correction.
  close(model.predict('classify', 3, 8), costMs(8, 8) * 1.2);
});

test('with the default p98 over 64, a lone stall among normal batches leaves the correction alone', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile());
  const base = model.predict('classify', 2, 4);
  for (let i = 0; i < 64; i++) model.observe('classify', 2, 4, base * (i === 30 ? 12 : 1.05), i * 100);
  close(model.predict('classify', 2, 4), base * 1.05);
});

test('a per-stitch correction that stops being refreshed ages out to the task-wide one', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile(), { maxAgeMs: 10_000 });
  const base = model.predict('classify', 3, 1);
  const smallBase = model.predict('classify', 0, 1);
  for (let i = 0; i < 4; i++) model.observe('classify', 3, 1, base * 5, i); // a stall while the big stitch ran
  close(model.predict('classify', 3, 1), base * 5);
  // Predicted 5x too slow, the big stitch is no longer chosen; only stitch 0 runs, at its profiled time.
  for (let t = 100; t <= 20_000; t += 100) model.observe('classify', 0, 1, smallBase, t);
  close(model.predict('classify', 3, 1), base);
});

test('the task-wide correction forgets by age only once no batch ran for maxAgeMs; expiries bump the version', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile(), { maxAgeMs: 10_000, correctionDecay: NO_DECAY, overheadDecay: NO_DECAY });
  for (let i = 0; i < 4; i++) model.observe('classify', 1, 1, model.base('classify', 1, 1) * 3, i); // cold start
  close(model.correction('classify', 2, 8), 3, 1e-9);
  const v = model.version;
  model.advanceTo(9_000);
  close(model.correction('classify', 2, 8), 3, 1e-9);
  model.advanceTo(10_004);
  close(model.correction('classify', 2, 8), 1);
  close(model.correction('classify', 1, 1), 1);
  assert.ok(model.version > v, 'frontiers are recomputed');
});

test('the sliding window forgets old conditions', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile(), { window: 8, minSamples: 4 });
  const base = model.predict('classify', 0, 1);
  for (let i = 0; i < 8; i++) model.observe('classify', 0, 1, base * 2);
  for (let i = 0; i < 8; i++) model.observe('classify', 0, 1, base);
  close(model.predict('classify', 0, 1), base);
});

test('preprocessing: a configured default, then the median of recent observations, then the default again', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile(), {
    preprocessMs: { classify: 7 },
    preprocess: { capacity: 16, quantile: 0.5, maxAgeMs: 1000, minSamples: 2 },
  });
  assert.equal(model.preprocessMs('classify', 0), 7);
  model.observePreprocess('classify', 3, 0);
  assert.equal(model.preprocessMs('classify', 0), 7, 'one observation is not trusted yet');
  model.observePreprocess('classify', 5, 10);
  model.observePreprocess('classify', 40, 20);
  assert.equal(model.preprocessMs('classify', 20), 5);
  assert.equal(model.preprocessMs('classify', 1015), 7, 'older than maxAgeMs: forgotten');
});

test('preprocessing observations without a time are stamped by the injected clock', () => {
  let now = 0;
  const model = new LatencyModel(makeCatalog(), makeProfile(), { now: () => now });
  for (let i = 0; i < 3; i++) model.observePreprocess('classify', 50);
  assert.equal(model.preprocessMs('classify'), 50);
  now = 60_000;
  assert.equal(model.preprocessMs('classify'), 0);
});

test('profiles from JSON are validated', () => {
  assert.equal(profileFromJson({ 'classify:0:1': 9 }).get('classify:0:1'), 9);
  assert.throws(() => profileFromJson({ 'classify:0': 9 }), /bad key/);
  assert.throws(() => profileFromJson({ 'classify:0:1': -1 }), /positive/);
  assert.throws(() => profileFromJson([]), /object/);
  assert.ok(POINTS.length > 0);
});

test('an idle gap keeps the noise margin; only a spell (above spellRatio) forgets by age', () => {
  const model = new LatencyModel(makeCatalog(), makeProfile(), { maxAgeMs: 10_000 });
  const base = model.base('classify', 2, 1);
  for (let i = 0; i < 8; i++) model.observe('classify', 2, 1, base * (i % 2 === 0 ? 1.0 : 1.1), i * 100);
  model.advanceTo(60_000); // a long quiet spell of bursty traffic
  close(model.correction('classify', 2, 1), 1.1);
  close(model.correction('classify', 0, 1), 1.1, 1e-9);
});
