// The timing breakdown of one answer: a stacked bar of the server's stages against the latency budget.
import { el, formatMs } from './dom.js';

const STAGES = [
  ['preprocessMs', 'preprocess', 'Preprocess (decode, resize)'],
  ['queueMs', 'queue', 'Queue'],
  ['inferenceMs', 'inference', 'Inference (batch)'],
  ['postprocessMs', 'postprocess', 'Postprocess'],
];

/**
 * @param {HTMLElement} container
 * @param {{timing: Record<string, number>, budgetMs: number, deadlineMet: boolean, batchSize: number}} body the answer envelope
 * @param {number} clientMs the browser's round trip (ms)
 */
export function renderTiming(container, body, clientMs) {
  const { timing, budgetMs } = body;
  const scale = Math.max(timing.totalMs, budgetMs, clientMs);
  const bar = el('div', { class: 'timing-bar', role: 'img', 'aria-label': `Server total ${formatMs(timing.totalMs)} against a budget of ${formatMs(budgetMs)}` });
  for (const [key, cls] of STAGES) {
    const seg = el('span', { class: `seg ${cls}` });
    seg.style.setProperty('width', `${(100 * (timing[key] ?? 0)) / scale}%`);
    bar.append(seg);
  }
  const mark = el('span', { class: 'budget-mark', title: `budget ${formatMs(budgetMs)}` });
  mark.style.setProperty('left', `${(100 * budgetMs) / scale}%`);
  bar.append(mark);

  const rows = STAGES.map(([key, cls, label]) => {
    const swatch = el('span', { class: `swatch seg ${cls}`, 'aria-hidden': 'true' });
    return [el('dt', {}, [swatch, label]), el('dd', { 'data-stage': cls, text: formatMs(timing[key] ?? 0) })];
  }).flat();
  const verdict = el('span', { class: body.deadlineMet ? 'met' : 'missed', text: body.deadlineMet ? 'met' : 'missed' });
  const list = el('dl', {}, [
    ...rows,
    el('dt', { text: 'Total on the server' }), el('dd', { 'data-stage': 'total', text: formatMs(timing.totalMs) }),
    el('dt', { text: 'Round trip in the browser' }), el('dd', { text: formatMs(clientMs) }),
    el('dt', { text: 'Budget' }), el('dd', {}, [`${formatMs(budgetMs)} — `, verdict]),
    el('dt', { text: 'Batch size' }), el('dd', { text: String(body.batchSize) }),
  ]);
  container.replaceChildren(bar, list);
}
