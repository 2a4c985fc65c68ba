// Depth: the answer's downsampled depth map in a colour scale (near = bright), over the image, with a colour bar.
import { depthColour, depthGradientCss } from '../colours.js';
import { el } from '../dom.js';

const metres = (m) => `${m.toFixed(2)} m`;

/**
 * @param {{width: number, height: number, min: number, max: number, mean: number, median: number, downsampled: {width: number, height: number, data: number[][]}}} result
 * @param {{stage: import('../stage.js').Stage, details: HTMLElement}} view
 * @returns {string}
 */
export function renderDepth(result, { stage, details }) {
  stage.adoptSourceSize(result.width, result.height);
  const { width: w, height: h, data } = result.downsampled;
  const map = new ImageData(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = depthColour(data[y][x], result.min, result.max);
      const o = (y * w + x) * 4;
      map.data[o] = r;
      map.data[o + 1] = g;
      map.data[o + 2] = b;
      map.data[o + 3] = 255;
    }
  }
  const offscreen = document.createElement('canvas');
  offscreen.width = w;
  offscreen.height = h;
  /** @type {CanvasRenderingContext2D} */ (offscreen.getContext('2d')).putImageData(map, 0, 0);
  const { ctx, width, height } = stage.overlay('depth');
  ctx.imageSmoothingEnabled = true;
  ctx.globalAlpha = stage.opacity;
  ctx.drawImage(offscreen, 0, 0, width, height);

  const bar = el('div', { class: 'colourbar', role: 'img', 'aria-label': `Colour scale from ${metres(result.min)} (near, bright) to ${metres(result.max)} (far, dark)` });
  bar.style.setProperty('background', depthGradientCss());
  details.replaceChildren(
    el('div', { class: 'depth-legend', 'data-min': result.min, 'data-max': result.max }, [
      bar,
      el('div', { class: 'colourbar-scale' }, [el('span', { text: `near ${metres(result.min)}` }), el('span', { text: `far ${metres(result.max)}` })]),
      el('p', { text: `Mean ${metres(result.mean)}, median ${metres(result.median)} (map ${w}×${h}, image ${result.width}×${result.height}).` }),
    ]),
  );
  return `Depth from ${metres(result.min)} to ${metres(result.max)}.`;
}
