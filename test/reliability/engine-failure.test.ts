/**
 * Engine failure under load, in process (the engine's test hook `simulateCrash` kills the worker thread):
 * in-flight requests get a clear 503 ENGINE_UNAVAILABLE with Retry-After (never hang), new ones 503 NOT_READY,
 * readiness drops, the worker restarts and warms up, service resumes, stitchserve_engine_restarts_total counts
 * each death. Once per way to die: terminated from outside, process.exit in the worker, an uncaught throw.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { startApp } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';
import { keepAliveAgent, type Shot } from './lib/http-client.js';
import { closedLoop, tally } from './lib/load.js';
import { metricSum, scrape } from './lib/metrics.js';
import { leaksIn } from './lib/verdict.js';
import { probe, sleep, until } from './lib/wait.js';

const MODES = ['terminate', 'exit', 'throw'] as const;

test('engine worker killed mid-load: 503 ENGINE_UNAVAILABLE in flight, readiness drops, restart + warm-up, service resumes, restarts counted', { timeout: 240_000 }, async (t) => {
  const { app, url } = await startApp(t, { logging: { level: 'warn' } });
  const { engine } = app.services.runtime;
  const origin = new URL(url);
  const agent = keepAliveAgent(16);
  t.after(() => agent.destroy());
  const jpeg = fixtureImage('scene.jpg');
  const shot = (): Shot => ({ method: 'POST', path: '/v1/classify', headers: { 'content-type': 'image/jpeg' }, body: jpeg, transport: 'keepalive' });

  for (const [i, mode] of MODES.entries()) {
    const readiness = probe(`${url}/readyz`, 20);
    const load = closedLoop(origin, agent, 8, shot, 20_000);
    await until(() => load.records.filter((r) => r.status === 200).length >= 5, 30_000, 'the load to be served');
    // Block the worker thread first, so a batch is surely waiting in it when it dies; awaited so that the kill
    // lands in the stall, never inside a native run (which would abort the whole process, not just the worker).
    await engine.simulateCrash('stall', 1_000);
    await until(() => engine.health().inFlight > 0, 10_000, 'a batch in flight');
    const crashAt = performance.now();
    engine.simulateCrash(mode);
    const downAt = await until(() => !engine.ready, 10_000, 'the engine to report down');
    const upAt = await until(() => engine.ready, 60_000, 'the engine to restart and warm up');
    await until(() => load.records.some((r) => r.sentAt > upAt && r.status === 200), 20_000, 'a request sent after the restart to succeed');
    const records = await load.stop();
    await readiness.stop();

    const summary = `${mode}: ${records.length} requests ${JSON.stringify(tally(records))}; down after ${(downAt - crashAt).toFixed(0)} ms, ready again after ${(upAt - crashAt).toFixed(0)} ms`;
    t.diagnostic(summary);
    assert.ok(records.every((r) => r.status !== 0), `every request got an answer (none hung): ${summary}`);
    const failed = records.filter((r) => r.status !== 200);
    assert.ok(failed.length > 0, 'the crash was visible to clients');
    for (const r of failed) {
      assert.equal(r.status, 503, summary);
      assert.ok(r.code === 'ENGINE_UNAVAILABLE' || r.code === 'NOT_READY', `503 ${r.code}: ${summary}`);
      assert.ok(r.retryAfter !== undefined && Number(r.retryAfter) >= 1, 'Retry-After on every 503');
      assert.deepEqual(leaksIn({ status: r.status, headers: {}, body: r.body!, ms: 0 }), [], 'no internals in the 503 body');
    }
    assert.ok(failed.some((r) => r.code === 'ENGINE_UNAVAILABLE'), `the batch in flight was answered ENGINE_UNAVAILABLE: ${summary}`);
    const outage = readiness.samples.filter((s) => s.at > crashAt && s.at < upAt);
    assert.ok(outage.some((s) => s.status === 503), 'readiness dropped while the engine was down');
    assert.equal(readiness.samples.at(-1)?.status, 200, 'ready again');
    const samples = await scrape(url);
    assert.equal(metricSum(samples, 'stitchserve_engine_restarts_total'), i + 1, 'stitchserve_engine_restarts_total counts every death');
    assert.equal(metricSum(samples, 'stitchserve_ready'), 1);
    await sleep(100);
  }
});
