// The load panel: fires a bounded burst with the current request settings and shows, live, what the
// controller does with it (client-side: answers per stitch; server-side: queue, attainment, quality).
import { infer } from './api.js';
import { clampBurst, runBurst } from './burst.js';
import { el, formatGflops, formatPercent } from './dom.js';
import { LiveStats } from './live-stats.js';
import { Sparkline } from './sparkline.js';

const COUNTERS = [
  ['sent', 'Sent'],
  ['answered', 'Answered'],
  ['onTime', 'On time'],
  ['late', 'Late'],
  ['rejected', 'Refused (429)'],
  ['expired', 'Expired (504)'],
  ['failed', 'Other errors'],
];
const SPARK_WINDOW_MS = 20_000;

/**
 * @typedef {object} LoadPanelParts
 * @property {HTMLFormElement} form
 * @property {HTMLInputElement} count
 * @property {HTMLInputElement} rate
 * @property {HTMLButtonElement} start
 * @property {HTMLButtonElement} stop
 * @property {HTMLElement} status
 * @property {HTMLElement} counters
 * @property {HTMLElement} histogram
 * @property {HTMLElement} live
 */

export class LoadPanel {
  /**
   * @param {LoadPanelParts} parts
   * @param {{request: () => ({task: string, image: Blob, budgetMs: number, quality: string, query: Record<string, string>} | undefined),
   *          chart: import('./frontier-chart.js').FrontierChart, idleChoice: () => (number | undefined)}} deps
   */
  constructor(parts, deps) {
    this.parts = parts;
    this.deps = deps;
    /** @type {AbortController | undefined} */
    this.abort = undefined;
    this.counts = /** @type {Record<string, number>} */ ({});
    /** @type {Map<number, number>} */
    this.perStitch = new Map();
    /** @type {import('./api.js').ApiError | undefined} the last error answer of the burst, shown when it ends */
    this.lastError = undefined;
    this.renderPending = false;
    this.cells = Object.fromEntries(COUNTERS.map(([key, label]) => {
      const dd = el('dd', { 'data-counter': key, text: '0' });
      parts.counters.append(el('div', {}, [el('dt', { text: label }), dd]));
      return [key, dd];
    }));
    const qualityFormat = (v) => (v === undefined ? '—' : this.#metricKnown() ? formatPercent(v) : formatGflops(v));
    this.sparks = {
      queueDepth: new Sparkline(parts.live, 'queue-depth', 'Queue depth (task)', (v) => (v === undefined ? '—' : String(v))),
      inflight: new Sparkline(parts.live, 'inflight', 'In flight (all tasks)', (v) => (v === undefined ? '—' : String(v))),
      attainment: new Sparkline(parts.live, 'attainment', 'Deadlines met (last 2 s)', (v) => formatPercent(v, 0)),
      quality: new Sparkline(parts.live, 'quality', 'Quality served (last 2 s)', qualityFormat),
      saturation: new Sparkline(parts.live, 'saturation', 'Controller saturation', (v) => (v === undefined ? '—' : v.toFixed(2))),
    };
    this.stats = new LiveStats((series) => this.#showLive(series));
    this.stats.qualityOf = (id) => {
      const row = deps.chart.row(id);
      return row === undefined ? undefined : this.#metricKnown() ? (row.metric ?? undefined) : row.gflops;
    };
    parts.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.fire();
    });
    parts.stop.addEventListener('click', () => this.abort?.abort());
  }

  /** Starts polling the server's stats. */
  start() {
    this.stats.start();
  }

  /** The task whose server-side series are shown. */
  setTask(task) {
    this.stats.task = task;
    this.#showLive(this.stats.series());
  }

  /** Enables the form once the service is ready. */
  setEnabled(enabled) {
    this.parts.start.disabled = !enabled || this.abort !== undefined;
  }

  async fire() {
    const request = this.deps.request();
    if (request === undefined) {
      this.#status('Pick an image first: the burst sends it with the settings on the left.', 'idle');
      return;
    }
    const { count, ratePerSecond } = clampBurst(Number(this.parts.count.value), Number(this.parts.rate.value));
    this.parts.count.value = String(count);
    this.parts.rate.value = String(ratePerSecond);
    this.abort = new AbortController();
    this.parts.start.disabled = true;
    this.parts.stop.disabled = false;
    this.counts = Object.fromEntries(COUNTERS.map(([key]) => [key, 0]));
    this.perStitch = new Map();
    this.lastError = undefined;
    this.#render();
    this.stats.task = request.task;
    this.stats.fastFor(count / ratePerSecond * 1000 + 60_000);
    this.#status(`Sending ${count} ${request.task} requests at ${ratePerSecond}/s, budget ${Math.round(request.budgetMs)} ms, quality ${request.quality}…`, 'running');
    const signal = this.abort.signal;
    const sent = await runBurst({
      count,
      ratePerSecond,
      signal,
      send: () => {
        this.counts.sent++;
        this.#scheduleRender();
        return infer(request.task, request.image, { budgetMs: request.budgetMs, quality: request.quality, query: request.query, signal });
      },
      onAnswer: (answer) => this.#count(answer),
    });
    this.abort = undefined;
    this.#render();
    this.parts.start.disabled = false;
    this.parts.stop.disabled = true;
    this.stats.fastFor(3000);
    const distinct = this.perStitch.size;
    this.#status(`Done: ${sent} sent, ${this.counts.answered} answered by ${distinct} distinct stitch${distinct === 1 ? '' : 'es'}, ` +
      `${this.counts.onTime} on time, ${this.counts.rejected} refused.` +
      (this.lastError === undefined ? '' : ` Last refusal: ${this.lastError.code} (${this.lastError.message})`), 'done');
  }

  /** @param {import('./api.js').InferAnswer} answer */
  #count(answer) {
    const c = this.counts;
    if (answer.ok) {
      c.answered++;
      if (answer.body.deadlineMet) c.onTime++;
      else c.late++;
      const id = answer.body.stitch.id;
      this.perStitch.set(id, (this.perStitch.get(id) ?? 0) + 1);
    } else if (answer.status === 429) c.rejected++;
    else if (answer.status === 504) c.expired++;
    else if (answer.error?.code !== 'ABORTED') c.failed++;
    if (!answer.ok && answer.error?.code !== 'ABORTED') this.lastError = answer.error;
    this.#scheduleRender();
  }

  /** Coalesces redraws to one per frame: a burst answers faster than it is worth repainting (and the browser
   * shares the CPU with the server on a small machine). */
  #scheduleRender() {
    if (this.renderPending) return;
    this.renderPending = true;
    requestAnimationFrame(() => {
      this.renderPending = false;
      this.#render();
    });
  }

  #render() {
    for (const [key, cell] of Object.entries(this.cells)) cell.textContent = String(this.counts[key] ?? 0);
    const { chart } = this.deps;
    const idle = this.deps.idleChoice();
    const rows = [...this.perStitch].sort(([a], [b]) => (chart.row(a)?.gflops ?? a) - (chart.row(b)?.gflops ?? b) || a - b);
    const max = Math.max(1, ...this.perStitch.values());
    this.parts.histogram.replaceChildren(...rows.map(([id, n]) => {
      const row = chart.row(id);
      const fill = el('span', { class: 'fill' });
      fill.style.setProperty('width', `${(100 * n) / max}%`);
      const name = `#${id}${row === undefined ? '' : ` · ${formatGflops(row.gflops)}`}`;
      return el('li', { 'data-stitch': id, 'data-count': n, 'data-gflops': row?.gflops, class: id === idle ? 'idle-choice' : undefined }, [
        el('span', { class: 'name', text: name }),
        el('span', { class: 'track', 'aria-hidden': 'true' }, [fill]),
        el('span', { class: 'num', text: String(n) }),
      ]);
    }));
    chart.update({ usage: new Map(this.perStitch) });
  }

  /** @param {ReturnType<LiveStats['series']>} series */
  #showLive(series) {
    this.parts.live.dataset.polls = String(this.stats.polls);
    const pick = (key) => series.map((s) => ({ atMs: s.atMs, value: s[key] }));
    this.sparks.queueDepth.update(pick('queueDepth'), SPARK_WINDOW_MS, 4);
    this.sparks.inflight.update(pick('inflight'), SPARK_WINDOW_MS, 4);
    this.sparks.attainment.update(pick('attainment'), SPARK_WINDOW_MS, 1);
    this.sparks.quality.update(pick('quality'), SPARK_WINDOW_MS, 0);
    this.sparks.saturation.update(pick('saturation'), SPARK_WINDOW_MS, 1);
  }

  #metricKnown() {
    return this.deps.chart.data?.stitches.some((s) => s.metric !== null) ?? false;
  }

  #status(text, state) {
    this.parts.status.textContent = text;
    this.parts.status.dataset.state = state;
  }
}
