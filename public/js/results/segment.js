// Segmentation: the class map decoded from the answer's RLE masks, painted over the image, with a legend.
import { classColour, css } from '../colours.js';
import { el, formatPercent } from '../dom.js';

/**
 * Paints the pixels of one COCO-style uncompressed RLE mask (column-major runs, starting with 0s).
 * @param {Uint8ClampedArray} rgba image data, row-major, `width * height * 4`
 * @param {{size: [number, number], counts: number[]}} mask
 * @param {number[]} rgb
 */
export function paintRle(rgba, mask, rgb) {
  const [height, width] = mask.size;
  let position = 0;
  mask.counts.forEach((run, i) => {
    if (i % 2 === 1) {
      for (let k = position; k < position + run; k++) {
        const x = Math.floor(k / height);
        const y = k % height;
        const o = (y * width + x) * 4;
        rgba[o] = rgb[0];
        rgba[o + 1] = rgb[1];
        rgba[o + 2] = rgb[2];
        rgba[o + 3] = 255;
      }
    }
    position += run;
  });
}

/**
 * @param {{width: number, height: number, classes: {index: number, label: string, area: number, fraction: number, mask: {size: [number, number], counts: number[]}}[]}} result
 * @param {{stage: import('../stage.js').Stage, details: HTMLElement}} view
 * @returns {string}
 */
export function renderSegment(result, { stage, details }) {
  stage.adoptSourceSize(result.width, result.height);
  const map = new ImageData(result.width, result.height);
  for (const c of result.classes) if (c.index !== 0) paintRle(map.data, c.mask, classColour(c.index));
  const offscreen = document.createElement('canvas');
  offscreen.width = result.width;
  offscreen.height = result.height;
  /** @type {CanvasRenderingContext2D} */ (offscreen.getContext('2d')).putImageData(map, 0, 0);
  const { ctx, width, height } = stage.overlay('segment');
  ctx.imageSmoothingEnabled = false;
  ctx.globalAlpha = stage.opacity;
  ctx.drawImage(offscreen, 0, 0, width, height);

  const legend = el('ul', { class: 'legend', 'aria-label': 'Classes found' });
  for (const c of result.classes) {
    const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    if (c.index !== 0) swatch.style.setProperty('background', css(classColour(c.index)));
    const note = c.index === 0 ? ' (not painted)' : '';
    legend.append(el('li', { 'data-class': c.index }, [swatch, `${c.label}${note}: ${formatPercent(c.fraction)}`]));
  }
  details.replaceChildren(legend);
  const objects = result.classes.filter((c) => c.index !== 0);
  return objects.length === 0 ? 'Only background found.' : `${objects.length} class${objects.length > 1 ? 'es' : ''} found: ${objects.map((c) => c.label).join(', ')}.`;
}
