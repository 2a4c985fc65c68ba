import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueuedRequest } from '../../src/controller/types.js';
import { EdfQueue } from '../../src/scheduler/edf-queue.js';

const r = (id: string, deadlineMs: number, arrivalMs = 0, task: QueuedRequest['task'] = 'classify'): QueuedRequest => ({
  id,
  task,
  arrivalMs,
  deadlineMs,
  stitches: [0],
});

test('per-task EDF order: deadline, then arrival', () => {
  const q = new EdfQueue<QueuedRequest>();
  q.push(r('c', 30));
  q.push(r('a', 10, 5));
  q.push(r('b', 10, 1));
  q.push(r('s', 5, 0, 'segment'));
  assert.deepEqual(q.queues.get('classify')!.map((x) => x.id), ['b', 'a', 'c']);
  assert.equal(q.size, 4);
  assert.equal(q.depth('segment'), 1);
  assert.throws(() => q.push(r('a', 1)), /duplicate/);
});

test('take and removeWhere keep the order of what is left', () => {
  const q = new EdfQueue<QueuedRequest>();
  for (let i = 0; i < 6; i++) q.push(r(`r${i}`, i * 10));
  assert.deepEqual(q.take(['r3', 'nope', 'r1']).map((x) => x.id), ['r3', 'r1']);
  assert.deepEqual(q.removeWhere((x) => x.deadlineMs >= 40).map((x) => x.id), ['r4', 'r5']);
  assert.deepEqual(q.queues.get('classify')!.map((x) => x.id), ['r0', 'r2']);
  assert.equal(q.get('r2')!.deadlineMs, 20);
  assert.equal(q.get('r3'), undefined);
});
