// A small labelled time-series card (SVG polyline) for the live panel.
import { el, svg } from './dom.js';

const W = 200;
const H = 44;

export class Sparkline {
  /**
   * @param {HTMLElement} parent
   * @param {string} metric machine name (data-metric)
   * @param {string} label what is plotted
   * @param {(v: number | undefined) => string} format value → text
   */
  constructor(parent, metric, label, format) {
    this.format = format;
    this.now = el('span', { class: 'now', text: '—' });
    this.plot = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', 'aria-hidden': 'true' });
    this.card = el('div', { class: 'spark', 'data-metric': metric, 'data-samples': 0 }, [
      el('div', { class: 'head' }, [el('span', { text: label }), this.now]),
      this.plot,
    ]);
    parent.append(this.card);
  }

  /**
   * Redraws from samples over the time window ending at `endMs`.
   * @param {{atMs: number, value: number | undefined}[]} samples oldest first
   * @param {number} windowMs
   * @param {number} [floorMax] the y range is at least [0, floorMax]
   */
  update(samples, windowMs, floorMax = 1) {
    const defined = samples.filter((s) => s.value !== undefined);
    const last = samples[samples.length - 1];
    this.now.textContent = this.format(last?.value);
    this.card.dataset.samples = String(defined.length);
    this.card.dataset.max = String(Math.max(0, ...defined.map((s) => /** @type {number} */ (s.value))));
    if (last !== undefined) this.card.dataset.now = String(last.value ?? '');
    this.plot.replaceChildren();
    if (defined.length < 2) return;
    const endMs = last.atMs;
    const top = Math.max(floorMax, ...defined.map((s) => /** @type {number} */ (s.value)));
    const points = defined
      .filter((s) => s.atMs >= endMs - windowMs)
      .map((s) => `${(W * (1 - (endMs - s.atMs) / windowMs)).toFixed(1)},${(H - 2 - ((H - 4) * /** @type {number} */ (s.value)) / top).toFixed(1)}`);
    this.plot.append(svg('polyline', { points: points.join(' ') }));
  }
}
