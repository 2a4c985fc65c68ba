import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createScheduler } from '../../src/scheduler/create.js';
import { profileKey } from '../../src/controller/latency-profile.js';
import { FakeClock, ManualExecutor, settle } from './fakes.js';

/** Three stitches; latency ms = 10 · GFLOPs · (1 + batch). */
const manifest = {
  tasks: { classify: { metric: { name: 'top1', higherIsBetter: true } } },
  stitches: [
    { id: 0, flops: { classify: 1e9 }, metrics: { classify: { top1: 0.7 } } },
    { id: 1, flops: { classify: 3e9 }, metrics: { classify: { top1: 0.8 } } },
    { id: 2, flops: { classify: 9e9 }, metrics: { classify: { top1: 0.85 } } },
  ],
};
const profile = new Map<string, number>();
for (const s of manifest.stitches) for (const b of [1, 2, 4, 8]) profile.set(profileKey('classify', s.id, b), (10 * s.flops.classify / 1e9) * (1 + b));

test('built from a manifest: switches to smaller stitches under a burst and back when the queue drains', async () => {
  const clock = new FakeClock();
  const executor = new ManualExecutor();
  const { scheduler, latency } = createScheduler<string, string>({
    manifest,
    policy: 'adaptive',
    maxBatch: 8,
    queueBound: 64,
    defaultBudgetMs: { classify: 400 },
    executor: executor.run,
    clock,
  });
  scheduler.setReady(true);
  const submit = (id: string): Promise<unknown> =>
    scheduler.submit({ id, task: 'classify', arrivalMs: clock.now(), deadlineMs: clock.now() + 400 }, id);
  const first = submit('lone');
  await settle();
  assert.equal(executor.batches[0]!.batch.stitchId, 2, 'idle: the most accurate stitch');
  const burst = Array.from({ length: 12 }, (_, i) => submit(`b${i}`));
  await clock.advance(180);
  await executor.finish(0);
  await first;
  const during = executor.batches[1]!.batch;
  assert.ok(during.stitchId < 2, `burst: stitch ${during.stitchId}`);
  for (let i = 1; executor.batches.length > i; i++) {
    await clock.advance(latency.predict('classify', executor.batches[i]!.batch.stitchId, executor.batches[i]!.batch.requests.length));
    await executor.finish(i);
  }
  const outcomes = await Promise.allSettled(burst);
  assert.ok(outcomes.filter((o) => o.status === 'fulfilled').length >= 10);
  const after = submit('after');
  await settle();
  assert.equal(executor.batches.at(-1)!.batch.stitchId, 2, 'drained: back to the most accurate stitch');
  await clock.advance(180);
  await executor.finish(executor.batches.length - 1);
  await after;
  assert.equal(scheduler.stats().inflight, 0);
});

test('a bad policy string fails at construction', () => {
  assert.throws(
    () => createScheduler({ manifest, policy: 'fixed:9', maxBatch: 8, queueBound: 8, defaultBudgetMs: {}, executor: async () => [] }),
    /stitch 9 is not in the loaded family/,
  );
});
