import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArrivalRate, BURST_HISTORY, BURST_HORIZON_WINDOWS } from '../../src/scheduler/arrival-rate.js';

test('burstCount: steady arrivals give about rate × window; none give 0', () => {
  const rate = new ArrivalRate();
  assert.equal(rate.burstCount(1000, 0), 0);
  for (let t = 0; t < 10_000; t += 100) rate.arrive(t, 1000);
  // Every 100 ms: 10 arrivals within any 1000 ms window ending at an arrival.
  assert.equal(rate.burstCount(1000, 10_000), 10);
  assert.equal(rate.burstCount(250, 10_000), 3);
});

test('burstCount: clumps show as their size although the mean rate is low', () => {
  const rate = new ArrivalRate();
  // Clumps of 8 within 35 ms, every 5 s: mean rate 1.6/s, 1.6 per 1 s budget.
  for (let clump = 0; clump < 8; clump++) for (let k = 0; k < 8; k++) rate.arrive(clump * 5_000 + 5 * k, 1000);
  assert.equal(rate.burstCount(1000, 8 * 5_000), 8);
  assert.ok(rate.perMs(8 * 5_000) * 1000 < 2, 'the mean rate hides the clumps');
});

test('burstCount: only the last BURST_HISTORY arrivals, and only those within the horizon, count', () => {
  const rate = new ArrivalRate();
  for (let k = 0; k < BURST_HISTORY; k++) rate.arrive(k, 1000); // one clump of BURST_HISTORY within 64 ms
  assert.equal(rate.burstCount(1000, 100), Math.floor(0.9 * BURST_HISTORY) + 1);
  // A quiet server forgets the burst once it is older than the horizon.
  assert.equal(rate.burstCount(1000, BURST_HORIZON_WINDOWS * 1000 + 100), 0);
  rate.arrive(BURST_HORIZON_WINDOWS * 1000 + 100, 1000);
  assert.equal(rate.burstCount(1000, BURST_HORIZON_WINDOWS * 1000 + 100), 1);
  // Sparse arrivals replace the clump in the history.
  for (let k = 0; k < BURST_HISTORY; k++) rate.arrive(30_000 + k * 300, 1000);
  assert.equal(rate.burstCount(1000, 30_000 + BURST_HISTORY * 300), 4);
});
