import type { OpenedImage } from '../preprocess/image-source.js';
import { classColour } from './colour.js';
import { grayPng16, grayPng8, rgbPng } from './png.js';
import type { LabelMap } from './segment.js';

/** Weight of the class colour over the photo in overlays; background (class 0) pixels keep the photo. */
const OVERLAY_ALPHA = 0.5;

/** Class-index PNG at the source size: 8-bit when every index fits (< 256 classes), else 16-bit. */
export function classIndexPng(map: LabelMap): Promise<Buffer> {
  if (map.classes <= 256) return grayPng8(Uint8Array.from(map.labels), map.width, map.height);
  return grayPng16(map.labels, map.width, map.height);
}

/** The input image (as displayed) with each non-background class blended in its palette colour, as PNG. */
export async function overlayPng(map: LabelMap, image: OpenedImage): Promise<Buffer> {
  const photo = await image.pipeline
    .clone()
    .flatten({ background: { r: 0, g: 0, b: 0 } })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (photo.info.width !== map.width || photo.info.height !== map.height || photo.info.channels !== 3) {
    throw new Error(`overlay: photo is ${photo.info.width}×${photo.info.height}×${photo.info.channels}, mask ${map.width}×${map.height}`);
  }
  return rgbPng(blendClasses(photo.data, map.labels, map.classes), map.width, map.height);
}

/**
 * The photo (RGB, 3 bytes per pixel) with every non-background pixel blended OVERLAY_ALPHA towards its class
 * colour; background (class 0) pixels keep the photo. One palette lookup per pixel instead of a colour computed
 * (and allocated) per pixel: this runs on the main thread for every overlay answer (3.9 ms per 224×224 answer
 * before; `npm run bench:postprocess`).
 */
export function blendClasses(photo: Uint8Array, labels: Uint16Array, classes: number): Uint8Array {
  const palette = new Uint8Array(classes * 3);
  for (let label = 0; label < classes; label++) palette.set(classColour(label), label * 3);
  const out = new Uint8Array(photo);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label === 0) continue;
    const p = i * 3;
    const q = label * 3;
    out[p] = Math.round(out[p]! * (1 - OVERLAY_ALPHA) + palette[q]! * OVERLAY_ALPHA);
    out[p + 1] = Math.round(out[p + 1]! * (1 - OVERLAY_ALPHA) + palette[q + 1]! * OVERLAY_ALPHA);
    out[p + 2] = Math.round(out[p + 2]! * (1 - OVERLAY_ALPHA) + palette[q + 2]! * OVERLAY_ALPHA);
  }
  return out;
}
