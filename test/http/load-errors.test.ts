import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { errorOf, postImage, startApp, type RunningApp } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';

/** Reads one sample of the Prometheus exposition (0 when absent). */
async function metric(url: string, line: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const found = text.split('\n').find((l) => line.test(l));
  return found === undefined ? 0 : Number(found.split(' ').pop());
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe('errors under load and engine failure (queue bound 1, engine stalled on purpose)', () => {
  let s: RunningApp;
  before(async () => {
    s = await startApp(null, { controller: { queueBound: 1 } });
  });
  after(() => s.app.close());
  const classify = (query = '', init: RequestInit = {}) =>
    fetch(`${s.url}/v1/classify${query}`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(fixtureImage('scene.jpg')), ...init });
  /** Blocks the engine worker thread for `ms`, so the next batch waits behind it. */
  const stallEngine = (ms: number) => s.app.services.runtime.engine.simulateCrash('stall', ms);
  // Each test stalls the engine on purpose, and the latency model learns from it: right after watching a 1.5 s
  // batch it rightly refuses a 500 ms request at once (429) instead of queueing it. Every test here needs a server
  // that expects normal batches, so it first waits, idle, until the stall is forgotten (overheads fade on the
  // idle clock: 2 s grace, then a 2 s half-life; 10 s bring 1.5 s down to ~0.1 s).
  const FORGET_STALL_MS = 10_000;
  let stalledBefore = false;
  beforeEach(async () => {
    if (stalledBefore) await sleep(FORGET_STALL_MS);
    stalledBefore = true;
  });

  test('429 QUEUE_FULL with Retry-After when the bounded queue is full; accepted requests still finish', async () => {
    stallEngine(1500);
    const running = classify();
    await sleep(150);
    const queued = classify();
    await sleep(150);
    const refused = await classify();
    assert.equal(refused.status, 429);
    assert.equal((await errorOf(refused)).code, 'QUEUE_FULL');
    assert.match(refused.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal((await running).status, 200);
    assert.equal((await queued).status, 200);
  });

  test('504 DEADLINE_EXCEEDED when the deadline passes while queued (never computed)', async () => {
    stallEngine(1500);
    const running = classify();
    await sleep(150);
    const before = await metric(s.url, /^stitchserve_deadline_outcomes_total\{task="classify",outcome="missed"\}/);
    const late = await classify('?sla_ms=500');
    const error = await errorOf(late);
    assert.equal(late.status, 504, `${error.code}: ${error.message}`);
    assert.equal(error.code, 'DEADLINE_EXCEEDED');
    assert.equal((await running).status, 200);
    assert.equal(await metric(s.url, /^stitchserve_deadline_outcomes_total\{task="classify",outcome="missed"\}/), before + 1);
  });

  test('CLIENT_CLOSED: a client that disconnects while queued is dropped before compute (metrics)', async () => {
    stallEngine(1500);
    const running = classify();
    await sleep(150);
    const cancelled = await metric(s.url, /^stitchserve_requests_cancelled_total/);
    const controller = new AbortController();
    const gone = classify('', { signal: controller.signal }).catch((err: Error) => err);
    await sleep(200);
    controller.abort();
    assert.ok((await gone) instanceof Error);
    assert.equal((await running).status, 200);
    await waitFor(async () => (await metric(s.url, /^stitchserve_requests_cancelled_total/)) === cancelled + 1, 3000);
    assert.ok((await metric(s.url, /^stitchserve_request_failures_total\{reason="CLIENT_CLOSED"\}/)) >= 1);
  });

  test('503 ENGINE_UNAVAILABLE when the worker dies mid-batch; readiness drops, the worker restarts, service resumes', async () => {
    await stallEngine(5000);
    const inFlight = classify();
    await sleep(200);
    s.app.services.runtime.engine.simulateCrash('terminate');
    const answer = await inFlight;
    assert.equal(answer.status, 503);
    assert.equal((await errorOf(answer)).code, 'ENGINE_UNAVAILABLE');
    assert.match(answer.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal((await fetch(`${s.url}/readyz`)).status, 503, 'not ready while the worker restarts');
    await waitFor(async () => (await fetch(`${s.url}/readyz`)).status === 200, 30_000);
    assert.equal(await metric(s.url, /^stitchserve_engine_restarts_total/), 1);
    assert.equal((await classify()).status, 200, 'service resumes');
    assert.equal(await metric(s.url, /^stitchserve_ready/), 1);
  });
});

describe('no request is left hanging', () => {
  test('a burst beyond the queue bound gets only 200 or 429, and every request is answered', async (t) => {
    const s = await startApp(t, { controller: { queueBound: 2 } });
    const answers = await Promise.all(Array.from({ length: 12 }, () => postImage(s.url, '/v1/classify', fixtureImage('scene.jpg'))));
    const statuses = answers.map((a) => a.status);
    assert.ok(statuses.every((code) => code === 200 || code === 429), statuses.join(','));
    assert.ok(statuses.includes(200));
    assert.equal(await metric(s.url, /^stitchserve_inflight_requests/), 0);
  });
});
