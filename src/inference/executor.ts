import type { TaskName } from '../bundle/manifest.js';
import type { EngineTensor } from '../engine/engine-types.js';
import { ServiceError } from '../errors.js';
import type { BatchExecutor } from '../scheduler/scheduler.js';

/** What one queued request carries to the executor: its preprocessed input, planar float32 [3, H, W]. */
export interface QueuedPixels {
  pixels: Float32Array;
}

/** One request's share of a batch result: each task output with the batch axis reduced to 1. */
export interface ItemOutputs {
  outputs: Record<string, EngineTensor>;
  /** Engine compute time of the whole batch (ms). */
  computeMs: number;
}

/** The part of the engine the executor needs. */
export interface BatchRunner {
  run(batch: { task: TaskName; stitchId: number; batchSize: number; pixels: Float32Array }): Promise<{
    outputs: Record<string, EngineTensor>;
    computeMs: number;
  }>;
}

/** Splits one output tensor [B, ...] into B tensors [1, ...] (views copied so each answer owns its data). */
function splitBatch(name: string, tensor: EngineTensor, batchSize: number): EngineTensor[] {
  if (tensor.dims[0] !== batchSize) {
    throw new ServiceError('ENGINE_FAILED', `output ${name} has batch dimension ${tensor.dims[0]}, expected ${batchSize}`);
  }
  const itemSize = tensor.data.length / batchSize;
  const dims = [1, ...tensor.dims.slice(1)];
  return Array.from({ length: batchSize }, (_, i) => ({ dims, data: tensor.data.slice(i * itemSize, (i + 1) * itemSize) }));
}

/**
 * The scheduler's executor over the engine: packs the requests' pixels into one [B, 3, H, W] tensor (the
 * buffer is transferred to the worker), runs the batch, and hands each request its slice of every output.
 */
export function engineExecutor(engine: BatchRunner): BatchExecutor<QueuedPixels, ItemOutputs> {
  return async ({ task, stitchId, requests }) => {
    const itemSize = requests[0]!.payload.pixels.length;
    const pixels = new Float32Array(itemSize * requests.length);
    requests.forEach((r, i) => pixels.set(r.payload.pixels, i * itemSize));
    const result = await engine.run({ task, stitchId, batchSize: requests.length, pixels });
    const perOutput = Object.entries(result.outputs).map(([name, tensor]) => [name, splitBatch(name, tensor, requests.length)] as const);
    return requests.map((_, i) => ({
      outputs: Object.fromEntries(perOutput.map(([name, items]) => [name, items[i]!])),
      computeMs: result.computeMs,
    }));
  };
}
