/**
 * Overload on the real server process: capacity is measured first (the engine's warm-up profile via
 * GET /v1/stitches, and the whole service's closed-loop throughput; the smaller one counts), then an open-loop
 * burst at 12.5 × capacity (the assertion is ≥ 10× achieved) runs for 3 s. Each property is its own test on the
 * one measured run. Properties that fail because of open, reported product bugs (.notes/reliability.md R7, R8)
 * are `todo` tests: they run and print their numbers, and fail the suite only once they are un-todo'd.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testConfig } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';
import { runOverload, type OverloadReport } from './lib/overload.js';
import { spawnServer, type ServerProcess } from './lib/server-process.js';

const BUDGET_MS = 1_000;
/** The workload: segmentation answered as a colour overlay of a 224×224 JPEG (~19 ms of server CPU per answer, so
 * the service's capacity is low enough for one client process to offer 10× of it on a shared 2-core machine). */
const PATH = '/v1/segment?format=overlay';
const FACTOR = 12.5;
const R7 = 'R7 (open): a slow spell latches the latency model, every later request is refused 429 even when idle';
const R8 = 'R8 (open): admission bounds only the engine queue; a burst saturates the event loop (decode, post-processing), requests wait unseen before the server reads them, the accept backlog overflows';

describe('overload: open-loop burst at ≥ 10× capacity', { timeout: 300_000 }, () => {
  let server: ServerProcess;
  let report: OverloadReport;

  before(async () => {
    const config = testConfig({
      controller: { policy: 'adaptive', deadlines: { segment: { defaultMs: BUDGET_MS } } },
      logging: { level: 'warn' },
    });
    server = await spawnServer(config);
    await server.waitFor('/readyz', 200, 120_000);
    const jpeg = fixtureImage('sample.jpg');
    report = await runOverload({
      url: server.url,
      pid: server.child.pid!,
      shot: () => ({ method: 'POST', path: PATH, headers: { 'content-type': 'image/jpeg' }, body: jpeg, transport: 'keepalive' }),
      task: 'segment',
      route: '/v1/segment',
      queueBound: config.controller.queueBound,
      maxBatch: config.engine.maxBatch,
      factor: FACTOR,
      burstMs: 3_000,
      capacityClients: 16,
      capacityMs: 3_000,
      budgetMs: BUDGET_MS,
      recoveryTimeoutMs: 10_000,
    });
    const { burst, queue, memory, recovery } = report;
    const r = (x: number) => Math.round(x);
    // One line each, for the README numbers.
    console.log(`# capacity: engine profile ${r(report.engineCapacityPerS)}/s, service ${r(report.measuredCapacityPerS)}/s; burst target ${r(report.targetRatePerS)}/s, achieved ${r(report.achievedRatePerS)}/s (${(report.achievedRatePerS / report.capacityPerS).toFixed(1)}×)`);
    console.log(`# burst: ${burst.requests} requests ${JSON.stringify(burst.answers)}; 429 after p50 ${r(burst.rejectionMs.p50)} / p99 ${r(burst.rejectionMs.p99)} ms; accepted p50 ${r(burst.acceptedMs.p50)} / p99 ${r(burst.acceptedMs.p99)} ms (server's own p99 ${r(burst.acceptedServerMs.p99)} ms); deadline met ${(100 * burst.acceptedMetDeadlineClient).toFixed(1)} % by the client's clock, ${(100 * burst.acceptedMetDeadline).toFixed(1)} % by the server's`);
    console.log(`# server counted ${report.server.answersCounted} answers, ${report.server.inflightAfter} in flight after; resets ${burst.lost} ${JSON.stringify(burst.lostExamples.slice(0, 2))}`);
    console.log(`# queue depth max ${queue.maxDepth} (bound ${queue.bound}), in flight max ${queue.maxInflight}; RSS ${r(memory.baselineRssMB)} → peak ${r(memory.peakRssMB)} MB; recovery ${r(recovery.ms)} ms (normal request ${recovery.normalStatus}, queue ${recovery.queueDepthAfter})`);
  });
  after(() => server?.kill());

  test('the burst reached ≥ 10× capacity', () => {
    assert.ok(report.achievedRatePerS >= 10 * report.capacityPerS, `${report.achievedRatePerS.toFixed(0)}/s < 10 × ${report.capacityPerS.toFixed(0)}/s`);
  });

  test('nothing accepted is lost: the server answered all it read, and every answer it counted reached the client', () => {
    assert.equal(report.server.inflightAfter, 0, 'no request left in flight after the burst');
    const answered = report.burst.requests - report.burst.lost;
    assert.equal(report.server.answersCounted, answered, `server counted ${report.server.answersCounted} answers, client received ${answered}`);
  });

  test('no connection is reset', { todo: R8 }, () => {
    assert.equal(report.burst.lost, 0, JSON.stringify(report.burst.lostExamples));
  });

  test('the queue stays within its bound', () => {
    assert.ok(report.queue.samples > 0);
    assert.ok(report.queue.maxDepth <= report.queue.bound, `max depth ${report.queue.maxDepth} > bound ${report.queue.bound}`);
  });

  test('every 429 carries Retry-After', () => {
    assert.equal(report.burst.rejectedWithoutRetryAfter, 0);
  });

  // On a saturated shared machine the excess can be lost to connection resets before admission sees it (R8).
  test('excess requests are refused with 429 (not reset)', { todo: R8 }, () => {
    assert.ok(report.burst.rejected429 > 0, 'some requests were refused');
  });

  test('memory stays bounded (peak RSS ≤ baseline + 512 MB)', () => {
    assert.ok(report.memory.peakRssMB <= report.memory.baselineRssMB + 512, `${report.memory.peakRssMB.toFixed(0)} MB`);
  });

  test('every answer is 200 or 429: no 5xx (DEADLINE_EXCEEDED) under overload', { todo: R8 }, () => {
    assert.equal(report.burst.other, 0, JSON.stringify(report.burst.answers));
  });

  test('refusals come at once (p99 ≤ 1 s after the request was written)', { todo: R8 }, () => {
    assert.ok(report.burst.rejectionMs.p99 <= 1_000, `p99 ${report.burst.rejectionMs.p99.toFixed(0)} ms`);
  });

  test('accepted requests meet their deadline at the stated rate (≥ 99 %, client clock)', { todo: R8 }, () => {
    assert.ok(report.burst.acceptedMetDeadlineClient >= 0.99, `${(100 * report.burst.acceptedMetDeadlineClient).toFixed(1)} %`);
  });

  test('back to normal within 2 s of the burst: a normal request succeeds in time, the queue is empty', { todo: R7 }, () => {
    assert.ok(report.recovery.ms <= 2_000, `${report.recovery.ms.toFixed(0)} ms; last normal request ${report.recovery.normalStatus}`);
    assert.equal(report.recovery.queueDepthAfter, 0);
  });
});
