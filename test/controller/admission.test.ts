import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admit } from '../../src/controller/admission.js';
import type { QueuedRequest } from '../../src/controller/types.js';
import { makeQueue, makeSnapshot } from './fixtures.js';

const request = (id: string, deadlineMs: number, arrivalMs = 0): QueuedRequest => ({
  id,
  task: 'classify',
  arrivalMs,
  deadlineMs,
  stitches: [0, 1, 2, 3],
});

test('an idle server admits any deadline the fastest stitch can meet', () => {
  assert.deepEqual(admit(makeSnapshot([]), request('a', 20)), { ok: true });
});

test('a deadline below the fastest stitch is refused with a retry estimate', () => {
  const verdict = admit(makeSnapshot([]), request('a', 15));
  assert.equal(verdict.ok, false);
  assert.ok(!verdict.ok && verdict.reject === 'DEADLINE_UNMEETABLE' && verdict.retryAfterMs >= 1);
});

test('work already queued counts: the ninth request of a full batch misses and is refused', () => {
  // Eight requests (deadline ~100) fill one batch at the fastest stitch (90 ms); a ninth needs 20 ms more.
  const queue = makeQueue(8, 100);
  const verdict = admit(makeSnapshot(queue), request('late', 100.5, 1));
  assert.equal(verdict.ok, false);
  assert.ok(!verdict.ok && verdict.retryAfterMs >= 90);
});

test('the running batch delays everything queued', () => {
  assert.equal(admit(makeSnapshot([], 0, 8, 50), request('a', 60)).ok, false);
  assert.equal(admit(makeSnapshot([], 0, 8, 50), request('a', 70)).ok, true);
});

test('a request that would make already-accepted work miss is refused', () => {
  // It would sit at the head (earlier deadline) and push the eighth queued request out of the batch.
  const verdict = admit(makeSnapshot(makeQueue(8, 100)), request('pushy', 95, 1));
  assert.equal(verdict.ok, false);
});
