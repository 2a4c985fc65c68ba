// Detection: boxes with labels and scores drawn on the image, and the same list as text.
import { classColour, css, textOn } from '../colours.js';
import { el } from '../dom.js';

/** Smallest drawn box side (CSS px), so degenerate boxes stay visible. */
const MIN_SIDE = 6;

/**
 * @param {{detections: {index: number, label: string, score: number, box: {xMin: number, yMin: number, xMax: number, yMax: number}}[]}} result
 * @param {{stage: import('../stage.js').Stage, details: HTMLElement}} view
 * @returns {string}
 */
export function renderDetect(result, { stage, details }) {
  const { ctx, scaleX, scaleY } = stage.overlay('boxes');
  ctx.lineWidth = 2;
  ctx.font = '600 12px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  // Low scores first, so the most confident boxes end up on top.
  for (const d of [...result.detections].reverse()) {
    const rgb = classColour(d.index + 1);
    const colour = css(rgb);
    let x = d.box.xMin * scaleX;
    let y = d.box.yMin * scaleY;
    let w = (d.box.xMax - d.box.xMin) * scaleX;
    let h = (d.box.yMax - d.box.yMin) * scaleY;
    if (w < MIN_SIDE) [x, w] = [x + w / 2 - MIN_SIDE / 2, MIN_SIDE];
    if (h < MIN_SIDE) [y, h] = [y + h / 2 - MIN_SIDE / 2, MIN_SIDE];
    ctx.strokeStyle = colour;
    ctx.strokeRect(x, y, w, h);
    const text = `${d.label} ${d.score.toFixed(2)}`;
    const tw = ctx.measureText(text).width + 6;
    const ty = y >= 16 ? y - 16 : y + h;
    ctx.fillStyle = colour;
    ctx.fillRect(x - 1, ty, tw, 16);
    ctx.fillStyle = textOn(rgb);
    ctx.fillText(text, x + 2, ty + 2);
  }

  if (result.detections.length === 0) {
    details.replaceChildren(el('p', { class: 'muted', text: 'No object above the score threshold.' }));
    return 'No object found.';
  }
  const list = el('ol', { class: 'detections', 'aria-label': 'Detected objects' });
  for (const d of result.detections) {
    const { xMin, yMin, xMax, yMax } = d.box;
    const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.setProperty('background', css(classColour(d.index + 1)));
    swatch.style.setProperty('display', 'inline-block');
    list.append(el('li', { 'data-label': d.label, 'data-score': d.score.toFixed(3) }, [
      swatch,
      ` ${d.label}, score ${d.score.toFixed(2)}, box (${Math.round(xMin)}, ${Math.round(yMin)})–(${Math.round(xMax)}, ${Math.round(yMax)})`,
    ]));
  }
  details.replaceChildren(list);
  return `${result.detections.length} object${result.detections.length > 1 ? 's' : ''} found.`;
}
