import { ServiceError } from '../../src/errors.js';
import type { EngineTensor } from '../../src/engine/engine-types.js';
import type { ImageInput } from '../../src/preprocess/index.js';

/** One input tensor of a KServe v2 inference request (after schema validation). */
export interface RequestTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
  parameters?: Record<string, unknown>;
}

/** What an input tensor stands for. */
export type DecodedInput = { kind: 'image'; image: ImageInput } | { kind: 'pixels'; pixels: Float32Array };

const invalid = (message: string) => new ServiceError('INVALID_TENSOR', message);

/**
 * Largest |value| accepted in a preprocessed FP32 tensor. Normalised pixels are O(1) (even std = 0.01 gives
 * ±100); values near the float32 range only turn the outputs into NaN.
 */
export const MAX_PIXEL_MAGNITUDE = 1e4;

/**
 * Flattens nested tensor data (row-major) without recursion, refusing nesting deeper than the shape and more
 * than `limit` values: request JSON is untrusted and may nest thousands of levels deep.
 */
function flatten(name: string, data: unknown[], shape: readonly number[], limit: number): unknown[] {
  const maxDepth = Math.max(1, shape.length);
  const flat: unknown[] = [];
  const stack: { items: unknown[]; next: number; depth: number }[] = [{ items: data, next: 0, depth: 1 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.items.length) {
      stack.pop();
      continue;
    }
    const value = top.items[top.next++];
    if (Array.isArray(value)) {
      if (top.depth + 1 > maxDepth) throw invalid(`input '${name}': data nests deeper than its ${shape.length}-dimensional shape`);
      stack.push({ items: value, next: 0, depth: top.depth + 1 });
    } else if (flat.length >= limit) {
      throw invalid(`input '${name}' holds more values than its shape [${shape.join(', ')}] allows (${limit})`);
    } else {
      flat.push(value);
    }
  }
  return flat;
}

function elementCount(tensor: RequestTensor): number {
  if (tensor.shape.some((d) => !Number.isInteger(d) || d < 1)) throw invalid(`input '${tensor.name}': every shape dimension must be a positive integer, got [${tensor.shape.join(', ')}]`);
  return tensor.shape.reduce((a, b) => a * b, 1);
}

function uint8Image(tensor: RequestTensor, pixelLimit: number): DecodedInput {
  const shape = tensor.shape.length === 4 && tensor.shape[0] === 1 ? tensor.shape.slice(1) : tensor.shape;
  const [height, width, channels] = shape as [number, number, number];
  if (shape.length !== 3 || ![1, 3, 4].includes(channels)) {
    throw invalid(`UINT8 input '${tensor.name}' must be an HWC image of shape [H, W, C] or [1, H, W, C] with C = 1, 3 or 4; got [${tensor.shape.join(', ')}]`);
  }
  if (height * width > pixelLimit) throw new ServiceError('IMAGE_TOO_LARGE', `The image is ${width}×${height} pixels; the limit is ${pixelLimit}.`);
  const count = elementCount(tensor);
  const flat = flatten(tensor.name, tensor.data, tensor.shape, count);
  if (flat.length !== count) throw invalid(`input '${tensor.name}' of shape [${tensor.shape.join(', ')}] needs ${count} values, got ${flat.length}`);
  const data = Buffer.alloc(count);
  for (let i = 0; i < count; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) throw invalid(`input '${tensor.name}' value #${i} (${JSON.stringify(v)}) is not a UINT8`);
    data[i] = v;
  }
  return { kind: 'image', image: { kind: 'raw', data, width, height, channels: channels as 1 | 3 | 4 } };
}

function bytesImage(tensor: RequestTensor): DecodedInput {
  const flat = flatten(tensor.name, tensor.data, tensor.shape, 2);
  if (elementCount(tensor) !== 1 || flat.length !== 1 || typeof flat[0] !== 'string') {
    throw invalid(`BYTES input '${tensor.name}' must hold exactly one base64-encoded image (shape [1])`);
  }
  const text = flat[0];
  if (!/^[A-Za-z0-9+/=\s_-]*$/.test(text)) throw invalid(`BYTES input '${tensor.name}' is not base64`);
  return { kind: 'image', image: { kind: 'encoded', bytes: Buffer.from(text, 'base64') } };
}

function fp32Pixels(tensor: RequestTensor, input: { height: number; width: number }): DecodedInput {
  const expected = [1, 3, input.height, input.width];
  if (tensor.shape.length !== 4 || tensor.shape.some((d, i) => d !== expected[i])) {
    throw invalid(`FP32 input '${tensor.name}' must be a preprocessed tensor of shape [${expected.join(', ')}] for this task; got [${tensor.shape.join(', ')}]`);
  }
  const count = elementCount(tensor);
  const flat = flatten(tensor.name, tensor.data, tensor.shape, count);
  if (flat.length !== count) throw invalid(`input '${tensor.name}' needs ${count} values, got ${flat.length}`);
  const pixels = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !(Math.abs(v) <= MAX_PIXEL_MAGNITUDE)) {
      throw invalid(`input '${tensor.name}' value #${i} (${String(v)}) is not a preprocessed pixel: finite and within ±${MAX_PIXEL_MAGNITUDE}`);
    }
    pixels[i] = v;
  }
  return { kind: 'pixels', pixels };
}

/**
 * Decodes the one input tensor of a request: UINT8 HWC pixels or a BYTES-encoded (base64) image go through
 * preprocessing; an FP32 [1,3,H,W] tensor is taken as already preprocessed for the task's input size.
 */
export function decodeInput(tensor: RequestTensor, task: { input: { height: number; width: number } }, pixelLimit: number): DecodedInput {
  switch (tensor.datatype) {
    case 'UINT8':
      return uint8Image(tensor, pixelLimit);
    case 'BYTES':
      return bytesImage(tensor);
    case 'FP32':
      return fp32Pixels(tensor, task.input);
    default:
      throw invalid(`input '${tensor.name}' has datatype ${tensor.datatype}; send UINT8 (HWC image), BYTES (base64 image) or FP32 (preprocessed [1,3,H,W])`);
  }
}

/** An output tensor in KServe v2 JSON form (FP32, flat row-major data); ENGINE_FAILED if it holds NaN or ±∞. */
export function responseTensor(name: string, tensor: EngineTensor): { name: string; shape: number[]; datatype: 'FP32'; data: number[] } {
  if (!tensor.data.every(Number.isFinite)) throw new ServiceError('ENGINE_FAILED', `output ${name} holds non-finite values`);
  return { name, shape: tensor.dims, datatype: 'FP32', data: Array.from(tensor.data) };
}
