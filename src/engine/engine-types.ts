import type { Manifest, StitchSpec, TaskName, TaskSpec } from '../bundle/manifest.js';
import type { DeviceSetting } from './session-options.js';
import type { EngineLogger } from './worker-host.js';

/** One batch to run. `pixels` is float32 [batchSize, 3, H, W] of the task's input size; its buffer is transferred. */
export interface EngineBatch {
  task: TaskName;
  stitchId: number;
  batchSize: number;
  pixels: Float32Array;
}

export interface EngineTensor {
  dims: number[];
  data: Float32Array;
}

export interface EngineResult {
  /** The task's outputs (tasks[task].outputs), keyed by graph output name. */
  outputs: Record<string, EngineTensor>;
  /** Time spent in the worker's session.run for this batch, ms. */
  computeMs: number;
  /**
   * CPU time of the process during that session.run (all ORT threads; other threads' work included), ms.
   * Always set by the engine; optional so that test doubles may omit it.
   */
  cpuMs?: number;
}

/** Engine configuration; every field but `bundleDir` has a default (see resolveEngineOptions). */
export interface EngineOptions {
  bundleDir: string;
  /** Bundles must live under this directory (symlinks resolved). Default: the bundle's parent directory. */
  modelRoot?: string;
  /** Manifest JSON Schema; default models/bundle.schema.json of this repository. */
  schemaPath?: string;
  device?: DeviceSetting;
  cudaDeviceId?: number;
  /** ORT intra-op threads; default 2. */
  threads?: number;
  /** ORT CPU memory arena; default true (measured, see docs/engine.md). */
  memArena?: boolean;
  /** ORT memory pattern; default true (measured, see docs/engine.md). */
  memPattern?: boolean;
  /** MatMul weight prepacking; default true (measured, see docs/engine.md). */
  prepacking?: boolean;
  /** Largest batch run() accepts; default 8. */
  maxBatch?: number;
  /** Batch sizes to warm up and profile; default powers of two below maxBatch, plus maxBatch. */
  batchSizes?: number[];
  /** Stitch ids the server may pick (profiled); default every stitch. run() accepts any stitch of the bundle. */
  servedStitches?: number[];
  warmup?: {
    /** When false nothing is run before ready and the profile comes only from the cache. Default true. */
    enabled?: boolean;
    /** Timed runs per shape, after one untimed run; the median is kept. Default 2. */
    runs?: number;
    /** Never measure more shapes than this. Default 512. */
    maxShapes?: number;
    /** FLOPs-spread sample size per task for the subset. Default 6. */
    sampleStitches?: number;
    /**
     * Estimated wall-clock budget for measuring, ms. Every shape is measured when that fits; otherwise a
     * representative subset that fits (cheapest and dearest stitch at least). Default 60000.
     */
    budgetMs?: number;
  };
  /** Directory of the profile cache; null disables it. Default ".profile-cache". */
  profileCacheDir?: string | null;
  restart?: {
    /** First restart delay, doubled after each failed attempt up to maxDelayMs. Default 200. */
    initialDelayMs?: number;
    maxDelayMs?: number;
    /** A worker that lived this long resets the backoff. Default 60000. */
    stableAfterMs?: number;
  };
  logger?: EngineLogger;
}

/** Read-only description of what the engine serves. */
export interface EngineMetadata {
  manifest: Readonly<Manifest>;
  tasks: readonly { name: TaskName; spec: Readonly<TaskSpec> }[];
  /** Every stitch of the bundle, in manifest order. */
  stitches: readonly Readonly<StitchSpec>[];
  servedStitchIds: readonly number[];
  batchSizes: readonly number[];
  maxBatch: number;
  device: 'cpu' | 'cuda';
  ortVersion: string;
}

export interface EngineHealth {
  /** Loaded, warmed and serving. */
  ready: boolean;
  /** start() succeeded and close() was not called (the worker may be restarting). */
  live: boolean;
  /** Worker deaths that triggered a restart since start(). */
  restarts: number;
  inFlight: number;
  /** Last worker failure, if any. */
  lastError: string | null;
}

/** Events: 'ready' (serving), 'down' (worker died; error), 'restarted' (serving again after a death; restarts). */
export interface EngineEvents {
  ready: [];
  down: [error: Error];
  restarted: [restarts: number];
}
