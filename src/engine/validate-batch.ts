import type { Manifest } from '../bundle/manifest.js';
import { isTaskName } from '../bundle/manifest.js';
import { ServiceError } from '../errors.js';
import type { EngineBatch } from './engine-types.js';

/**
 * Checks a batch at the engine boundary and returns the pixels tensor dims [B, 3, H, W].
 * Throws ServiceError UNSUPPORTED_TASK, UNKNOWN_STITCH or INVALID_TENSOR with a message naming the value.
 */
export function validateBatch(batch: EngineBatch, manifest: Readonly<Manifest>, maxBatch: number): number[] {
  const spec = isTaskName(batch.task) ? manifest.tasks[batch.task] : undefined;
  if (spec === undefined) {
    throw new ServiceError('UNSUPPORTED_TASK', `task "${String(batch.task)}" is not served by bundle ${manifest.name} (tasks: ${Object.keys(manifest.tasks).join(', ')})`);
  }
  if (!manifest.stitches.some((s) => s.id === batch.stitchId)) {
    throw new ServiceError('UNKNOWN_STITCH', `stitch ${String(batch.stitchId)} does not exist in bundle ${manifest.name}`);
  }
  const b = batch.batchSize;
  if (!Number.isInteger(b) || b < 1 || b > maxBatch) {
    throw new ServiceError('INVALID_TENSOR', `batchSize ${String(b)} must be an integer in [1, ${maxBatch}]`);
  }
  if (!(batch.pixels instanceof Float32Array)) {
    throw new ServiceError('INVALID_TENSOR', 'pixels must be a Float32Array');
  }
  const { height, width } = spec.input;
  const expected = b * 3 * height * width;
  if (batch.pixels.length !== expected) {
    throw new ServiceError(
      'INVALID_TENSOR',
      `pixels has ${batch.pixels.length} floats, expected ${expected} = ${b}×3×${height}×${width} for task ${batch.task}`,
    );
  }
  return [b, 3, height, width];
}

/**
 * The buffer to transfer for `pixels`: the array itself when it owns its whole ArrayBuffer, else a copy
 * (a view into a larger or shared buffer must not detach memory the caller still uses).
 */
export function transferablePixels(pixels: Float32Array): Float32Array {
  const ownsBuffer = pixels.buffer instanceof ArrayBuffer && pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength;
  return ownsBuffer ? pixels : pixels.slice();
}
