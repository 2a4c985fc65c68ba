// The demo page: wires the request controls, the result view, the frontier chart and the load panel.
import { getJson, infer } from './api.js';
import { BudgetSlider } from './budget-slider.js';
import { formatGflops, formatMs } from './dom.js';
import { FrontierChart } from './frontier-chart.js';
import { ImageInput } from './image-input.js';
import { LoadPanel } from './load-panel.js';
import { renderClassify } from './results/classify.js';
import { renderDepth } from './results/depth.js';
import { renderDetect } from './results/detect.js';
import { renderSegment } from './results/segment.js';
import { Stage } from './stage.js';
import { renderTiming } from './timing.js';

const RENDERERS = { classify: renderClassify, segment: renderSegment, depth: renderDepth, detect: renderDetect };
/** Bars shown for classification. */
const TOP_K = 5;
/** Quiet time after the last budget change before the request runs (ms). */
const BUDGET_SETTLE_MS = 350;

const $ = (id) => /** @type {any} */ (document.getElementById(id));

const state = {
  /** @type {import('./image-input.js').PickedImage | undefined} */
  image: undefined,
  /** @type {any} GET /v1/models */
  models: undefined,
  /** @type {any} GET /demo/settings */
  settings: undefined,
  /** Budget per task (ms), remembered when switching tasks. */
  budgets: /** @type {Record<string, number>} */ ({}),
  /** The last single request's answer, re-drawn when the overlay opacity changes. */
  last: /** @type {{task: string, body: any} | undefined} */ (undefined),
  /** Stitch that answered the last single request (the "idle choice" in the burst histogram). */
  idleChoice: /** @type {number | undefined} */ (undefined),
  run: 0,
  /** @type {AbortController | undefined} */
  inflight: undefined,
};

const stage = new Stage($('image-canvas'), $('overlay-canvas'));
const budget = new BudgetSlider($('budget'), $('budget-out'));
const chart = new FrontierChart($('frontier'), $('frontier-caption'), anchorNames);
const resultPanel = $('result-panel');
const status = $('status');

const task = () => /** @type {HTMLInputElement} */ (document.querySelector('input[name="task"]:checked')).value;
const quality = () => /** @type {HTMLInputElement} */ (document.querySelector('input[name="quality"]:checked')).value;

/** Most boxes asked for (the list under the image stays readable). */
const MAX_DETECTIONS = 20;

/** Task-specific query parameters. */
function queryFor(name) {
  if (name === 'detect') return { max_detections: String(MAX_DETECTIONS) };
  if (name !== 'classify') return {};
  const labels = state.models?.tasks.classify?.labels.length ?? TOP_K;
  return { top_k: String(Math.max(1, Math.min(TOP_K, labels))) };
}

/** @param {number[]} ids anchor ids of a stitch → "S→L" */
function anchorNames(ids) {
  const names = new Map((state.models?.anchors ?? []).map((a) => [a.id, a.name]));
  return ids.map((id) => names.get(id) ?? `#${id}`).join('→');
}

const loadPanel = new LoadPanel(
  {
    form: $('burst-form'), count: $('burst-count'), rate: $('burst-rate'), start: $('burst-start'), stop: $('burst-stop'),
    status: $('burst-status'), counters: $('burst-counters'), histogram: $('burst-stitches'), live: $('live'),
  },
  {
    request: () => (state.image === undefined ? undefined : { task: task(), image: state.image.blob, budgetMs: budget.ms, quality: quality(), query: queryFor(task()) }),
    chart,
    idleChoice: () => state.idleChoice,
  },
);

function setStatus(text, isError = false) {
  status.textContent = text;
  status.classList.toggle('error', isError);
}

/** Refreshes the frontier chart of `name` (the latency model moves, so every answer re-reads it). */
async function loadStitches(name) {
  const data = await getJson(`/v1/stitches?task=${encodeURIComponent(name)}&scope=all`);
  if (name === task()) chart.update({ data });
}

/** Runs the current image through the current task and draws the answer. Later runs supersede earlier ones. */
async function run() {
  if (state.image === undefined || state.models === undefined) return;
  state.inflight?.abort();
  const controller = new AbortController();
  state.inflight = controller;
  const runId = ++state.run;
  const name = task();
  Object.assign(resultPanel.dataset, { state: 'running', task: name, image: state.image.name, run: String(runId) });
  setStatus(`Running ${name} with a ${formatMs(budget.ms)} budget, quality ${quality()}…`);
  const answer = await infer(name, state.image.blob, { budgetMs: budget.ms, quality: quality(), query: queryFor(name), signal: controller.signal });
  if (runId !== state.run) return;
  state.inflight = undefined;
  if (!answer.ok) {
    const retry = answer.error?.retryAfterSeconds === undefined ? '' : ` Retry after ${answer.error.retryAfterSeconds} s.`;
    setStatus(`${answer.status || ''} ${answer.error?.code}: ${answer.error?.message}${retry}`.trim(), true);
    stage.clearOverlay();
    $('details').replaceChildren();
    resultPanel.dataset.state = 'error';
    return;
  }
  const { body } = answer;
  const stitchId = answer.stitchId ?? body.stitch.id;
  state.last = { task: name, body };
  state.idleChoice = stitchId;
  const summary = RENDERERS[name](body.result, { stage, details: $('details') });
  renderTiming($('timing'), body, answer.clientMs);
  setStatus(`${summary} Stitch #${stitchId} (${body.stitch.kind}, ${formatGflops(body.stitch.gflops)}), batch of ${body.batchSize}, ` +
    `${formatMs(body.timing.totalMs)} — deadline ${body.deadlineMet ? 'met' : 'missed'}.`);
  try {
    await loadStitches(name);
  } catch {
    // The chart keeps its previous data; the highlight below still names the stitch.
  }
  chart.update({ chosen: stitchId });
  Object.assign(resultPanel.dataset, { state: 'done', stitch: String(stitchId), requestId: body.requestId });
}

function onTaskChange() {
  const name = task();
  const bounds = state.settings?.deadlines[name] ?? { minMs: 1, maxMs: 60_000, defaultMs: 200 };
  budget.configure(bounds, state.budgets[name] ?? bounds.defaultMs);
  chart.update({ budgetMs: budget.ms });
  loadPanel.setTask(name);
  stage.clearOverlay();
  $('details').replaceChildren();
  // Opacity applies to the dense maps only.
  $('opacity-field').hidden = name !== 'segment' && name !== 'depth';
  loadStitches(name).catch(() => undefined);
  void run();
}

/** Waits for the service to be ready (the bundle loads and warms up before it answers). */
async function waitForModels() {
  for (;;) {
    try {
      return await getJson('/v1/models');
    } catch (error) {
      $('family').textContent = `Waiting for the model: ${error.message}`;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function describeFamily(models, settings) {
  const tasks = Object.keys(models.tasks).join(', ');
  return `${models.name}: ${models.stitchCount} stitches of ${models.anchors.map((a) => a.name).join(' + ')}, ` +
    `tasks ${tasks} · ${models.engine.device}, batches up to ${models.engine.maxBatch} · policy ${settings.policy}`;
}

async function main() {
  const images = new ImageInput({ gallery: $('gallery'), dropzone: $('dropzone'), file: $('file') }, async (image) => {
    state.image = image;
    await stage.setImage(image.blob, image.description);
    void run();
  });
  const samplesLoading = images.loadSamples();
  state.models = await waitForModels();
  state.settings = await getJson('/demo/settings');
  $('family').textContent = describeFamily(state.models, state.settings);
  for (const input of document.querySelectorAll('input[name="task"]')) {
    const available = input.value in state.models.tasks;
    input.disabled = !available;
    if (!available) input.closest('label')?.setAttribute('title', 'This family has no head for this task');
  }
  if (!(task() in state.models.tasks)) {
    const first = /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="task"]:not(:disabled)'));
    if (first !== null) first.checked = true;
  }
  const defaultQuality = /** @type {HTMLInputElement | null} */ (document.querySelector(`input[name="quality"][value="${state.settings.defaultQuality}"]`));
  if (defaultQuality !== null) defaultQuality.checked = true;

  for (const input of document.querySelectorAll('input[name="task"]')) input.addEventListener('change', onTaskChange);
  for (const input of document.querySelectorAll('input[name="quality"]')) input.addEventListener('change', () => void run());
  $('budget').addEventListener('input', () => chart.update({ budgetMs: budget.ms }));
  // Keyboard users change the slider one step per key press: run once they pause, not on every step.
  let budgetTimer;
  $('budget').addEventListener('change', () => {
    state.budgets[task()] = budget.ms;
    clearTimeout(budgetTimer);
    budgetTimer = setTimeout(() => void run(), BUDGET_SETTLE_MS);
  });
  $('opacity').addEventListener('input', () => {
    stage.opacity = Number($('opacity').value) / 100;
    if (state.last !== undefined && state.last.task === task() && state.last.task !== 'classify' && state.last.task !== 'detect') {
      RENDERERS[state.last.task](state.last.body.result, { stage, details: $('details') });
    }
  });
  $('run').addEventListener('click', () => void run());
  $('run').disabled = false;
  loadPanel.setEnabled(true);
  loadPanel.start();
  onTaskChange();

  // Start with a sample that suits the task, so the page shows a result at once.
  const samples = await samplesLoading;
  const first = samples.find((s) => s.task === task() || (task() === 'classify') === (s.kind === 'item')) ?? samples[0];
  if (first !== undefined && state.image === undefined) await images.pickSample(first);
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  setStatus(`The page failed to start: ${error.message}`, true);
});
