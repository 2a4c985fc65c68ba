import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelOf, softmax, topK } from '../../src/postprocess/index.js';

test('softmax is stable for large logits and sums to 1', () => {
  const p = softmax([1000, 1000, 999]);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(Math.abs(p[0]! - p[1]!) < 1e-12 && p[2]! < p[0]!);
});

test('topK orders by probability, breaks ties by index, clamps k, names unlabeled classes', () => {
  const result = topK([0.5, 2, 2, -1], 3, ['a', 'b', 'c', 'd']);
  assert.deepEqual(result.map((r) => r.label), ['b', 'c', 'a']);
  assert.deepEqual(result.map((r) => r.index), [1, 2, 0]);
  assert.equal(topK([1, 2], 10).length, 2);
  assert.equal(topK([1, 2], 0).length, 0);
  assert.equal(labelOf(undefined, 4), 'class_4');
  assert.equal(topK([3, 1], 1)[0]!.label, 'class_0');
});
