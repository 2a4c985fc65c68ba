import { ServiceError } from '../errors.js';
import {
  classIndexPng,
  decodeCenterNet,
  depthColourPng,
  depthMap,
  depthPng16,
  depthSummary,
  describeSegments,
  DEPTH_PNG_METRES_PER_UNIT,
  labelMap,
  overlayPng,
  topK,
} from '../postprocess/index.js';
import type { PreprocessedImage } from '../preprocess/index.js';
import type { InferenceOutcome } from './service.js';

/** A task answer: a JSON result object, or an image with extra response headers. */
export type TaskAnswer =
  | { kind: 'json'; result: Record<string, unknown> }
  | { kind: 'image'; mediaType: 'image/png'; bytes: Buffer; headers: Record<string, string> };

/** Output formats of the dense tasks (query `format`); JSON is the default. */
export const SEGMENT_FORMATS = ['json', 'png', 'overlay'] as const;
export const DEPTH_FORMATS = ['json', 'png', 'colormap'] as const;
export type SegmentFormat = (typeof SEGMENT_FORMATS)[number];
export type DepthFormat = (typeof DEPTH_FORMATS)[number];

/** The named output of the outcome, or ENGINE_FAILED when the engine did not return it. */
function output(outcome: InferenceOutcome, index: number): { dims: number[]; data: Float32Array } {
  const name = outcome.spec.outputs[index];
  const tensor = name === undefined ? undefined : outcome.outputs[name];
  if (tensor === undefined) throw new ServiceError('ENGINE_FAILED', `the engine returned no output '${name}' for ${outcome.task}`);
  return tensor;
}

function image(outcome: InferenceOutcome): PreprocessedImage {
  if (outcome.preprocessed === undefined) throw new Error(`${outcome.task}: image answers need the preprocessed image`);
  return outcome.preprocessed;
}

/** Top-k classes with softmax probabilities. */
export function classifyAnswer(outcome: InferenceOutcome, options: { topK: number }): TaskAnswer {
  const logits = output(outcome, 0).data;
  return { kind: 'json', result: { predictions: topK(logits, options.topK, outcome.spec.labels) } };
}

/** Segmentation at the input image size as JSON (areas + RLE masks), class-index PNG or overlay PNG. */
export async function segmentAnswer(outcome: InferenceOutcome, options: { format: SegmentFormat }): Promise<TaskAnswer> {
  const logits = output(outcome, 0);
  const { geometry, image: opened } = image(outcome);
  const map = labelMap(logits.data, logits.dims[1]!, geometry);
  if (options.format === 'png') {
    return { kind: 'image', mediaType: 'image/png', bytes: await classIndexPng(map), headers: {} };
  }
  if (options.format === 'overlay') {
    return { kind: 'image', mediaType: 'image/png', bytes: await overlayPng(map, opened), headers: {} };
  }
  return { kind: 'json', result: { width: map.width, height: map.height, classes: describeSegments(map, outcome.spec.labels) } };
}

/** Depth at the input image size as JSON (stats + downsampled array), 16-bit PNG (mm) or colourised PNG. */
export async function depthAnswer(outcome: InferenceOutcome, options: { format: DepthFormat }): Promise<TaskAnswer> {
  const map = depthMap(output(outcome, 0).data, image(outcome).geometry);
  if (options.format === 'png') {
    const headers = { 'x-depth-unit-metres': String(DEPTH_PNG_METRES_PER_UNIT) };
    return { kind: 'image', mediaType: 'image/png', bytes: await depthPng16(map), headers };
  }
  if (options.format === 'colormap') {
    const range = outcome.spec.depthRange ?? [0, 10];
    const headers = { 'x-depth-range-metres': `${range[0]},${range[1]}` };
    return { kind: 'image', mediaType: 'image/png', bytes: await depthColourPng(map, range), headers };
  }
  return { kind: 'json', result: { ...depthSummary(map) } };
}

/** CenterNet boxes in input-image pixel coordinates. */
export function detectAnswer(outcome: InferenceOutcome, options: { scoreThreshold: number; maxDetections: number }): TaskAnswer {
  const heatmap = output(outcome, 0);
  const [, classes, height, width] = heatmap.dims as [number, number, number, number];
  const detections = decodeCenterNet(
    { heatmap: heatmap.data, size: output(outcome, 1).data, offset: output(outcome, 2).data, classes, height, width },
    image(outcome).geometry,
    { ...options, stride: outcome.spec.stride ?? 4, ...(outcome.spec.labels === undefined ? {} : { labels: outcome.spec.labels }) },
  );
  return { kind: 'json', result: { detections } };
}
