import { performance } from 'node:perf_hooks';
import type { OutputInfo, Sharp } from 'sharp';
import type { PreprocessSpec } from '../bundle/manifest.js';
import { fitGeometry, type Geometry } from './geometry.js';
import { imageErrorFromSharp, openImage, type ImageInput, type OpenedImage } from './image-source.js';
import { toPlanarTensor } from './tensor.js';

/** What the preprocessing of one image produced. */
export interface PreprocessedImage {
  /** Planar RGB float32 [3, H, W] at the task's input size, normalised per the bundle's spec. */
  pixels: Float32Array;
  /** The image as displayed (EXIF orientation applied), in pixels: outputs are mapped back to this size. */
  original: { width: number; height: number };
  /** Where source pixels landed in the model input; used to map outputs back to `original`. */
  geometry: Geometry;
  /** The opened image, kept for outputs drawn over the input (segmentation overlays). */
  image: OpenedImage;
  /** Wall time of header check + decode + resize + normalise (ms). */
  ms: number;
}

/** Padding / alpha background: black, matching the zero background of the bundled Fashion-MNIST family. */
const BACKGROUND = { r: 0, g: 0, b: 0, alpha: 1 } as const;

/** Builds the sharp resize/colour pipeline for one task's preprocessing spec (pure data → pipeline). */
function taskPipeline(base: Sharp, spec: PreprocessSpec, size: { height: number; width: number }): Sharp {
  let pipeline = base
    .flatten({ background: BACKGROUND })
    .resize(size.width, size.height, { fit: spec.fit, kernel: spec.kernel, position: 'centre', background: BACKGROUND });
  if (spec.grayscale) pipeline = pipeline.grayscale();
  else pipeline = pipeline.toColourspace('srgb');
  if (spec.invert) pipeline = pipeline.negate({ alpha: false });
  return pipeline.raw({ depth: 'uchar' });
}

/**
 * Turns client images into model input tensors with sharp, driven by the bundle's per-task preprocessing spec
 * (data shipped with the model, not code). Enforces the pixel limit from the header before decoding.
 */
export class Preprocessor {
  readonly #pixelLimit: number;

  /** @param pixelLimit largest accepted width × height (pixels). */
  constructor(pixelLimit: number) {
    this.#pixelLimit = pixelLimit;
  }

  /** Checks the image header without decoding; see {@link openImage}. */
  open(input: ImageInput): Promise<OpenedImage> {
    return openImage(input, this.#pixelLimit);
  }

  /**
   * Decodes, orients, resizes and normalises one image for a task whose graph input is [B,3,height,width].
   * Throws ServiceError (4xx) for anything wrong with the image; never a raw sharp error.
   */
  async run(input: ImageInput | OpenedImage, spec: PreprocessSpec, size: { height: number; width: number }): Promise<PreprocessedImage> {
    const started = performance.now();
    const image = 'pipeline' in input ? input : await this.open(input);
    let raw: { data: Buffer; info: OutputInfo };
    try {
      raw = await taskPipeline(image.pipeline.clone(), spec, size).toBuffer({ resolveWithObject: true });
    } catch (err) {
      throw imageErrorFromSharp(err, this.#pixelLimit);
    }
    const channels = raw.info.channels === 1 ? 1 : 3;
    if (raw.info.channels !== channels) throw new Error(`unexpected ${raw.info.channels}-channel output from the resize pipeline`);
    const pixels = toPlanarTensor(raw.data, channels, spec, new Float32Array(3 * size.height * size.width));
    const original = { width: image.width, height: image.height };
    const geometry = fitGeometry(spec.fit, original, size);
    return { pixels, original, geometry, image, ms: performance.now() - started };
  }
}
