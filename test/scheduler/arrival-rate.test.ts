import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArrivalRate, BURST_HISTORY, BURST_HORIZON_WINDOWS, BURST_QUANTILE } from '../../src/scheduler/arrival-rate.js';

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

/** burstCount by its definition, from the full arrival history. */
function definition(times: readonly number[], windowMs: number, nowMs: number): number {
  const recent = times.slice(-BURST_HISTORY).filter((t) => t >= nowMs - BURST_HORIZON_WINDOWS * windowMs);
  if (recent.length === 0) return 0;
  const counts = recent.map((t, i) => recent.slice(0, i + 1).filter((u) => t - u < windowMs).length).sort((a, b) => a - b);
  return counts[Math.min(recent.length - 1, Math.floor(BURST_QUANTILE * recent.length))]!;
}

test('burstCount: remembered between arrivals, yet always what its definition gives (queries at any time, any window)', () => {
  let seed = 3;
  const next = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const rate = new ArrivalRate();
  const times: number[] = [];
  let now = 0;
  for (let step = 0; step < 600; step++) {
    // Clumps, gaps longer than the horizon, and repeated queries with no arrival in between.
    now += next() < 0.1 ? 5_000 * next() : next() < 0.5 ? 0 : 40 * next();
    if (next() < 0.7) {
      rate.arrive(now, 300);
      times.push(now);
    }
    for (const windowMs of [100, 300]) {
      const at = now + (next() < 0.3 ? 3_000 * next() : 0);
      assert.equal(rate.burstCount(windowMs, at), definition(times, windowMs, at), `step ${step}, window ${windowMs}, at ${at}`);
    }
  }
});
