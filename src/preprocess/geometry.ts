import type { PreprocessSpec } from '../bundle/manifest.js';

/** A width × height in pixels. */
export interface Size {
  width: number;
  height: number;
}

/**
 * How the displayed input image maps onto the model input after the resize: a point (x, y) of the source image
 * (continuous pixel coordinates, 0 = left/top edge) lands at (x·scaleX + offsetX, y·scaleY + offsetY) of the
 * model input. Offsets are positive for letterbox padding (`contain`) and negative for a centre crop (`cover`).
 */
export interface Geometry {
  source: Size;
  target: Size;
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
}

/** The geometry sharp's resize produces for `fit` (rounded inner size, centred, as libvips places it). */
export function fitGeometry(fit: PreprocessSpec['fit'], source: Size, target: Size): Geometry {
  if (fit === 'fill') {
    return { source, target, scaleX: target.width / source.width, scaleY: target.height / source.height, offsetX: 0, offsetY: 0 };
  }
  const pick = fit === 'contain' ? Math.min : Math.max;
  const scale = pick(target.width / source.width, target.height / source.height);
  const innerWidth = Math.max(1, Math.round(source.width * scale));
  const innerHeight = Math.max(1, Math.round(source.height * scale));
  // contain centres the image inside padding; cover centres the crop window inside the image.
  const sign = fit === 'contain' ? 1 : -1;
  return {
    source,
    target,
    scaleX: innerWidth / source.width,
    scaleY: innerHeight / source.height,
    offsetX: sign * Math.floor(Math.abs(target.width - innerWidth) / 2),
    offsetY: sign * Math.floor(Math.abs(target.height - innerHeight) / 2),
  };
}

/** Maps a model-input point (continuous pixel coordinates) back to the source image. */
export function toSource(geometry: Geometry, u: number, v: number): [x: number, y: number] {
  return [(u - geometry.offsetX) / geometry.scaleX, (v - geometry.offsetY) / geometry.scaleY];
}
