import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import sharp from 'sharp';
import path from 'node:path';
import { startApp } from '../helpers/app.js';
import { prepareBurst } from '../helpers/burst.js';

const DEMO_BUNDLE = path.resolve('models/fmnist-s-l');

/**
 * Issue 5, "the live server uses the same policy code": over real HTTP on loopback, with the real engine
 * worker and the trained demo family (models/fmnist-s-l), the adaptive policy serves an idle server with its most
 * accurate stitch, switches to cheaper stitches while an open-loop burst keeps the queue long, and returns once
 * the queue drained. Assertions compare the cost (GFLOPs) of the stitches chosen per phase, never absolute
 * times, so a slow shared machine changes how many requests are degraded or refused, not the ordering.
 *
 * Classification with maxBatch 1: the demo family's classify frontier is its two anchors, 4.8x apart in FLOPs
 * (2.5x in measured compute at batch 1); with batching, per-batch overheads dominate on a family this small and
 * leave little to trade. (Segmentation was used until its full-resolution head, run by every stitch, left its
 * stitches within 10 % of each other in compute: the controller then rightly kept the dearest.)
 *
 * The burst comes from a separate process (test/helpers/burst.ts): a client on the server's main thread throttles
 * its own arrivals to about what the engine serves (CI, 2026-11-28: 149 answers, all by the dearest) and inflates
 * the main-thread cost per request that arrival-time shedding reads.
 *
 * Arrival-time load shedding leaves requests already queued to the scheduler's judgement (src/inference/
 * load-shedding.ts); when it charged them too, the burst was refused at the door and the controller never degraded.
 *
 * The server profiles afresh (median of 5 runs per shape) instead of reading the profile cache the test apps
 * share: those entries come from one run each on a loaded machine and can rank the anchor as cheap as every
 * stitch, which leaves the frontier one point.
 */
const TASK = 'classify';
/** Tight for a burst of 160: the dearest stitch needs ~4-15 ms per request with its batch overhead, 0.6-2.4 s for all. */
const BUDGET_MS = 300;
/**
 * Generous for the idle phases: on a loaded machine the main thread can stall for a few hundred ms between a
 * request's arrival and its admission, and then even an idle server rightly refuses a 300 ms budget.
 */
const IDLE_BUDGET_MS = 2_000;
const IDLE_REQUESTS = 6;
const BURST = { count: 160, ratePerS: 800 };
/**
 * Bursts tried before the burst assertions are judged on the last one. A CPU-starved server (CI on a machine
 * shared with a training job, 11-29: 10 answered, all by the dearest, the rest refused at the door) reads the
 * burst too slowly for the queue to build; the property is that the controller degrades when the queue does.
 */
const MAX_BURSTS = 2;
/**
 * After the burst: long enough for the controller to stop expecting another burst like it (arrivals count
 * towards the burst estimate for 20 typical budgets, here ~6-8 s) and for the recent-arrival rate (τ = 5 s) to
 * fade, so the drained server is judged on a calm queue.
 */
const SETTLE_MS = 9000;

interface Answer {
  status: number;
  /** GFLOPs of the stitch that answered; undefined when refused. */
  gflops: number | undefined;
  stitchId: number | undefined;
  /** Error code of a refusal. */
  code: string | undefined;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const servedCosts = (answers: readonly Answer[]): number[] => answers.flatMap((a) => (a.gflops === undefined ? [] : [a.gflops]));

/** Sum of `stitchserve_stitch_selections_total{task=TASK}` per stitch from the Prometheus text. */
async function selections(url: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('stitchserve_stitch_selections_total{') || !line.includes(`task="${TASK}"`)) continue;
    const stitch = /stitch="(\d+)"/.exec(line);
    if (stitch !== null) out.set(Number(stitch[1]), Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** The failure and shed counters from the Prometheus text, one line: who refused the burst, and why. */
async function refusalCounters(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => /^stitchserve_(request_failures|shed_requests)_total\{/.test(line))
    .map((line) => line.replace(/^stitchserve_/, ''))
    .join(', ');
}

function diff(after: Map<number, number>, before: Map<number, number>): Map<number, number> {
  return new Map([...after].map(([id, n]) => [id, n - (before.get(id) ?? 0)] as const).filter(([, n]) => n > 0));
}

test('adaptive: cheaper stitches while a burst keeps the queue long, the most accurate again once it drained', { timeout: 180_000 }, async (t) => {
  const { app, url } = await startApp(t, { engine: { bundle: DEMO_BUNDLE, maxBatch: 1, profileCacheDir: null, warmup: { runs: 5 } }, controller: { policy: 'adaptive' }, logging: { level: 'warn' } });
  // An image at the task's input size: decoding stays cheap, so the burst reaches the queue, not the decoder.
  const image = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 40, g: 120, b: 200 } } }).png().toBuffer();
  const send = async (budgetMs = BUDGET_MS): Promise<Answer> => {
    const response = await fetch(`${url}/v1/${TASK}`, {
      method: 'POST',
      headers: { 'content-type': 'image/png', 'x-latency-budget-ms': String(budgetMs) },
      body: Uint8Array.from(image),
    });
    const body = (await response.json()) as { stitch?: { id: number; gflops: number }; error?: { code: string } };
    return { status: response.status, gflops: body.stitch?.gflops, stitchId: body.stitch?.id, code: body.error?.code };
  };
  const sequential = async (n: number): Promise<Answer[]> => {
    const out: Answer[] = [];
    for (let i = 0; i < n; i++) out.push(await send(IDLE_BUDGET_MS));
    return out;
  };
  const catalog = (await (await fetch(`${url}/v1/stitches?task=${TASK}`)).json()) as { stitches: Array<{ id: number; gflops: number }> };
  const dearest = Math.max(...catalog.stitches.map((s) => s.gflops));

  const statuses = (answers: readonly Answer[]): string =>
    Object.entries(answers.reduce<Record<string, number>>((acc, a) => ({ ...acc, [a.code ?? a.status]: (acc[a.code ?? a.status] ?? 0) + 1 }), {}))
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
  const stitches = (m: Map<number, number>): string => [...m].map(([id, n]) => `#${id}×${n}`).join(' ');

  const m0 = await selections(url);
  const before = await sequential(IDLE_REQUESTS);
  let m1 = await selections(url);
  t.diagnostic(`idle: ${stitches(diff(m1, m0))}`);
  const client = await prepareBurst({
    url: `${url}/v1/${TASK}`,
    ...BURST,
    headers: { 'content-type': 'image/png', 'x-latency-budget-ms': String(BUDGET_MS) },
    image,
  });
  let burst: Answer[] = [];
  let m2 = m1;
  for (let attempt = 1; attempt <= MAX_BURSTS; attempt++) {
    if (attempt > 1) {
      await delay(SETTLE_MS);
      m1 = await selections(url);
    }
    burst = await client.fire();
    m2 = await selections(url);
    t.diagnostic(`burst ${attempt}: ${stitches(diff(m2, m1))} (${statuses(burst)}); refusals by the scheduler vs shed at arrival: ${await refusalCounters(url)}`);
    if (servedCosts(burst).some((cost) => cost < dearest)) break;
  }
  await delay(SETTLE_MS);
  const m3 = await selections(url);
  const afterwards = await sequential(IDLE_REQUESTS);
  const m4 = await selections(url);
  t.diagnostic(`after: ${stitches(diff(m4, m3))}`);

  for (const a of [...before, ...afterwards]) assert.equal(a.status, 200, `an idle server answers every request (before: ${statuses(before)}; after: ${statuses(afterwards)})`);
  const idleCost = mean(servedCosts(before));
  const burstCosts = servedCosts(burst);
  const afterCost = mean(servedCosts(afterwards));
  assert.ok(burstCosts.length > 0, `some burst requests are answered (${statuses(burst)})`);
  assert.ok(burst.every((a) => a.status === 200 || a.status === 429 || a.status === 504), `burst: only answers, refusals and expiries (${statuses(burst)})`);
  assert.ok(before.every((a) => a.gflops === dearest), 'idle: the most accurate (dearest) stitch');
  assert.ok(Math.min(...burstCosts) < dearest, 'under load some requests run a cheaper stitch');
  assert.ok(mean(burstCosts) < idleCost, `burst mean ${mean(burstCosts).toFixed(4)} GFLOPs < idle ${idleCost.toFixed(4)}`);
  assert.ok(afterCost > mean(burstCosts), `drained mean ${afterCost.toFixed(4)} GFLOPs > burst ${mean(burstCosts).toFixed(4)}`);
  assert.equal(afterwards[afterwards.length - 1]!.gflops, dearest, 'drained: back to the most accurate stitch');
  // The metric tells the same story as the answers.
  const gflopsOf = new Map(catalog.stitches.map((s) => [s.id, s.gflops]));
  const burstMetric = diff(m2, m1);
  assert.ok([...burstMetric.keys()].some((id) => (gflopsOf.get(id) ?? dearest) < dearest), 'stitch_selections_total counts cheaper stitches during the burst');
});
