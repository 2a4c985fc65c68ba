/**
 * Clients that disconnect while their request waits in the queue: the request is dropped before compute. The
 * engine is held busy with its test hook (the worker thread stalls) so requests pile up behind one running batch;
 * their clients then hang up. Checked on the scheduler's own books and on /metrics: every one is cancelled,
 * no batch ever runs them, and the request that was already running still completes.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { startApp } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';
import { metricSum, scrape } from './lib/metrics.js';
import { until } from './lib/wait.js';

const QUEUED = 12;

/** A classification request on its own connection, which `hangUp()` destroys before any answer. */
function openRequest(url: URL, body: Buffer): { answer: Promise<number>; hangUp(): void } {
  const request = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/v1/classify', agent: false, headers: { 'content-type': 'image/jpeg', 'content-length': body.length } });
  const answer = new Promise<number>((resolve) => {
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', () => resolve(0));
  });
  request.end(body);
  return { answer, hangUp: () => request.destroy() };
}

test(`${QUEUED} clients hang up while queued: their requests are dropped before compute (scheduler stats and metrics)`, { timeout: 120_000 }, async (t) => {
  const { app, url } = await startApp(t, { logging: { level: 'warn' } });
  const { engine } = app.services.runtime;
  const { scheduler } = app.services.runtime.parts;
  const origin = new URL(url);
  const jpeg = fixtureImage('scene.jpg');

  engine.simulateCrash('stall', 5_000);
  const running = openRequest(origin, jpeg);
  await until(() => scheduler.stats().inflight === 1 && scheduler.stats().queueDepth.classify === 0, 20_000, 'the first request to be running');
  const queued = Array.from({ length: QUEUED }, () => openRequest(origin, jpeg));
  await until(() => scheduler.stats().queueDepth.classify === QUEUED, 20_000, `${QUEUED} requests queued behind it`);
  const before = scheduler.stats();

  for (const q of queued) q.hangUp();
  await until(() => scheduler.stats().queueDepth.classify === 0, 10_000, 'the queue to empty');
  assert.equal(await running.answer, 200, 'the request already running completes');
  for (const q of queued) assert.equal(await q.answer, 0, 'the hung-up clients got nothing');
  await until(() => app.services.inflight.count === 0, 10_000, 'every request to be settled');

  const after = scheduler.stats();
  const served = (s: typeof after) => Object.values(s.selections.classify ?? {}).reduce((a, b) => a + (b ?? 0), 0);
  t.diagnostic(`before hang-up: ${JSON.stringify({ batches: before.batches, cancelled: before.cancelled, served: served(before) })}; after: ${JSON.stringify({ batches: after.batches, cancelled: after.cancelled, served: served(after) })}`);
  assert.equal(after.cancelled - before.cancelled, QUEUED, 'every hung-up request was cancelled');
  assert.equal(after.batches, before.batches, 'no batch was run for them');
  assert.equal(served(after), served(before), 'no stitch served them');

  const samples = await scrape(url);
  assert.equal(metricSum(samples, 'stitchserve_requests_cancelled_total'), QUEUED);
  assert.equal(metricSum(samples, 'stitchserve_request_failures_total', (l) => l['reason'] === 'CLIENT_CLOSED'), QUEUED);
  assert.equal(metricSum(samples, 'stitchserve_batch_size_count'), after.batches, 'the batch-size histogram counts only the running batch(es)');
  assert.equal(metricSum(samples, 'stitchserve_queue_depth'), 0);
});
