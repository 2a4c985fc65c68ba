import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPolicy } from '../../src/controller/policies/index.js';
import { reportedComputeMs, Scheduler, type ExecutorBatch } from '../../src/scheduler/scheduler.js';
import { makeParts } from '../controller/fixtures.js';
import { FakeClock, settle } from './fakes.js';

/** Fake clock, and an executor whose results carry the engine's `computeMs` (the fixture's stitch 0: 20 ms). */
test('the compute time an executor reports splits each batch into compute and an additive overhead', async () => {
  const clock = new FakeClock();
  const { latency, frontier } = makeParts();
  const finish: Array<() => void> = [];
  const executor = (batch: ExecutorBatch<string>): Promise<Array<{ computeMs: number }>> =>
    new Promise((resolve) => finish.push(() => resolve(batch.requests.map(() => ({ computeMs: 20 })))));
  const scheduler = new Scheduler<string, { computeMs: number }>({
    parts: { policy: createPolicy('fastest'), latency, frontier },
    config: { maxBatch: 8, queueBound: 64, defaultHint: 'accurate', defaultBudgetMs: { classify: 1000 }, statsWindowMs: 60_000 },
    executor,
    clock,
  });
  scheduler.setReady(true);
  for (let i = 0; i < 3; i++) {
    const served = scheduler.submit({ id: `r${i}`, task: 'classify', arrivalMs: clock.now(), deadlineMs: clock.now() + 1000 }, `r${i}`);
    await settle();
    await clock.advance(20 + 50); // 20 ms of compute inside the worker, 50 ms around it
    finish[i]!();
    await served;
  }
  assert.equal(latency.overheadMs('classify', 1), 50);
  assert.equal(latency.correction('classify', 0, 1), 1, 'the compute matched the profile');
  assert.equal(latency.predict('classify', 3, 1), 50 + 160, 'a dearer stitch pays the same overhead plus its own compute');
});

test('reportedComputeMs reads a positive finite computeMs on the first result only', () => {
  assert.equal(reportedComputeMs([{ computeMs: 12.5 }, { computeMs: 99 }]), 12.5);
  assert.equal(reportedComputeMs(['out']), undefined);
  assert.equal(reportedComputeMs([{ computeMs: Number.NaN }]), undefined);
  assert.equal(reportedComputeMs([{ computeMs: 0 }]), undefined);
  assert.equal(reportedComputeMs([]), undefined);
});
