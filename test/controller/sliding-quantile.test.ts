import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlidingQuantile } from '../../src/controller/sliding-quantile.js';

test('the quantile is taken over the last `capacity` values only', () => {
  const q = new SlidingQuantile(4, 0.5);
  assert.ok(Number.isNaN(q.value));
  for (const x of [5, 1, 3, 7]) q.push(x);
  assert.equal(q.value, 3); // 1 3 5 7 → nearest rank 2
  q.push(2); // evicts 5: 1 2 3 7
  assert.equal(q.value, 2);
  q.push(9); // evicts 1: 2 3 7 9
  q.push(9); // evicts 3: 2 7 9 9
  assert.equal(q.value, 7);
  assert.equal(q.size, 4);
  assert.throws(() => new SlidingQuantile(0, 0.5), /capacity/);
});

test('a high quantile matches a sort of the window', () => {
  const q = new SlidingQuantile(16, 0.9);
  const all: number[] = [];
  for (let i = 0; i < 100; i++) {
    const x = (i * 37) % 23;
    q.push(x);
    all.push(x);
    const window = all.slice(-16).sort((a, b) => a - b);
    assert.equal(q.value, window[Math.ceil(0.9 * window.length) - 1]);
  }
});

test('values can also expire by age, oldest first', () => {
  const q = new SlidingQuantile(4, 1);
  q.push(9, 0);
  q.push(1, 10);
  q.push(2, 20);
  assert.equal(q.oldestMs, 0);
  assert.equal(q.expireBefore(5), 1);
  assert.equal(q.value, 2);
  q.push(3, 30);
  q.push(4, 40);
  q.push(5, 50); // capacity: drops 1 (t=10)
  assert.equal(q.oldestMs, 20);
  assert.equal(q.expireBefore(45), 3);
  assert.deepEqual([q.size, q.value], [1, 5]);
  assert.equal(q.expireBefore(100), 1);
  assert.ok(Number.isNaN(q.value));
  assert.equal(q.oldestMs, undefined);
});
