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
  const out = new Uint8Array(photo.data.length);
  for (let i = 0; i < map.labels.length; i++) {
    const label = map.labels[i]!;
    const colour = classColour(label);
    for (let c = 0; c < 3; c++) {
      const base = photo.data[i * 3 + c]!;
      out[i * 3 + c] = label === 0 ? base : Math.round(base * (1 - OVERLAY_ALPHA) + colour[c]! * OVERLAY_ALPHA);
    }
  }
  return rgbPng(out, map.width, map.height);
}
