import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulate } from '../../src/simulator/simulate.js';
import { loadLatencyTable, toLatencyTableJson } from '../../src/simulator/table.js';
import { percentile } from '../../src/simulator/report.js';

/** Four stitches, cost ms = gflops · (10 + 10·batch), accuracy concave in FLOPs. */
const TABLE_JSON = {
  format: 'stitchserve-latency-table',
  version: 1,
  name: 'tiny',
  latencySource: 'test',
  tasks: {
    classify: {
      metric: 'top1',
      stitches: [1, 2, 4, 8].map((g, i) => ({
        id: i,
        gflops: g,
        accuracy: [0.7, 0.8, 0.86, 0.9][i],
        latencyMs: { '1': g * 20, '2': g * 30, '4': g * 50, '8': g * 90 },
      })),
    },
  },
};

const table = loadLatencyTable(TABLE_JSON);
const base = { table, requests: 3000, budgetMs: 600, seed: 3 } as const;

test('the table format is validated and round-trips', () => {
  assert.deepEqual(toLatencyTableJson(table).tasks.classify!.stitches[2], TABLE_JSON.tasks.classify.stitches[2]);
  assert.throws(() => loadLatencyTable({ ...TABLE_JSON, version: 2 }), /version 1/);
  const bad = structuredClone(TABLE_JSON);
  bad.tasks.classify.stitches[0]!.gflops = -1;
  (bad.tasks.classify.stitches[1]!.latencyMs as Record<string, number>)['0'] = 5;
  assert.throws(() => loadLatencyTable(bad), /stitches\[0\]\.gflops must be positive; .*stitches\[1\]\.latencyMs\["0"\]/);
});

test('simulations are deterministic by seed', () => {
  const a = simulate({ ...base, policy: 'adaptive', arrivals: { kind: 'gamma', ratePerS: 30, cv2: 4 } });
  const b = simulate({ ...base, policy: 'adaptive', arrivals: { kind: 'gamma', ratePerS: 30, cv2: 4 } });
  assert.deepEqual(a, b);
  const c = simulate({ ...base, seed: 4, policy: 'adaptive', arrivals: { kind: 'gamma', ratePerS: 30, cv2: 4 } });
  assert.notDeepEqual(a, c);
});

test('at low load adaptive serves the most accurate stitch on time', () => {
  const r = simulate({ ...base, policy: 'adaptive', arrivals: { kind: 'poisson', ratePerS: 1 }, noise: 0 });
  assert.equal(r.sloAttainment, 1);
  assert.deepEqual(Object.keys(r.stitchHistogram), ['3']);
  assert.ok(Math.abs(r.effectiveAccuracy - 0.9) < 1e-9);
});

test('under overload adaptive degrades instead of missing, and beats slackfit and every fixed stitch', () => {
  const arrivals = { kind: 'gamma', ratePerS: 40, cv2: 8 } as const;
  const adaptive = simulate({ ...base, policy: 'adaptive', arrivals });
  assert.ok(adaptive.sloAttainment >= 0.97, `SLO ${adaptive.sloAttainment}`);
  assert.ok(Object.keys(adaptive.stitchHistogram).length > 1, 'uses several stitches');
  const others = ['slackfit', 'fixed:0', 'fixed:1', 'fixed:2', 'fixed:3'].map((policy) => simulate({ ...base, policy, arrivals }));
  for (const o of others) assert.ok(adaptive.effectiveAccuracy > o.effectiveAccuracy, `${o.policy}: ${o.effectiveAccuracy} ≥ ${adaptive.effectiveAccuracy}`);
  const fixed = others[4]!;
  assert.deepEqual(Object.keys(fixed.stitchHistogram), ['3']);
  assert.ok(fixed.rejected > 0, 'the big fixed stitch cannot keep up and sheds load at admission');
  assert.equal(fixed.requests, fixed.met + fixed.late + fixed.rejected + fixed.expired);
});

test('hints cap the stitch: fast requests never get more than the fastest stitch', () => {
  const r = simulate({ ...base, policy: 'adaptive', arrivals: { kind: 'poisson', ratePerS: 1 }, hints: [{ hint: 'fast', weight: 1 }] });
  assert.deepEqual(Object.keys(r.stitchHistogram), ['0']);
});

test('percentiles are nearest-rank', () => {
  assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
  assert.equal(percentile([1, 2, 3, 4], 0.99), 4);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});
