// The task's stitches on an accuracy-vs-predicted-latency chart (SVG), with the chosen stitch highlighted.
import { formatGflops, formatMs, formatPercent, svg } from './dom.js';
import { makeScale, padded } from './scale.js';

const W = 480;
const H = 300;
const M = { left: 66, right: 14, top: 14, bottom: 42 };

/**
 * @typedef {object} StitchRow a row of `GET /v1/stitches?scope=all`
 * @property {number} id
 * @property {string} kind
 * @property {number[]} anchors
 * @property {number} gflops
 * @property {number | null} metric
 * @property {boolean} onFrontier
 * @property {Record<string, number>} predictedMs batch size → ms
 */

/** Predicted latency at batch 1 (or the smallest batch profiled). @param {StitchRow} s */
export function latencyOf(s) {
  const batches = Object.keys(s.predictedMs).map(Number).sort((a, b) => a - b);
  return s.predictedMs[String(batches.includes(1) ? 1 : batches[0])];
}

export class FrontierChart {
  /**
   * @param {SVGSVGElement} root
   * @param {HTMLElement} caption
   * @param {(ids: number[]) => string} anchorNames e.g. [0, 1] → "S→L"
   */
  constructor(root, caption, anchorNames) {
    this.root = root;
    this.caption = caption;
    this.anchorNames = anchorNames;
    /** @type {{task: string, metric: string, stitches: StitchRow[]} | undefined} */
    this.data = undefined;
    /** @type {number | undefined} */
    this.chosen = undefined;
    /** @type {Map<number, number>} stitch id → requests in the current burst */
    this.usage = new Map();
    this.budgetMs = undefined;
  }

  /**
   * Changes what is shown and redraws. A new task's data drops the highlight of the previous task's stitch.
   * @param {{data?: {task: string, metric: string, stitches: StitchRow[]}, chosen?: number, usage?: Map<number, number>, budgetMs?: number}} changes
   *   data: `GET /v1/stitches?scope=all`; chosen: the stitch of the last answer; usage: stitch id → requests
   *   in the current burst; budgetMs: the latency budget (ms), drawn as a vertical line
   */
  update(changes) {
    if (changes.data !== undefined && changes.data.task !== this.data?.task && !('chosen' in changes)) this.chosen = undefined;
    Object.assign(this, changes);
    this.#draw();
  }

  /** The stitch row of `id` in the current data. */
  row(id) {
    return this.data?.stitches.find((s) => s.id === id);
  }

  #draw() {
    const root = this.root;
    root.replaceChildren();
    const data = this.data;
    if (data === undefined || data.stitches.length === 0) return;
    // Quality axis: the task metric when the bundle knows it, else GFLOPs (what the controller then ranks by).
    const known = data.stitches.some((s) => s.metric !== null);
    const quality = (s) => (known ? s.metric : s.gflops);
    const rows = data.stitches.filter((s) => quality(s) !== null && Number.isFinite(latencyOf(s)));
    if (rows.length === 0) return;
    const xs = rows.map(latencyOf);
    const ys = rows.map(quality);
    const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
    const log = xMin > 0 && xMax / xMin > 5;
    const x = makeScale(...padded(xMin, xMax, 0.06, log), M.left, W - M.right, log);
    const y = makeScale(...padded(Math.min(...ys), Math.max(...ys), 0.08, false), H - M.bottom, M.top, false);
    const yLabel = known ? `${data.metric} (higher is better)` : 'GFLOPs (no accuracy in this bundle)';
    const yFormat = known ? (v) => formatPercent(v, 0) : (v) => String(Number(v.toPrecision(3)));
    this.#axes(x, y, yLabel, yFormat);

    if (this.budgetMs !== undefined && this.budgetMs <= x.hi) {
      const bx = x.at(this.budgetMs);
      root.append(svg('line', { class: 'budget-line', x1: bx, x2: bx, y1: M.top, y2: H - M.bottom }));
      root.append(svg('text', { x: bx - 4, y: M.top + 10, 'text-anchor': 'end', text: 'budget' }));
    }
    const maxUse = Math.max(0, ...this.usage.values());
    for (const s of rows) {
      const n = this.usage.get(s.id) ?? 0;
      if (n > 0) root.append(svg('circle', { class: 'usage', cx: x.at(latencyOf(s)), cy: y.at(quality(s)), r: 5 + 13 * Math.sqrt(n / maxUse), 'data-stitch': s.id, 'data-count': n }));
    }
    const frontier = rows.filter((s) => s.onFrontier).sort((a, b) => latencyOf(a) - latencyOf(b));
    if (frontier.length > 1) {
      root.append(svg('polyline', { class: 'frontier-line', points: frontier.map((s) => `${x.at(latencyOf(s))},${y.at(quality(s))}`).join(' ') }));
    }
    for (const s of rows) {
      const title = `stitch #${s.id} (${s.kind}, ${this.anchorNames(s.anchors)}): ${formatGflops(s.gflops)}, predicted ${formatMs(latencyOf(s))}` +
        (s.metric === null ? '' : `, ${data.metric} ${formatPercent(s.metric)}`);
      root.append(svg('circle', { class: `pt ${s.onFrontier ? 'frontier' : 'other'}`, cx: x.at(latencyOf(s)), cy: y.at(quality(s)), r: 4, 'data-stitch': s.id }, [svg('title', { text: title })]));
    }
    this.#drawChosen(rows, x, y, quality);
  }

  #drawChosen(rows, x, y, quality) {
    const data = /** @type {NonNullable<typeof this.data>} */ (this.data);
    const chosen = rows.find((s) => s.id === this.chosen);
    if (this.chosen === undefined) {
      delete this.root.dataset.highlight;
      this.caption.textContent = `${data.stitches.length} stitches for ${data.task}; run a request to see which one answers it.`;
      return;
    }
    this.root.dataset.highlight = String(this.chosen);
    if (chosen === undefined) {
      this.caption.textContent = `Chosen: stitch #${this.chosen} (not plotted: no ${data.metric} known for it).`;
      return;
    }
    const cx = x.at(latencyOf(chosen));
    const cy = y.at(quality(chosen));
    this.root.append(svg('circle', { class: 'chosen-ring', cx, cy, r: 9, 'data-stitch': chosen.id }));
    const right = cx > W - 80;
    this.root.append(svg('text', { class: 'chosen-label', x: right ? cx - 13 : cx + 13, y: cy - 10, 'text-anchor': right ? 'end' : 'start', text: `#${chosen.id}` }));
    this.caption.textContent = `Chosen: stitch #${chosen.id} (${chosen.kind}, ${this.anchorNames(chosen.anchors)}) — ${formatGflops(chosen.gflops)}, ` +
      `predicted ${formatMs(latencyOf(chosen))} at batch 1` + (chosen.metric === null ? '.' : `, ${data.metric} ${formatPercent(chosen.metric)}.`);
  }

  #axes(x, y, yLabel, yFormat) {
    const root = this.root;
    const axis = svg('g', { class: 'axis' });
    for (const t of x.ticks()) {
      const px = x.at(t);
      axis.append(svg('line', { class: 'grid', x1: px, x2: px, y1: M.top, y2: H - M.bottom }));
      axis.append(svg('text', { x: px, y: H - M.bottom + 14, 'text-anchor': 'middle', text: formatMs(t) }));
    }
    for (const t of y.ticks()) {
      const py = y.at(t);
      axis.append(svg('line', { class: 'grid', x1: M.left, x2: W - M.right, y1: py, y2: py }));
      axis.append(svg('text', { x: M.left - 6, y: py + 4, 'text-anchor': 'end', text: yFormat(t) }));
    }
    axis.append(svg('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }));
    axis.append(svg('line', { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom }));
    axis.append(svg('text', { x: (M.left + W - M.right) / 2, y: H - 6, 'text-anchor': 'middle', text: `predicted latency at batch 1${x.log ? ' (log scale)' : ''}` }));
    axis.append(svg('text', { x: 12, y: (M.top + H - M.bottom) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(M.top + H - M.bottom) / 2})`, text: yLabel }));
    root.append(axis);
  }
}
