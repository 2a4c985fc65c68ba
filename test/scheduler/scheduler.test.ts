import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPolicy } from '../../src/controller/policies/index.js';
import type { ControllerRequest } from '../../src/controller/types.js';
import { ServiceError } from '../../src/errors.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { makeParts } from '../controller/fixtures.js';
import { FakeClock, ManualExecutor, settle } from './fakes.js';

/** Costs come from the controller fixture: stitch 3 (best) takes 160 ms at b=1, 240 at b=2; stitch 0 20 ms. */
function setup(policy = 'adaptive', queueBound = 16) {
  const clock = new FakeClock();
  const executor = new ManualExecutor();
  const { latency, frontier } = makeParts();
  const errors: string[] = [];
  const scheduler = new Scheduler<string, string>({
    parts: { policy: createPolicy(policy), latency, frontier },
    config: { maxBatch: 8, queueBound, defaultHint: 'accurate', defaultBudgetMs: { classify: 1000 }, statsWindowMs: 60_000 },
    executor: executor.run,
    clock,
    observer: { onError: (_task, code) => errors.push(code) },
  });
  scheduler.setReady(true);
  const request = (id: string, budgetMs: number, extra: Partial<ControllerRequest> = {}): ControllerRequest => ({
    id,
    task: 'classify',
    arrivalMs: clock.now(),
    deadlineMs: clock.now() + budgetMs,
    ...extra,
  });
  return { clock, executor, scheduler, request, latency, errors };
}

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'resolved';
  } catch (error) {
    assert.ok(error instanceof ServiceError, String(error));
    return error.code;
  }
};

test('a free executor gets the request at once; requests queued meanwhile form the next batch', async () => {
  const { clock, executor, scheduler, request } = setup();
  const first = scheduler.submit(request('a', 1000), 'a');
  await settle();
  assert.equal(executor.batches.length, 1);
  assert.equal(executor.batches[0]!.batch.stitchId, 3);
  const second = scheduler.submit(request('b', 1000), 'b');
  const third = scheduler.submit(request('c', 1000), 'c');
  await settle();
  assert.equal(executor.batches.length, 1, 'one batch at a time');
  await clock.advance(160);
  await executor.finish(0);
  const served = await first;
  assert.deepEqual([served.result, served.stitchId, served.batchSize, served.deadlineMet], ['out:a', 3, 1, true]);
  assert.deepEqual(executor.batches[1]!.batch.requests.map((r) => r.id), ['b', 'c']);
  await clock.advance(240);
  await executor.finish(1);
  assert.equal((await second).result, 'out:b');
  assert.equal((await third).batchSize, 2);
  const stats = scheduler.stats();
  assert.deepEqual(stats.outcomes.classify, { met: 3, missed: 0, rejected: 0 });
  assert.deepEqual(stats.selections.classify, { 3: 3 });
  assert.ok(Math.abs(stats.effectiveAccuracy.classify! - 0.9) < 1e-9);
  assert.equal(stats.inflight, 0);
});

test('lifecycle: NOT_READY before ready, DRAINING after drain, which waits for accepted work', async () => {
  const { clock, executor, scheduler, request } = setup();
  scheduler.setReady(false);
  assert.equal(await codeOf(scheduler.submit(request('x', 1000), 'x')), 'NOT_READY');
  scheduler.setReady(true);
  const accepted = scheduler.submit(request('a', 1000), 'a');
  let drained = false;
  const draining = scheduler.drain().then(() => (drained = true));
  assert.equal(await codeOf(scheduler.submit(request('late', 1000), 'late')), 'DRAINING');
  await settle();
  assert.equal(drained, false);
  await clock.advance(100);
  await executor.finish(0);
  await accepted;
  await draining;
  assert.equal(drained, true);
  assert.equal(scheduler.stats().outcomes.classify!.rejected, 2);
});

test('admission: DEADLINE_UNMEETABLE with Retry-After, and QUEUE_FULL at the bound', async () => {
  const { scheduler, request, executor } = setup('adaptive', 2);
  const kept = [scheduler.submit(request('a', 5000), 'a')];
  await settle(); // 'a' runs at stitch 3 for 160 ms; the queue is empty
  try {
    await scheduler.submit(request('e', 100), 'e');
    assert.fail('admitted');
  } catch (error) {
    assert.ok(error instanceof ServiceError && error.code === 'DEADLINE_UNMEETABLE', String(error));
    assert.ok(error.retryAfterSeconds! >= 1);
  }
  kept.push(scheduler.submit(request('b', 5000), 'b'), scheduler.submit(request('c', 5000), 'c'));
  try {
    await scheduler.submit(request('d', 5000), 'd');
    assert.fail('admitted');
  } catch (error) {
    assert.ok(error instanceof ServiceError && error.code === 'QUEUE_FULL', String(error));
    assert.ok(error.retryAfterSeconds! >= 1);
  }
  assert.equal(executor.batches.length, 1);
  for (const p of kept) p.catch(() => undefined);
});

test('a request that cannot make its deadline behind the running batch is refused at once', async () => {
  const { clock, executor, scheduler, request, errors } = setup();
  const running = scheduler.submit(request('a', 1000), 'a'); // stitch 3, 160 ms
  await settle();
  // After the running 160 ms, even stitch 0 (20 ms) ends at 180 > 170: refused at once, never queued.
  const code = await codeOf(scheduler.submit(request('b', 170), 'b'));
  assert.equal(code, 'DEADLINE_UNMEETABLE');
  await clock.advance(10);
  await executor.finish(0);
  await running;
  assert.ok(executor.batches.every((b) => b.batch.requests.every((r) => r.id !== 'b')));
  assert.ok(errors.includes(code));
});

test('expiry fires on the timer while the executor is busy', async () => {
  const { clock, executor, scheduler, request } = setup('fixed:3');
  const running = scheduler.submit(request('a', 5000), 'a'); // 160 ms at stitch 3
  await settle();
  const queued = scheduler.submit(request('b', 400), 'b'); // admissible: 160 + 160 ≤ 400
  await settle();
  await clock.advance(100);
  // The running batch overruns (the engine stalls): b's latest start (400 − 160 = 240 ms) passes.
  let code = 'pending';
  void codeOf(queued).then((c) => (code = c));
  await clock.advance(150);
  assert.equal(code, 'DEADLINE_EXCEEDED');
  await executor.finish(0);
  await running;
  assert.equal(executor.batches.length, 1);
  assert.equal(scheduler.stats().outcomes.classify!.missed, 1);
});

test('a client that disconnects while queued is dropped before compute', async () => {
  const { clock, executor, scheduler, request } = setup();
  const running = scheduler.submit(request('a', 5000), 'a');
  await settle();
  const controller = new AbortController();
  const queued = scheduler.submit(request('b', 5000), 'b', controller.signal);
  controller.abort();
  assert.equal(await codeOf(queued), 'CLIENT_CLOSED');
  await clock.advance(160);
  await executor.finish(0);
  await running;
  await settle();
  assert.equal(executor.batches.length, 1);
  assert.equal(scheduler.stats().cancelled, 1);
  const aborted = new AbortController();
  aborted.abort();
  assert.equal(await codeOf(scheduler.submit(request('c', 5000), 'c', aborted.signal)), 'CLIENT_CLOSED');
});

test('an executor failure rejects exactly that batch with its error, and service continues', async () => {
  const { clock, executor, scheduler, request } = setup();
  const a = scheduler.submit(request('a', 5000), 'a');
  await settle();
  const b = scheduler.submit(request('b', 5000), 'b');
  const aCode = codeOf(a);
  await executor.fail(0, Object.assign(new Error('worker exited'), { code: 'ENGINE_UNAVAILABLE' }));
  assert.equal(await aCode, 'ENGINE_UNAVAILABLE');
  assert.equal(executor.batches.length, 2);
  await clock.advance(200);
  await executor.finish(1);
  assert.equal((await b).result, 'out:b');
  const stats = scheduler.stats();
  assert.equal(stats.failedBatches, 1);
  assert.equal(stats.outcomes.classify!.missed, 1);
});

test('a wrong number of results fails the batch with ENGINE_FAILED', async () => {
  const { executor, scheduler, request } = setup();
  const a = scheduler.submit(request('a', 5000), 'a');
  await settle();
  executor.batches[0]!.resolve([]);
  assert.equal(await codeOf(a), 'ENGINE_FAILED');
});

test('observed batch times feed the latency model', async () => {
  const { clock, executor, scheduler, request, latency } = setup('fixed:0');
  for (let i = 0; i < 6; i++) {
    const p = scheduler.submit(request(`r${i}`, 5000), `r${i}`);
    await settle();
    await clock.advance(40); // twice the profiled 20 ms
    await executor.finish(i);
    await p;
  }
  assert.equal(latency.predict('classify', 0, 1), 40);
});

test('precheck counts the predicted preprocessing time and the queue', () => {
  const { scheduler, request, latency } = setup();
  latency.observePreprocess('classify', 50);
  for (let i = 0; i < 5; i++) latency.observePreprocess('classify', 50);
  assert.throws(() => scheduler.precheck(request('p', 60)), /deadline/);
  scheduler.precheck(request('q', 80));
  assert.equal(scheduler.stats().outcomes.classify!.rejected, 1);
});

test('saturation reflects the backlog at the preferred stitch', async () => {
  const { scheduler, request } = setup();
  const all = [0, 1, 2].map((i) => scheduler.submit(request(`r${i}`, 5000), `r${i}`));
  await settle();
  // One running at stitch 3 (160 ms of 1000) + two queued at stitch 3 (b=2: 240 ms).
  assert.ok(Math.abs(scheduler.stats().saturation - 0.4) < 1e-9, String(scheduler.stats().saturation));
  for (const p of all) p.catch(() => undefined);
});
