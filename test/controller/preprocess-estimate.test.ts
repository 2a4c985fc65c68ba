import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PreprocessEstimate } from '../../src/controller/preprocess-estimate.js';

const options = { capacity: 8, quantile: 0.5, maxAgeMs: 1000, minSamples: 3, fallbackMs: 10 };

test('the fallback holds until minSamples recent observations exist', () => {
  const estimate = new PreprocessEstimate(options);
  assert.equal(estimate.valueAt(0), 10);
  estimate.observe(30, 0);
  estimate.observe(31, 1);
  assert.equal(estimate.valueAt(2), 10);
  estimate.observe(32, 2);
  assert.equal(estimate.valueAt(3), 31);
});

test('a burst ages out by time even when nothing new is observed', () => {
  const estimate = new PreprocessEstimate(options);
  for (let i = 0; i < 5; i++) estimate.observe(30, i * 100);
  for (let i = 0; i < 8; i++) estimate.observe(250, 500 + i * 10);
  assert.equal(estimate.valueAt(600), 250, 'the burst fills the count window');
  assert.equal(estimate.valueAt(1549), 250, 'three burst samples are younger than maxAgeMs');
  assert.equal(estimate.valueAt(1571), 10, 'all burst samples older than maxAgeMs');
});

test('recent fast observations replace the burst at the median', () => {
  const estimate = new PreprocessEstimate(options);
  for (let i = 0; i < 8; i++) estimate.observe(250, i);
  for (let i = 0; i < 5; i++) estimate.observe(30, 100 + i);
  assert.equal(estimate.valueAt(105), 30);
});

test('bad values are ignored; out-of-order times do not break the window; bad options throw', () => {
  const estimate = new PreprocessEstimate(options);
  for (const ms of [Number.NaN, -1, Number.POSITIVE_INFINITY]) estimate.observe(ms, 0);
  assert.equal(estimate.valueAt(0), 10);
  estimate.observe(20, 500);
  estimate.observe(20, 400);
  estimate.observe(20, 600);
  assert.equal(estimate.valueAt(1400), 20);
  assert.equal(estimate.valueAt(1501), 10);
  assert.throws(() => new PreprocessEstimate({ ...options, maxAgeMs: 0 }), /maxAgeMs/);
  assert.throws(() => new PreprocessEstimate({ ...options, minSamples: 0 }), /minSamples/);
});
