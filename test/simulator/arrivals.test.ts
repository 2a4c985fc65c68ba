import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateArrivals } from '../../src/simulator/arrivals.js';
import { Rng } from '../../src/simulator/prng.js';

function gapStats(times: Float64Array): { mean: number; cv2: number } {
  const gaps = Array.from(times, (t, i) => t - (i === 0 ? 0 : times[i - 1]!));
  const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
  const variance = gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length;
  return { mean, cv2: variance / mean ** 2 };
}

test('the PRNG is deterministic by seed', () => {
  const a = new Rng(7);
  const b = new Rng(7);
  const c = new Rng(8);
  const xs = Array.from({ length: 5 }, () => a.uniform());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.uniform()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.uniform()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
});

test('poisson and gamma arrivals have the asked mean rate and CV²', () => {
  const poisson = gapStats(generateArrivals({ kind: 'poisson', ratePerS: 10 }, 40_000, new Rng(1)));
  assert.ok(Math.abs(poisson.mean - 100) < 3, `mean gap ${poisson.mean}`);
  assert.ok(Math.abs(poisson.cv2 - 1) < 0.1, `cv2 ${poisson.cv2}`);
  for (const cv2 of [2, 4, 8]) {
    const g = gapStats(generateArrivals({ kind: 'gamma', ratePerS: 10, cv2 }, 40_000, new Rng(2)));
    assert.ok(Math.abs(g.mean - 100) < 100 * 0.06, `cv2=${cv2}: mean gap ${g.mean}`);
    assert.ok(Math.abs(g.cv2 - cv2) < cv2 * 0.2, `cv2=${cv2}: measured ${g.cv2}`);
  }
});

test('on/off bursts arrive only in on phases; ramps speed up; replays keep their gaps', () => {
  const onoff = generateArrivals({ kind: 'onoff', onRatePerS: 50, offRatePerS: 0, onMs: 1000, offMs: 1000 }, 2000, new Rng(3));
  assert.ok(Array.from(onoff).every((t) => t % 2000 < 1000));
  const ramp = generateArrivals({ kind: 'ramp', fromPerS: 1, toPerS: 100, durationMs: 100_000 }, 6000, new Rng(4));
  const firstHalf = Array.from(ramp).filter((t) => t < 50_000).length;
  const secondHalf = Array.from(ramp).filter((t) => t >= 50_000 && t < 100_000).length;
  assert.ok(secondHalf > 2 * firstHalf, `${firstHalf} vs ${secondHalf}`);
  const replay = generateArrivals({ kind: 'replay', timesMs: [30, 10, 20] }, 5, new Rng(5));
  assert.deepEqual(Array.from(replay), [0, 10, 20, 30, 40]);
  assert.throws(() => generateArrivals({ kind: 'poisson', ratePerS: 0 }, 1, new Rng(1)), /ratePerS/);
});
