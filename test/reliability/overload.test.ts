/**
 * Overload on the real server process: capacity is measured first (the engine's warm-up profile via
 * GET /v1/stitches, and the whole service's closed-loop throughput; the smaller one counts), then how fast the
 * server can refuse (closed loop of requests with a 1 ms budget, refused at arrival), then an open-loop burst at
 * 12.5 × capacity (the assertion is ≥ 10× achieved) runs for 3 s. Each property is its own test on the one
 * measured run. OVERLOAD_DUMP=file.json writes every burst request's record (times relative to the burst's
 * start, status, the server's own time) for a timeline of where the waiting happens.
 *
 * Timing bounds (refusals within 1 s, accepted answers within their 1 s budget by the client's clock, no 504
 * for admitted requests, back to normal within 2 s of the burst's end) hold only on a machine that can refuse the burst with room to spare and serve a few
 * requests well within the budget: a CPU-starved process (a shared machine under a higher-priority job) cannot,
 * however cheaply it sheds. Those four tests skip, saying so, when the measured refusal rate is below
 * REFUSAL_HEADROOM × the burst rate or the service capacity below MIN_CAPACITY_PER_S; the rest always run.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, test, type TestContext } from 'node:test';
import { testConfig } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';
import { SHED_MIN_INFLIGHT } from '../../src/inference/load-shedding.js';
import { runOverload, type OverloadReport } from './lib/overload.js';
import { spawnServer, type ServerProcess } from './lib/server-process.js';

const BUDGET_MS = 1_000;
/** The workload: segmentation answered as a colour overlay of a 224×224 JPEG (~19 ms of server CPU per answer, so
 * the service's capacity is low enough for one client process to offer 10× of it on a shared 2-core machine). */
const PATH = '/v1/segment?format=overlay';
const FACTOR = 12.5;
/**
 * OVERLOAD_BURST=process sends the burst from its own process at the full rate (raw-socket client), as a real
 * flood would. With the front end's bound (`limits.frontInflight`, session 6) the client-clock bounds held in 9 of 9
 * runs that way (6 quiet, 3 CI checks; 429 p99 0.30–0.98 s), but its tail comes close to the 1 s bound (977 ms,
 * 99.3 % on time in one CI check), so by default the burst comes from this test's process (gentler, as the
 * test's own work slows the sender: 429 p99 0.31–0.34 s), as on CI before.
 */
const BURST_PROCESS = process.env['OVERLOAD_BURST'] === 'process';
/**
 * Refusal capacity ÷ burst rate needed for the timing bounds to be testable on this machine. The probe (closed
 * loops from this process) is partly client-bound, so it understates the server. Since the 11-29 fixes every
 * in-process run at ≥ 1.3× met both client-clock bounds with room (429 p99 0.25–0.55 s, 100 % on time; CI: 1.35×
 * and 1.69×, p99 361 and 434 ms), while runs starved by a higher-priority job measured ≤ 0.85× (429 p99
 * 1.2–1.5 s). 2× (until 11-29) meant the bounds never ran on CI.
 */
const REFUSAL_HEADROOM = 1.25;
/**
 * Least service capacity (answers/s) for the timing bounds to be testable: the few requests the server always
 * lets in (SHED_MIN_INFLIGHT) must fit in half the budget even when each takes the machine's full service time.
 */
const MIN_CAPACITY_PER_S = (2 * SHED_MIN_INFLIGHT * 1000) / BUDGET_MS;

/**
 * Most the burst's sender may fall behind its own schedule (p99, ms) for the timing bounds to be testable: beyond
 * it the sender itself starves, and its clock measures the machine, not the server. Quiet runs: 23–103 ms; runs at
 * load average 5–6 from a two-thread training job: 123 and 265 ms (both also short of the refusal headroom).
 */
const MAX_SEND_SLIP_MS = 250;

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
      refusalShot: () => ({ method: 'POST', path: PATH, headers: { 'content-type': 'image/jpeg', 'x-latency-budget-ms': '1' }, body: jpeg, transport: 'keepalive' }),
      task: 'segment',
      route: '/v1/segment',
      queueBound: config.controller.queueBound,
      maxBatch: config.engine.maxBatch,
      factor: FACTOR,
      burstMs: 3_000,
      capacityClients: 16,
      refusalClients: 64,
      capacityMs: 3_000,
      budgetMs: BUDGET_MS,
      recoveryTimeoutMs: 10_000,
      burstProcess: BURST_PROCESS,
    });
    const { burst, queue, memory, recovery } = report;
    const r = (x: number) => Math.round(x);
    // One line each, for the README numbers.
    console.log(`# capacity: engine profile ${r(report.engineCapacityPerS)}/s, service ${r(report.measuredCapacityPerS)}/s, refusals ${r(report.refusalCapacityPerS)}/s; burst target ${r(report.targetRatePerS)}/s, achieved ${r(report.achievedRatePerS)}/s (${(report.achievedRatePerS / report.capacityPerS).toFixed(1)}×)`);
    console.log(`# burst: ${burst.requests} requests ${JSON.stringify(burst.answers)}; 429 after p50 ${r(burst.rejectionMs.p50)} / p99 ${r(burst.rejectionMs.p99)} ms; accepted p50 ${r(burst.acceptedMs.p50)} / p99 ${r(burst.acceptedMs.p99)} ms (server's own p99 ${r(burst.acceptedServerMs.p99)} ms); deadline met ${(100 * burst.acceptedMetDeadlineClient).toFixed(1)} % by the client's clock, ${(100 * burst.acceptedMetDeadline).toFixed(1)} % by the server's`);
    const { loopDelayMs, utilization, sendSlipMs } = burst.client;
    console.log(`# burst client (${burst.process === 'own' ? 'own process' : 'the test process'}): event-loop delay p50 ${r(loopDelayMs.p50)} / p99 ${r(loopDelayMs.p99)} / max ${r(loopDelayMs.max)} ms, ${(100 * utilization).toFixed(0)} % busy, sends late by p99 ${r(sendSlipMs.p99)} / max ${r(sendSlipMs.max)} ms; load average ${os.loadavg()[0]!.toFixed(1)}`);
    console.log(`# server counted ${report.server.answersCounted} answers, ${report.server.inflightAfter} in flight after, shed at arrival ${JSON.stringify(report.server.shedByCause)}; resets ${burst.resets}, client timeouts ${burst.timedOut} ${JSON.stringify(burst.lostExamples.slice(0, 2))}`);
    console.log(`# queue depth max ${queue.maxDepth} (bound ${queue.bound}), in flight max ${queue.maxInflight}; RSS ${r(memory.baselineRssMB)} → peak ${r(memory.peakRssMB)} MB; recovery ${r(recovery.ms)} ms (normal request ${recovery.normalStatus}, queue ${recovery.queueDepthAfter})`);
  });
  after(() => server?.kill());

  /**
   * Skips `t` (saying why) when this machine cannot refuse the burst with room to spare, serves too slowly, or
   * could not even send the burst on schedule (the sender itself starved: its clock then measures the machine).
   */
  const skipWithoutHeadroom = (t: TestContext): boolean => {
    const slipMs = report.burst.client.sendSlipMs.p99;
    const reasons = [
      report.refusalCapacityPerS < REFUSAL_HEADROOM * report.achievedRatePerS
        ? `it refuses ${report.refusalCapacityPerS.toFixed(0)}/s for a burst of ${report.achievedRatePerS.toFixed(0)}/s (needs ${REFUSAL_HEADROOM}×)`
        : undefined,
      report.capacityPerS < MIN_CAPACITY_PER_S ? `it serves ${report.capacityPerS.toFixed(1)}/s (needs ${MIN_CAPACITY_PER_S}/s)` : undefined,
      slipMs > MAX_SEND_SLIP_MS ? `the burst's sender ran late by p99 ${slipMs.toFixed(0)} ms (at most ${MAX_SEND_SLIP_MS} ms)` : undefined,
    ].filter((reason) => reason !== undefined);
    if (reasons.length === 0) return false;
    t.skip(`machine too slow to test: ${reasons.join('; ')}`);
    return true;
  };

  test('the burst reached ≥ 10× capacity', () => {
    assert.ok(report.achievedRatePerS >= 10 * report.capacityPerS, `${report.achievedRatePerS.toFixed(0)}/s < 10 × ${report.capacityPerS.toFixed(0)}/s`);
  });

  test('nothing accepted is lost: the server answered all it read, and every answer it counted reached the client', () => {
    assert.equal(report.server.inflightAfter, 0, 'no request left in flight after the burst');
    const answered = report.burst.requests - report.burst.lost;
    assert.equal(report.server.answersCounted, answered, `server counted ${report.server.answersCounted} answers, client received ${answered}`);
  });

  test('no connection is reset, every request is answered', () => {
    assert.equal(report.burst.lost, 0, JSON.stringify(report.burst.lostExamples));
  });

  test('the queue stays within its bound', () => {
    assert.ok(report.queue.samples > 0);
    assert.ok(report.queue.maxDepth <= report.queue.bound, `max depth ${report.queue.maxDepth} > bound ${report.queue.bound}`);
  });

  test('every 429 carries Retry-After', () => {
    assert.equal(report.burst.rejectedWithoutRetryAfter, 0);
  });

  test('excess requests are refused with 429 (not reset)', () => {
    assert.ok(report.burst.rejected429 > 0, 'some requests were refused');
  });

  test('memory stays bounded (peak RSS ≤ baseline + 512 MB)', () => {
    assert.ok(report.memory.peakRssMB <= report.memory.baselineRssMB + 512, `${report.memory.peakRssMB.toFixed(0)} MB`);
  });

  test('every answer is 200 or 429: no 5xx (DEADLINE_EXCEEDED) under overload', (t) => {
    if (skipWithoutHeadroom(t)) return;
    assert.equal(report.burst.other, 0, JSON.stringify(report.burst.answers));
  });

  test('refusals come at once (p99 ≤ 1 s after the request was written)', (t) => {
    if (skipWithoutHeadroom(t)) return;
    assert.ok(report.burst.rejectionMs.p99 <= 1_000, `p99 ${report.burst.rejectionMs.p99.toFixed(0)} ms`);
  });

  test('accepted requests meet their deadline at the stated rate (≥ 99 %, client clock)', (t) => {
    if (skipWithoutHeadroom(t)) return;
    assert.ok(report.burst.accepted > 0, 'some requests were accepted');
    assert.ok(report.burst.acceptedMetDeadlineClient >= 0.99, `${(100 * report.burst.acceptedMetDeadlineClient).toFixed(1)} %`);
  });

  test('back to normal within 2 s of the burst: a normal request succeeds in time, the queue is empty', (t) => {
    if (skipWithoutHeadroom(t)) return;
    assert.ok(report.recovery.ms <= 2_000, `${report.recovery.ms.toFixed(0)} ms; last normal request ${report.recovery.normalStatus}`);
    assert.equal(report.recovery.queueDepthAfter, 0);
  });
});
