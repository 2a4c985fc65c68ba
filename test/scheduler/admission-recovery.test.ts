import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPolicy } from '../../src/controller/policies/index.js';
import type { ControllerRequest } from '../../src/controller/types.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { makeParts } from '../controller/fixtures.js';
import { FakeClock, ManualExecutor, settle } from './fakes.js';

/**
 * Admission before preprocessing (`precheck`) with a fake clock. Fixture costs: the cheapest stitch (0) takes
 * 20 ms at batch 1. An idle request needs preprocessing (~30 ms here) + 20 ms, so a 72 ms budget fits.
 */
function setup() {
  const clock = new FakeClock();
  const executor = new ManualExecutor();
  const { latency, frontier } = makeParts();
  const scheduler = new Scheduler<string, string>({
    parts: { policy: createPolicy('adaptive'), latency, frontier },
    config: { maxBatch: 8, queueBound: 64, defaultHint: 'accurate', defaultBudgetMs: { classify: 1000 }, statsWindowMs: 60_000 },
    executor: executor.run,
    clock,
  });
  scheduler.setReady(true);
  const request = (id: string, budgetMs: number): ControllerRequest => ({
    id,
    task: 'classify',
    arrivalMs: clock.now(),
    deadlineMs: clock.now() + budgetMs,
  });
  const admitted = (id: string, budgetMs: number): boolean => {
    try {
      scheduler.precheck(request(id, budgetMs));
      return true;
    } catch {
      return false;
    }
  };
  /** Records one preprocessing time, observed now (as the HTTP layer does after decoding). */
  const preprocessed = (ms: number): void => latency.observePreprocess('classify', ms, clock.now());
  /** Idle time (ms, in `stepMs` steps, at most `limitMs`) until a request with `budgetMs` passes precheck. */
  const idleUntilAdmitted = async (budgetMs: number, stepMs: number, limitMs: number): Promise<number | undefined> => {
    for (let waited = 0; waited <= limitMs; waited += stepMs) {
      if (admitted(`idle-${waited}`, budgetMs)) return waited;
      await clock.advance(stepMs);
    }
    return undefined;
  };
  return { clock, executor, scheduler, request, admitted, preprocessed, latency, idleUntilAdmitted };
}

test('after a burst of slow preprocessing, the same request is admitted again on an idle server within a bounded time', async () => {
  const { clock, admitted, preprocessed, latency, idleUntilAdmitted } = setup();
  for (let i = 0; i < 8; i++) {
    preprocessed(25 + i); // an idle server: 25-32 ms
    await clock.advance(200);
  }
  assert.ok(admitted('before', 72), 'a 72 ms budget fits an idle server');
  // A burst of concurrent uploads on 2 cores: 40 requests over 1 s each take 130-300 ms to decode.
  for (let i = 0; i < 40; i++) {
    preprocessed(130 + ((i * 37) % 170));
    await clock.advance(25);
  }
  const burstEstimate = latency.preprocessMs('classify', clock.now());
  assert.ok(burstEstimate >= 130, `during the burst the estimate reflects contention (${burstEstimate} ms)`);
  assert.equal(admitted('during', 72), false, 'during the burst a 72 ms budget is refused before decoding');
  // Idle from now on: refused requests never reach preprocessing, so no new observation arrives.
  const recoveredAfterMs = await idleUntilAdmitted(72, 250, 30_000);
  assert.ok(recoveredAfterMs !== undefined, 'the idle server admits the request again');
  assert.ok(recoveredAfterMs <= 5_000, `within the preprocessing window (${recoveredAfterMs} ms)`);
});

test('a lone slow decode does not move the preprocessing estimate', async () => {
  const { clock, admitted, preprocessed } = setup();
  for (let i = 0; i < 6; i++) {
    preprocessed(i === 3 ? 900 : 30);
    await clock.advance(100);
  }
  assert.ok(admitted('after-outlier', 72));
});

test('preprocessing overlaps the running batch: it delays the arrival, it is not added to the queue drain', async () => {
  const { clock, executor, scheduler, request, admitted, preprocessed } = setup();
  for (let i = 0; i < 4; i++) preprocessed(30);
  // A batch of the best stitch (3: 160 ms at b=1) is running from t=0.
  const running = scheduler.submit(request('running', 1000), 'running');
  await settle();
  assert.equal(executor.batches.length, 1);
  // Decoding (30 ms) happens while that batch runs; the request then starts at 160 and ends at 180 (stitch 0).
  assert.ok(admitted('overlap', 185), 'serially summed it would need 30 + 160 + 20 = 210 ms');
  assert.equal(admitted('too-tight', 175), false, 'the running batch still delays it');
  // On an idle executor the preprocessing itself must still fit before the batch.
  await clock.advance(160);
  await executor.finish(0);
  await running;
  assert.equal(admitted('idle-tight', 45), false, '30 ms decode + 20 ms batch > 45 ms');
  assert.ok(admitted('idle-ok', 55));
});

test('after batches ran far slower than the profile (cold start, a stall), an idle server lets a profile-sized request through as a probe, and only one', async () => {
  const { clock, executor, scheduler, request, admitted } = setup();
  // A cold worker: five batches of the best stitch take 20x the profiled 160 ms.
  for (let i = 0; i < 5; i++) {
    const p = scheduler.submit(request(`cold${i}`, 60_000), `cold${i}`);
    await settle();
    await clock.advance(3200);
    await executor.finish(i);
    await p;
  }
  // Every stitch now borrows the task-wide 20x correction: stitch 0 looks like 400 ms instead of 20. A refusal
  // adds no observation, so refusing here would refuse for ever; idle, the profile (20 ms) decides instead.
  assert.ok(admitted('right-after', 100), 'idle: admitted on the profile');
  const probe = scheduler.submit(request('probe', 100), 'probe');
  await settle();
  assert.equal(executor.batches.length, 6, 'the probe runs at once, it is not expired on the pessimistic prediction');
  assert.equal(executor.batches[5]!.batch.stitchId, 0, 'through the cheapest stitch');
  assert.equal(admitted('concurrent', 100), false, 'while it runs, the pessimistic model still refuses the rest');
  await clock.advance(20);
  await executor.finish(5);
  assert.equal((await probe).deadlineMet, true, 'the probe is served on time and refreshes the model');
  assert.ok(admitted('next', 100), 'idle again: the next one is admitted too');
});
