import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { EventLoopMonitor, InflightTracker, shedAtArrival, type EventLoopSnapshot } from '../../src/inference/index.js';
import { BACKLOG_BUDGET_SHARE, SHED_MIN_INFLIGHT } from '../../src/inference/load-shedding.js';
import { postImage, startApp } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';

const LIMITS = { inflight: 32, frontInflight: 16, eventLoopDelayMs: 250, eventLoopUtilization: 0.75 };
const calm: EventLoopSnapshot = { lagMs: 5, utilization: 0.3, msPerRequest: 10, shedding: true };

test('shedAtArrival: in-flight bound first, then lag, utilization and the main-thread backlog against the budget, each from one in flight', () => {
  const at = (inflight: number, loop: Partial<EventLoopSnapshot>, budgetMs?: number, queued = 0) => shedAtArrival({ inflight, queued, loop: { ...calm, ...loop } }, LIMITS, budgetMs);
  assert.equal(at(3, {}, 1000), undefined, 'a calm server accepts');

  const full = at(32, {});
  assert.equal(full?.cause, 'inflight_limit');
  assert.equal(full?.error.code, 'OVERLOADED');
  assert.equal(full?.error.status, 429);
  assert.equal(full?.error.retryAfterSeconds, 1);

  // The front end's bound counts only requests not waiting in the scheduler's queue (being read, decoded, run or
  // rendered: main-thread and decoder work still to come), so a queue the controller can degrade is not cut short.
  const front = at(20, {}, undefined, 4);
  assert.equal(front?.cause, 'front_limit');
  assert.equal(front?.error.code, 'OVERLOADED');
  assert.equal(front?.error.retryAfterSeconds, 1);
  assert.equal(at(20, {}, undefined, 5), undefined, '15 in the front end, 5 queued: accepted');
  assert.equal(at(31, {}, undefined, 16), undefined, 'most queued: the total bound is what limits');

  // Below SHED_MIN_INFLIGHT (an idle front end) nothing but the bound refuses: one request always gets in.
  assert.equal(at(SHED_MIN_INFLIGHT - 1, { lagMs: 5000, utilization: 1, msPerRequest: 1000 }, 10), undefined);

  const behind = at(SHED_MIN_INFLIGHT, { lagMs: 1500 });
  assert.equal(behind?.cause, 'event_loop_delay');
  assert.equal(behind?.error.retryAfterSeconds, 2, 'Retry-After covers the lag');

  assert.equal(at(SHED_MIN_INFLIGHT, { utilization: 0.9 })?.cause, 'event_loop_utilization');
  // Lag and utilization count only while requests are being refused anyway (open-loop excess, not a closed loop).
  assert.equal(at(SHED_MIN_INFLIGHT, { utilization: 1, lagMs: 1500, shedding: false }), undefined);
  assert.equal(at(SHED_MIN_INFLIGHT, { utilization: 0.75 }), undefined, 'the limit itself is allowed');
  // Utilization refuses only while the front end holds at least as many requests as the scheduler's queue: with
  // most in flight queued, the engine is the bottleneck and the scheduler's admission degrades or refuses.
  assert.equal(at(8, { utilization: 0.9 }, undefined, 4)?.cause, 'event_loop_utilization');
  assert.equal(at(8, { utilization: 0.9 }, undefined, 5), undefined);
  assert.equal(at(8, { lagMs: 1500 }, undefined, 8)?.cause, 'event_loop_delay', 'lag refuses whatever the split');

  // lag 5 + (8 + 1) × 30 = 275 ms: over half of a 500 ms budget, within half of a 1000 ms one; unknown budget: no check.
  const late = at(8, { msPerRequest: 30 }, 500);
  assert.equal(late?.cause, 'deadline');
  assert.equal(late?.error.code, 'DEADLINE_UNMEETABLE');
  assert.match(late?.error.message ?? '', /^The 8 requests being read, decoded or answered keep the server busy for about 275 ms, too much of the 500 ms budget/);
  assert.match(at(1, { msPerRequest: 300 }, 500)?.error.message ?? '', /^The 1 request being read, decoded or answered keeps the server busy for about 605 ms/);
  assert.equal(at(8, { msPerRequest: 30 }, 1000), undefined);
  assert.equal(at(8, { msPerRequest: 30 }, undefined), undefined);
  // Requests already queued in the scheduler are not charged (decoded; the scheduler judges their deadlines):
  // 8 in flight, 7 queued: 5 + (1 + 1) × 30 = 65 ms, well within half of 500 ms.
  assert.equal(at(8, { msPerRequest: 30 }, 500, 7), undefined);
  assert.equal(at(8, { msPerRequest: 30 }, 500, 0)?.cause, 'deadline');
  assert.equal(BACKLOG_BUDGET_SHARE, 0.5);
});

test('InflightTracker.enter: counted until released, release is idempotent, DRAINING once closed', async () => {
  const counts: number[] = [];
  const tracker = new InflightTracker((n) => counts.push(n));
  const release = tracker.enter();
  assert.equal(tracker.count, 1);
  const idle = tracker.idle();
  release();
  release();
  await idle;
  assert.equal(tracker.count, 0);
  assert.deepEqual(counts, [1, 0]);
  tracker.close();
  assert.throws(() => tracker.enter(), { code: 'DRAINING' });
});

test('EventLoopMonitor sees a blocked loop as lag and utilization, and costs answered requests', async () => {
  const monitor = new EventLoopMonitor({ tickMs: 10, recentTicks: 5, windowMs: 50, minAnswers: 2, shedMemoryMs: 1000 });
  monitor.start();
  try {
    await sleep(120);
    const quiet = monitor.snapshot();
    assert.ok(quiet.utilization < 0.9, `idle utilization ${quiet.utilization}`);
    assert.equal(quiet.msPerRequest, 0, 'nothing answered yet');
    const blockedAt = performance.now();
    while (performance.now() - blockedAt < 80) monitor.requestAnswered();
    const blocked = monitor.snapshot();
    assert.ok(blocked.lagMs >= 60, `lag seen while blocked: ${blocked.lagMs}`);
    assert.ok(blocked.utilization > 0.5, `utilization while blocked: ${blocked.utilization}`);
    await sleep(80);
    assert.ok(monitor.snapshot().msPerRequest > 0, 'a window with answers has a cost per answer');
    assert.equal(monitor.snapshot().shedding, false);
    monitor.requestShed();
    assert.equal(monitor.snapshot().shedding, true, 'a refusal at arrival marks the monitor as shedding');
  } finally {
    monitor.stop();
  }
});

test('the in-flight bound refuses at arrival: 429 OVERLOADED with Retry-After on a connection that stays usable; counted by cause', async (t) => {
  const s = await startApp(t, { limits: { inflight: 1 } });
  const image = fixtureImage('scene.jpg');
  // One request held in flight: the engine worker is stalled, so its batch waits.
  s.app.services.runtime.engine.simulateCrash('stall', 1500);
  const held = postImage(s.url, '/v1/classify', image);
  await sleep(200);
  assert.equal(s.app.services.inflight.count, 1, 'counted in flight from arrival');

  // Two requests on one kept-alive connection: the first is refused, its body drained, the second reuses it.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const sockets = new Set<unknown>();
  const send = () =>
    new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
      const request = http.request(`${s.url}/v1/classify`, { method: 'POST', agent, headers: { 'content-type': 'image/jpeg', 'content-length': image.length } }, (response) => {
        sockets.add(response.socket);
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], body: Buffer.concat(chunks).toString() }));
      });
      request.on('error', reject);
      request.end(image);
    });
  for (const answer of [await send(), await send()]) {
    assert.equal(answer.status, 429);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'OVERLOADED');
    assert.match(answer.retryAfter ?? '', /^[1-9]\d*$/);
  }
  assert.equal(sockets.size, 1, 'the refused requests shared one connection');

  assert.equal((await held).status, 200, 'the accepted request still finishes');
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /stitchserve_shed_requests_total\{cause="inflight_limit"\} 2/);
  assert.match(metrics, /stitchserve_request_failures_total\{reason="OVERLOADED"\} 2/);
  assert.match(metrics, /stitchserve_inflight_requests 0/);
  assert.equal((await postImage(s.url, '/v1/classify', image)).status, 200, 'served again once nothing is in flight');
});
