import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startApp, type RunningApp } from '../helpers/app.js';
import { FIXTURE_IMAGES_DIR } from '../helpers/images.js';
import { browserUnavailable, launchChromium, openPage, screenshot } from './lib/browser.js';
import { afterNextRun, chooseTask, fireBurst, runAtBudget, smallestAnsweredBudget, uploadAndRun, waitForPageReady, type BurstView } from './lib/demo-page.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * The trained demo family the server serves by default (E2E_BUNDLE=<dir> drives another, e.g. the tiny fixture).
 * Its stitches differ in cost several-fold, so a burst has something to trade; on the tiny fixture the per-batch
 * overhead dwarfs every stitch's compute, and the dearest stitch served whole bursts on time (11-28: 1 in 4 runs).
 */
const BUNDLE = path.resolve(ROOT, process.env['E2E_BUNDLE'] ?? 'models/fmnist-s-l');
/** UPDATE_DEMO_SCREENSHOT=1 also refreshes the README's screenshot (docs/img/demo-page.png). */
const README_SCREENSHOT = path.join(ROOT, 'docs/img/demo-page.png');
/** Bound on any single wait: generous for a shared 2-core machine, far below the suite's timeout. */
const WAIT_MS = 20_000;
const ARTIFACTS = 'demo-page';
/**
 * One burst at the page's top rate: the browser keeps its 6 connections busy, so about 6 requests stay queued and the
 * dearest stitch cannot serve them all within twice the idle need (at 40/s a quiet machine served whole bursts
 * with it). 0.6 s of sending: short enough to stay bounded.
 */
const BURST = { count: 60, rate: 100 };

/** One upload per task, through both ways the page takes images. */
const UPLOADS = [
  { task: 'classify', file: 'fmnist-0-9-boot.png', via: 'chooser' },
  { task: 'segment', file: 'scene.png', via: 'drop' },
  { task: 'depth', file: 'scene.jpg', via: 'chooser' },
  { task: 'detect', file: 'scene.webp', via: 'chooser' },
] as const;

const unavailable = browserUnavailable();

describe(`demo page in headless Chromium (real app, ${path.basename(BUNDLE)})`, { skip: unavailable ?? false, timeout: 120_000 }, () => {
  let server: RunningApp;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let foreignRequests: string[];
  const closers: Array<() => Promise<void> | void> = [];
  const timings: string[] = [];

  before(async () => {
    const since = (start: number) => `${Math.round(performance.now() - start)} ms`;
    let start = performance.now();
    // maxBatch 1: stitches differ in cost per request, but on a family this small a batch of 8 costs about the same
    // on every stitch (per-batch overheads dominate), so with batching the controller rightly has little to trade.
    // A fresh profile (median of 5 runs per shape) instead of the shared test cache: its one-run entries, taken on a
    // loaded machine, can rank the anchor as cheap as every stitch and leave the frontier a single point.
    server = await startApp(
      { after: (fn) => void closers.push(fn) },
      { engine: { bundle: BUNDLE, maxBatch: 1, profileCacheDir: null, warmup: { runs: 5 } }, logging: { level: 'warn' } },
    );
    timings.push(`app loaded and warmed in ${since(start)}`);
    start = performance.now();
    browser = await launchChromium();
    ({ page, problems, foreignRequests } = await openPage(browser, server.url));
    timings.push(`chromium up in ${since(start)}`);
    start = performance.now();
    await page.goto(`${server.url}/`);
    await waitForPageReady(page, WAIT_MS);
    timings.push(`page showed its first answer in ${since(start)}`);
  });
  after(async () => {
    await browser?.close();
    for (const close of closers) await close();
  });

  test('the page and its JSON endpoints are served by the app, with a same-origin-only CSP', async (t) => {
    t.diagnostic(timings.join(', '));
    const html = await fetch(`${server.url}/`);
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    assert.match(html.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const settings = (await (await fetch(`${server.url}/demo/settings`)).json()) as { deadlines: Record<string, { defaultMs: number }> };
    assert.deepEqual(Object.keys(settings.deadlines).sort(), ['classify', 'depth', 'detect', 'segment']);
    const stats = (await (await fetch(`${server.url}/demo/stats`)).json()) as { ready: boolean; tasks: Record<string, { queueDepth: number }> };
    assert.equal(stats.ready, true);
    assert.equal(typeof stats.tasks['classify']?.queueDepth, 'number');
    const missing = await fetch(`${server.url}/no-such-page.html`);
    assert.equal(missing.status, 404, 'unknown URLs still reach the app not-found handler');
  });

  for (const { task, file, via } of UPLOADS) {
    test(`${task}: an uploaded image (${via}) is answered, drawn, and its stitch highlighted on the frontier`, async () => {
      await chooseTask(page, task, WAIT_MS);
      const run = await uploadAndRun(page, task, path.join(FIXTURE_IMAGES_DIR, file), via, WAIT_MS);
      await screenshot(page, ARTIFACTS, task);
      assert.equal(run.body.stitch.id, run.stitchHeader, 'envelope and X-Stitch-Id agree');
      assert.equal(run.highlighted, String(run.stitchHeader), 'the chart highlights the stitch of X-Stitch-Id');
      assert.equal(run.ring, String(run.stitchHeader), 'the highlight ring sits on that stitch');
      const caption = (await page.textContent('#frontier-caption')) ?? '';
      assert.match(caption, new RegExp(`stitch #${run.stitchHeader}\\b`));
      assert.notEqual(await page.textContent('#timing dd[data-stage="total"]'), '');
      await checkDrawn(page, task, run);
    });
  }

  test('a burst from the load panel changes the stitch distribution, and the live panel follows the server', async (t) => {
    // Segmentation: its answers cost the most per request (decode, engine, rendering), so a few queued requests
    // already leave too little time for the dearest stitch. (Its stitches now lie within ~10 % in FLOPs on the
    // demo family, so each burst's chance to move is modest: up to 5 attempts. Classification, whose anchors are
    // 4.8× apart, was tried: its bursts were refused outright at twice its ~14 ms idle need.)
    await chooseTask(page, 'segment', WAIT_MS);
    await afterNextRun(page, () => page.click('#gallery button[data-file="scene-1.png"]'), WAIT_MS);
    assert.equal(await page.getAttribute('#gallery button[data-file="scene-1.png"]', 'aria-pressed'), 'true');
    // Each burst runs at twice what an idle server needs right now: room for a queue, too little for every request
    // at the best stitch. Much tighter and the burst is refused outright, as concurrent decoding on 2 cores eats
    // the slack. The need is measured again before every burst: the controller learns from each burst (its
    // latency and preprocessing estimates rise under contention), on a machine shared with other work.
    const bursts: Array<BurstView & { budgetMs: number; idle: number; idleGflops: number }> = [];
    // From 20 ms up: on a quiet machine the idle need is ~20-40 ms, and a budget far above it (from 80 ms up, as
    // before: 160 ms) let the dearest stitch serve a whole burst on time even after the stall, so nothing moved.
    let needMs = 20;
    for (let attempt = 0; attempt < 5; attempt++) {
      needMs = await smallestAnsweredBudget(page, needMs, WAIT_MS);
      const { budgetMs, outcome } = await runAtBudget(page, needMs * 2, WAIT_MS);
      if (outcome !== 'done') continue; // the need moved up meanwhile: measure again
      const idle = Number(await page.getAttribute('#result-panel', 'data-stitch'));
      const idleGflops = await stitchGflops(page, idle);
      // A quiet machine's dearest stitch can keep up with what 6 browser connections send, so the engine worker is
      // held for half a budget as the burst starts, as a noisy neighbour would: the requests queued meanwhile keep
      // too little time for the dearest stitch, whatever the machine's speed. (A whole budget, as before, taught
      // the latency model a batch overhead as long as the budget, and the burst was then refused outright.)
      server.app.services.runtime.engine.simulateCrash('stall', budgetMs / 2);
      const burst = await fireBurst(page, BURST.count, BURST.rate, WAIT_MS * 2);
      bursts.push({ ...burst, budgetMs, idle, idleGflops });
      await screenshot(page, ARTIFACTS, `burst-${attempt + 1}`);
      if (moved(burst, idleGflops)) break;
    }
    const last = bursts[bursts.length - 1];
    assert.ok(last !== undefined, 'a burst was fired');
    const summary = bursts.map((b) => JSON.stringify({ budgetMs: b.budgetMs, idle: b.idle, stitches: b.stitches, status: b.status })).join('\n');
    t.diagnostic(`bursts (${BURST.count} requests at ${BURST.rate}/s):\n${summary}`);
    assert.ok(moved(last, last.idleGflops), `no burst moved off the idle choice:\n${summary}`);
    assert.equal(last.counters['sent'], BURST.count);
    const settled = ['answered', 'rejected', 'expired', 'failed'].reduce((sum, k) => sum + (last.counters[k] ?? 0), 0);
    assert.equal(settled, BURST.count, `every request settled: ${JSON.stringify(last.counters)}`);
    assert.ok(last.polls >= 3 && last.queueSamples >= 2, `live panel polled the server: ${JSON.stringify(last)}`);
    assert.ok(last.attainmentSamples >= 1, 'deadline attainment computed from the server counters');
    const usage = await page.$$eval('#frontier circle.usage', (circles) => circles.map((c) => Number(c.getAttribute('data-stitch'))));
    assert.deepEqual(usage.sort((a, b) => a - b), last.stitches.map((s) => s.id).sort((a, b) => a - b), 'the chart marks the stitches the burst used');
    if (process.env['UPDATE_DEMO_SCREENSHOT'] === '1') {
      mkdirSync(path.dirname(README_SCREENSHOT), { recursive: true });
      copyFileSync(await screenshot(page, ARTIFACTS, 'readme'), README_SCREENSHOT);
    }
  });

  test('keyboard and accessibility basics: labelled controls, visible focus, no external requests, no page errors', async () => {
    const unlabelled = await page.$$eval('input, button, select, textarea', (controls) =>
      controls.filter((c) => {
        const el = c as HTMLInputElement;
        const named = (el.labels?.length ?? 0) > 0 || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent?.trim());
        return !named;
      }).map((c) => c.outerHTML.slice(0, 80)));
    assert.deepEqual(unlabelled, []);
    // The budget slider works from the keyboard: each arrow key moves it one step and updates the readout.
    const before = await page.textContent('#budget-out');
    await page.focus('#budget');
    await page.keyboard.press('ArrowLeft');
    assert.notEqual(await page.textContent('#budget-out'), before, 'ArrowLeft moves the budget slider');
    assert.match((await page.getAttribute('#budget', 'aria-valuetext')) ?? '', /\d (ms|s)$/);
    await page.focus('#run');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      return { id: el.id, width: getComputedStyle(el).outlineWidth, style: getComputedStyle(el).outlineStyle };
    });
    assert.equal(outline.id, 'run');
    assert.notEqual(outline.style, 'none', 'keyboard focus is visible');
    assert.deepEqual(foreignRequests, [], 'the page loads nothing from outside the service');
    assert.deepEqual(problems.filter((p) => !/status of 429|status of 504/.test(p)), [], 'no script errors');
  });
});

/** A burst answered by more than one stitch, or by a cheaper one than the idle choice. */
function moved(burst: BurstView, idleGflops: number): boolean {
  return burst.stitches.length > 1 || burst.stitches.some((s) => s.gflops < idleGflops);
}

/** The GFLOPs the chart data gives a stitch of the current task. */
async function stitchGflops(page: Page, id: number): Promise<number> {
  const gflops = await page.evaluate(async ([stitch]) => {
    const task = (document.querySelector('input[name="task"]:checked') as HTMLInputElement).value;
    const data = (await (await fetch(`/v1/stitches?task=${task}&scope=all`)).json()) as { stitches: { id: number; gflops: number }[] };
    return data.stitches.find((s) => s.id === stitch)?.gflops;
  }, [id]);
  assert.ok(gflops !== undefined, `stitch ${id} is in the catalogue`);
  return gflops;
}

/** Checks the task-specific drawing against the answer. */
async function checkDrawn(page: Page, task: string, run: Awaited<ReturnType<typeof uploadAndRun>>): Promise<void> {
  const result = run.body.result;
  if (task === 'classify') {
    const predictions = result['predictions'] as { label: string }[];
    const bars = await page.$$eval('#details ol.bars li', (items) => items.map((li) => (li as HTMLElement).dataset['label']));
    assert.equal(bars.length, predictions.length);
    assert.ok(bars.length >= 2 && bars.length <= 5, `top-k bars: ${bars.length}`);
    assert.deepEqual(bars, predictions.map((p) => p.label));
    assert.equal(run.drawn, 'label');
  } else if (task === 'segment') {
    const classes = result['classes'] as { index: number }[];
    const legend = await page.$$eval('#details ul.legend li', (items) => items.map((li) => Number((li as HTMLElement).dataset['class'])));
    assert.deepEqual(legend, classes.map((c) => c.index), 'one legend entry per class in the answer');
    assert.equal(run.drawn, 'segment');
    if (classes.some((c) => c.index !== 0)) assert.ok(run.paintedPixels > 0, 'the class map is painted');
  } else if (task === 'depth') {
    const range = await page.$eval('#details .depth-legend', (node) => [Number((node as HTMLElement).dataset['min']), Number((node as HTMLElement).dataset['max'])]);
    assert.deepEqual(range, [result['min'], result['max']]);
    assert.equal(run.drawn, 'depth');
    const total = await page.$eval('#overlay-canvas', (c) => (c as HTMLCanvasElement).width * (c as HTMLCanvasElement).height);
    assert.equal(run.paintedPixels, total, 'the depth map covers the image');
  } else {
    const detections = result['detections'] as unknown[];
    const listed = await page.$$eval('#details ol.detections li', (items) => items.length);
    assert.equal(listed, detections.length, 'one list entry per box');
    assert.equal(run.drawn, 'boxes');
    if (detections.length > 0) assert.ok(run.paintedPixels > 0, 'boxes are drawn');
  }
}
