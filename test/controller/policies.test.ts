import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPolicy } from '../../src/controller/policies/index.js';
import { projectArrivals } from '../../src/controller/policies/adaptive.js';
import type { Decision, DispatchDecision } from '../../src/controller/types.js';
import { makeCatalog, makeParts, makeQueue, makeSnapshot } from './fixtures.js';

function dispatched(decision: Decision): DispatchDecision {
  assert.equal(decision.kind, 'dispatch');
  return decision as DispatchDecision;
}

test('every policy idles on an empty queue', () => {
  for (const name of ['adaptive', 'slackfit', 'fixed:2', 'fastest', 'most-accurate']) {
    assert.deepEqual(createPolicy(name).decide(makeSnapshot([])), { kind: 'idle' });
  }
});

test('adaptive: with slack, the preferred (most accurate) stitch', () => {
  const d = dispatched(createPolicy('adaptive').decide(makeSnapshot(makeQueue(1, 1000))));
  assert.equal(d.stitchId, 3);
  assert.deepEqual(d.requestIds, ['r0']);
});

test('adaptive honours the hint ceiling even with slack', () => {
  const d = dispatched(createPolicy('adaptive').decide(makeSnapshot(makeQueue(3, 5000, [0, 1]))));
  assert.equal(d.stitchId, 1);
  assert.equal(d.requestIds.length, 3);
});

test('adaptive: the highest level at which the whole queue meets its deadlines', () => {
  // 8 requests, 300 ms: stitch 3 fits 2 (240 ms) and dooms the other 6; stitch 2 fits 4 then 1; stitch 1 fits all 8 (180 ms).
  const d = dispatched(createPolicy('adaptive').decide(makeSnapshot(makeQueue(8, 300))));
  assert.equal(d.stitchId, 1);
  assert.equal(d.requestIds.length, 8);
  assert.equal(d.predictedMs, 180);
  assert.match(d.reason, /^level 1\/3 b=8/);
});

test('slackfit: the largest latency bucket within the head slack, then the largest batch', () => {
  // Same queue: the highest bucket that fits 300 ms ([238.75, 282.5) ms) holds stitch 3 at b=2 (240 ms) and
  // stitch 2 at b=5 and b=6 (240, 280 ms); the largest batch wins and leaves 2 requests with 20 ms of slack,
  // where adaptive served all 8 at stitch 1.
  const d = dispatched(createPolicy('slackfit').decide(makeSnapshot(makeQueue(8, 300))));
  assert.equal(d.stitchId, 2);
  assert.equal(d.requestIds.length, 6);
  assert.equal(d.predictedMs, 280);
  // Then only stitch 0 at b=1 fits: one of the two will miss.
  const late = dispatched(createPolicy('slackfit').decide(makeSnapshot(makeQueue(2, 300), 280)));
  assert.equal(late.stitchId, 0);
  assert.equal(late.requestIds.length, 1);
});

test('slackfit: when nothing fits, the cheapest stitch runs the head alone', () => {
  const d = dispatched(createPolicy('slackfit').decide(makeSnapshot(makeQueue(3, 10))));
  assert.equal(d.stitchId, 0);
  assert.deepEqual(d.requestIds, ['r0']);
});

test('static policies: one stitch, batch as large as the head deadline allows', () => {
  const queue = makeQueue(8, 300);
  const fixed = dispatched(createPolicy('fixed:3').decide(makeSnapshot(queue.map((r) => ({ ...r, stitches: [3] })))));
  assert.deepEqual([fixed.stitchId, fixed.requestIds.length], [3, 2]);
  const fastest = dispatched(createPolicy('fastest').decide(makeSnapshot(queue.map((r) => ({ ...r, stitches: [0] })))));
  assert.deepEqual([fastest.stitchId, fastest.requestIds.length], [0, 8]);
});

test('stitchesFor: what each policy may run for a request', () => {
  const eligibility = makeParts().frontier.eligibility('classify', 'accurate', { maxGflops: 6 });
  assert.deepEqual(eligibility.ladder, [0, 1, 2]);
  assert.deepEqual(createPolicy('adaptive').stitchesFor(eligibility), [0, 1, 2]);
  assert.deepEqual(createPolicy('slackfit').stitchesFor(eligibility), [0, 1, 2]);
  assert.deepEqual(createPolicy('fastest').stitchesFor(eligibility), [0]);
  assert.deepEqual(createPolicy('most-accurate').stitchesFor(eligibility), [2]);
  assert.deepEqual(createPolicy('fixed:9').stitchesFor(eligibility), [9]);
  assert.deepEqual(createPolicy('fixed:5').stitchesFor(eligibility), []);
});

test('createPolicy rejects unknown names and stitches not in the family', () => {
  assert.throws(() => createPolicy('greedy'), /unknown policy 'greedy'.*adaptive, slackfit/);
  assert.throws(() => createPolicy('fixed:77', makeCatalog()), /stitch 77 is not in the loaded family/);
  assert.equal(createPolicy('fixed:3', makeCatalog()).name, 'fixed:3');
});

test('adaptive: an expected burst keeps the first batch short enough for the burst to make its deadlines', () => {
  // One request, 300 ms budget. Alone, the dearest stitch fits (3 at b=1: 160 ms). If a burst of 8 typically
  // arrives within a budget, 7 more are projected over the next 300 ms; after a 160 ms batch they cannot all
  // be served in time, so the policy starts with a cheaper stitch.
  const queue = makeQueue(1, 300);
  const calm = makeSnapshot(queue);
  assert.equal(dispatched(createPolicy('adaptive').decide(calm)).stitchId, 3);
  const bursty = { ...calm, typicalBudgetMs: new Map([['classify' as const, 300]]), burstArrivals: new Map([['classify' as const, 8]]) };
  const d = dispatched(createPolicy('adaptive').decide(bursty));
  assert.ok(d.stitchId < 3, `a cheaper stitch while a burst is expected (got ${d.stitchId})`);
  assert.deepEqual(d.requestIds, ['r0'], 'projected arrivals never run: only the queued request is dispatched');
});

test('adaptive: projected arrivals are the rest of a typical burst, or the mean-rate count when larger, evenly spaced', () => {
  const queue = makeQueue(2, 1000);
  const base = { ...makeSnapshot(queue, 100), typicalBudgetMs: new Map([['classify' as const, 1000]]) };
  const burst = projectArrivals({ ...base, burstArrivals: new Map([['classify' as const, 6]]) }, 1);
  assert.equal(burst.length, 4, 'a burst of 6, 2 of them queued');
  assert.deepEqual(burst.map((r) => r.arrivalMs), [300, 500, 700, 900]);
  assert.ok(burst.every((r) => r.deadlineMs === r.arrivalMs + 1000 && r.id.startsWith('\u0000')));
  const steady = projectArrivals({ ...base, arrivalRatePerMs: new Map([['classify' as const, 0.01]]), burstArrivals: new Map([['classify' as const, 6]]) }, 1);
  assert.equal(steady.length, 10, '0.01/ms over 1000 ms beats the burst estimate');
  assert.equal(projectArrivals({ ...base, burstArrivals: new Map([['classify' as const, 2]]) }, 1).length, 0, 'the burst is already queued');
  assert.equal(projectArrivals({ ...base, burstArrivals: new Map([['classify' as const, 6]]) }, 0).length, 0, 'no look-ahead');
});
