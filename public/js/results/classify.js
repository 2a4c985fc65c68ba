// Classification: top-k probability bars, and the top label written on the image.
import { el, formatPercent } from '../dom.js';

/**
 * @param {{predictions: {index: number, label: string, probability: number}[]}} result
 * @param {{stage: import('../stage.js').Stage, details: HTMLElement}} view
 * @returns {string} a one-line summary for the status line
 */
export function renderClassify(result, { stage, details }) {
  const list = el('ol', { class: 'bars', 'aria-label': 'Most likely classes' });
  for (const p of result.predictions) {
    const fill = el('span', { class: 'fill' });
    fill.style.setProperty('width', `${(100 * p.probability).toFixed(1)}%`);
    list.append(
      el('li', { 'data-label': p.label, 'data-probability': p.probability.toFixed(4) }, [
        el('span', { class: 'name', text: p.label }),
        el('span', { class: 'track', 'aria-hidden': 'true' }, [fill]),
        el('span', { class: 'value', text: formatPercent(p.probability) }),
      ]),
    );
  }
  details.replaceChildren(list);
  const top = result.predictions[0];
  if (top === undefined) {
    stage.clearOverlay();
    return 'No prediction.';
  }
  const caption = `${top.label} · ${formatPercent(top.probability, 0)}`;
  const { ctx, width, height } = stage.overlay('label');
  ctx.font = '600 16px system-ui, sans-serif';
  const textWidth = ctx.measureText(caption).width;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.72)';
  ctx.fillRect(0, height - 28, Math.min(width, textWidth + 16), 28);
  ctx.fillStyle = '#fff';
  ctx.fillText(caption, 8, height - 9);
  return `Top class: ${caption}.`;
}
