import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page, Route } from 'playwright-core';

/** What one single request produced, seen from the network and from the page. */
export interface TaskRun {
  /** X-Stitch-Id of the answer. */
  stitchHeader: number;
  /** The JSON envelope of the answer. */
  body: { result: Record<string, unknown>; stitch: { id: number; gflops: number }; timing: Record<string, number> };
  /** data-drawn of the overlay canvas (label | segment | depth | boxes | none). */
  drawn: string;
  /** Overlay pixels with alpha > 0. */
  paintedPixels: number;
  /** The stitch highlighted on the frontier chart (data-highlight) and the id of the ring drawn there. */
  highlighted: string | undefined;
  ring: string | null;
}

const RESULT = '#result-panel';

const MEDIA_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif' };

/** Waits until the page has loaded the family, its samples, and answered its first request. */
export async function waitForPageReady(page: Page, timeout: number): Promise<void> {
  await page.waitForSelector('body[data-ready="true"]', { timeout });
  await page.waitForSelector(`${RESULT}[data-state="done"], ${RESULT}[data-state="error"]`, { timeout });
}

/** Selects a task with the keyboard-operable radio and waits for the run it triggers to settle. */
export async function chooseTask(page: Page, task: string, timeout: number): Promise<void> {
  await page.check(`input[name="task"][value="${task}"]`);
  await page.waitForSelector(`${RESULT}[data-task="${task}"][data-state="done"], ${RESULT}[data-task="${task}"][data-state="error"]`, { timeout });
}

/** Puts `file` into the page: through the file chooser, or dropped on the drop zone as a DataTransfer. */
async function provide(page: Page, file: string, via: 'chooser' | 'drop'): Promise<void> {
  if (via === 'chooser') {
    await page.setInputFiles('#file', file);
    return;
  }
  const bytes = readFileSync(file).toString('base64');
  const type = MEDIA_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  await page.evaluate(([name, base64, mediaType]) => {
    const data = Uint8Array.from(atob(base64!), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], name!, { type: mediaType! }));
    const zone = document.getElementById('dropzone')!;
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, [path.basename(file), bytes, type]);
}

/**
 * Uploads `file` for the current task and waits for the drawn answer; returns what the network and the page
 * show. The task must already be selected (its own run settled), so the only POST to the task is this upload's.
 */
export async function uploadAndRun(page: Page, task: string, file: string, via: 'chooser' | 'drop', timeout: number): Promise<TaskRun> {
  const name = path.basename(file);
  // The answer is captured on its way to the page (DevTools may evict response bodies it already handed over).
  let answer: { status: number; headers: Record<string, string>; body: Buffer } | undefined;
  const pattern = (url: URL) => url.pathname === `/v1/${task}`;
  await page.route(pattern, async (route: Route) => {
    const response = await route.fetch();
    answer = { status: response.status(), headers: response.headers(), body: await response.body() };
    await route.fulfill({ response, body: answer.body });
  });
  try {
    await afterNextRun(page, () => provide(page, file, via), timeout);
    const shown = await page.evaluate(() => ({ ...document.getElementById('result-panel')!.dataset }));
    if (shown['task'] !== task || shown['image'] !== name) throw new Error(`the page ran ${shown['task']} on ${shown['image']}, not ${task} on ${name}`);
  } finally {
    await page.unroute(pattern);
  }
  if (answer === undefined) throw new Error(`the page sent no POST /v1/${task}`);
  if (answer.status !== 200) throw new Error(`POST /v1/${task} answered ${answer.status}: ${answer.body.toString('utf8')}`);
  const body = JSON.parse(answer.body.toString('utf8')) as TaskRun['body'];
  const drawn = await page.evaluate(() => {
    const canvas = document.getElementById('overlay-canvas') as HTMLCanvasElement;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
    const chart = document.getElementById('frontier')!;
    return {
      drawn: canvas.dataset['drawn'] ?? 'none',
      paintedPixels: painted,
      highlighted: chart.dataset['highlight'],
      ring: chart.querySelector('.chosen-ring')?.getAttribute('data-stitch') ?? null,
    };
  });
  return { stitchHeader: Number(answer.headers['x-stitch-id']), body, ...drawn };
}

/** Parses the budget output ("300 ms", "12.3 ms", "1.25 s") into ms. */
export function parseMs(text: string): number {
  const match = /([\d.]+)\s*(ms|s)/.exec(text);
  if (match === null) throw new Error(`not a duration: '${text}'`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

/**
 * Moves the budget slider to about `targetMs` the way a pointer drag does (input events while moving, one
 * change event at the end); returns the budget the page shows. The change runs the current request.
 */
export async function setBudget(page: Page, targetMs: number): Promise<number> {
  const text = await page.evaluate((target) => {
    const input = document.getElementById('budget') as HTMLInputElement;
    const output = document.getElementById('budget-out')!;
    let [lo, hi] = [Number(input.min), Number(input.max)];
    // The scale is monotonic: binary search the step whose shown budget first reaches the target.
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      input.value = String(mid);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      const match = /([\d.]+)\s*(ms|s)/.exec(output.textContent ?? '')!;
      const ms = Number(match[1]) * (match[2] === 's' ? 1000 : 1);
      if (ms < target) lo = mid + 1;
      else hi = mid;
    }
    input.value = String(lo);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
    return output.textContent ?? '';
  }, targetMs);
  return parseMs(text);
}

/** Runs `action`, then waits until the page has started a new request and that request has settled. */
export async function afterNextRun(page: Page, action: () => Promise<unknown>, timeout: number): Promise<'done' | 'error'> {
  const before = Number((await page.getAttribute(RESULT, 'data-run')) ?? 0);
  await action();
  await page.waitForFunction((n) => {
    const panel = document.getElementById('result-panel')!.dataset;
    return Number(panel['run']) > n && (panel['state'] === 'done' || panel['state'] === 'error');
  }, before, { timeout });
  return (await page.getAttribute(RESULT, 'data-state')) as 'done' | 'error';
}

/**
 * The smallest budget, from `startMs` up in steps of ×1.4, at which a single request of the current task is
 * answered (not refused): what the controller's latency model currently needs with an idle queue.
 */
export async function smallestAnsweredBudget(page: Page, startMs: number, timeout: number): Promise<number> {
  let target = startMs;
  for (let step = 0; step < 10; step++, target *= 1.4) {
    const { outcome, budgetMs } = await runAtBudget(page, target, timeout);
    if (outcome === 'done') return budgetMs;
  }
  throw new Error(`no budget up to ${Math.round(target)} ms was answered`);
}

/** Sets the budget by keyboard to about `targetMs` and waits for the single request that change runs. */
export async function runAtBudget(page: Page, targetMs: number, timeout: number): Promise<{ outcome: 'done' | 'error'; budgetMs: number }> {
  let budgetMs = 0;
  const outcome = await afterNextRun(page, async () => {
    const before = await page.textContent('#budget-out');
    budgetMs = await setBudget(page, targetMs);
    // An unchanged slider fires no change event: ask for the run explicitly.
    if ((await page.textContent('#budget-out')) === before) await page.click('#run');
  }, timeout);
  return { outcome, budgetMs };
}

export interface BurstView {
  /** The panel's closing line (counts and the last refusal, if any). */
  status: string;
  /** Answers per stitch, as the histogram shows them (sorted by GFLOPs). */
  stitches: { id: number; count: number; gflops: number }[];
  counters: Record<string, number>;
  /** /demo/stats polls so far, and samples in the queue-depth and attainment sparklines. */
  polls: number;
  queueSamples: number;
  maxQueueDepth: number;
  attainmentSamples: number;
}

/** Fires a burst from the load panel and waits for it to finish; returns what the panel shows. */
export async function fireBurst(page: Page, count: number, rate: number, timeout: number): Promise<BurstView> {
  await page.fill('#burst-count', String(count));
  await page.fill('#burst-rate', String(rate));
  await page.click('#burst-start');
  await page.waitForSelector('#burst-status[data-state="running"]', { timeout });
  await page.waitForSelector('#burst-status[data-state="done"]', { timeout });
  // One more poll after the last answer, so the live series include the end of the burst.
  const polls = Number(await page.getAttribute('#live', 'data-polls'));
  await page.waitForFunction((n) => Number(document.getElementById('live')!.dataset['polls']) > n, polls, { timeout });
  // No named helpers inside evaluate(): tsx would wrap them in a __name() the page does not have.
  return page.evaluate(() => {
    const queue = document.querySelector<HTMLElement>('.spark[data-metric="queue-depth"]')!.dataset;
    const attainment = document.querySelector<HTMLElement>('.spark[data-metric="attainment"]')!.dataset;
    return {
      status: document.getElementById('burst-status')!.textContent ?? '',
      stitches: [...document.querySelectorAll<HTMLElement>('#burst-stitches li')].map((li) => ({
        id: Number(li.dataset['stitch']),
        count: Number(li.dataset['count']),
        gflops: Number(li.dataset['gflops']),
      })),
      counters: Object.fromEntries([...document.querySelectorAll<HTMLElement>('#burst-counters dd')].map((dd) => [dd.dataset['counter']!, Number(dd.textContent)])),
      polls: Number(document.getElementById('live')!.dataset['polls']),
      queueSamples: Number(queue['samples']),
      maxQueueDepth: Number(queue['max']),
      attainmentSamples: Number(attainment['samples']),
    };
  });
}
