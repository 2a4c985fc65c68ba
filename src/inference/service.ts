import { performance } from 'node:perf_hooks';
import type { StitchKind, TaskName, TaskSpec } from '../bundle/manifest.js';
import type { EngineTensor } from '../engine/engine-types.js';
import { ServiceError } from '../errors.js';
import type { ServiceMetrics } from '../metrics/index.js';
import type { ImageInput, PreprocessedImage, Preprocessor } from '../preprocess/index.js';
import type { RequestOptions } from './request-options.js';
import type { InferenceRuntime } from './runtime.js';

/** The stitch that answered, as reported to clients. */
export interface StitchSummary {
  id: number;
  kind: StitchKind;
  /** fvcore multiply-adds at the task's input size ÷ 1e9. */
  gflops: number;
  /** The task's primary metric for this stitch (fraction), null when the bundle does not know it. */
  expected: { metric: string; value: number | null };
}

/** Milliseconds spent in each stage of one request. */
export interface StageTiming {
  preprocessMs: number;
  /** From the end of preprocessing to the start of the request's batch. */
  queueMs: number;
  /** Wall time of the batch (worker round trip included). */
  inferenceMs: number;
}

/** What the model produced for one request, before task-specific post-processing. */
export interface InferenceOutcome {
  task: TaskName;
  spec: Readonly<TaskSpec>;
  outputs: Record<string, EngineTensor>;
  /** Absent when the client sent an already preprocessed tensor (KServe FP32 input). */
  preprocessed: PreprocessedImage | undefined;
  stitch: StitchSummary;
  batchSize: number;
  timing: StageTiming;
  /** Absolute deadline on the scheduler clock (ms). */
  deadlineMs: number;
}

/** One request to run: an image (or a preprocessed [3,H,W] tensor), its task and validated options. */
export interface InferenceRequest {
  /** The HTTP request id; unique among live requests. */
  id: string;
  task: TaskName;
  /** Arrival on the scheduler clock (performance.now(), ms). */
  arrivalMs: number;
  input: { kind: 'image'; image: ImageInput } | { kind: 'pixels'; pixels: Float32Array };
  options: RequestOptions;
  /** Aborts when the client disconnects: a queued request is then dropped before compute. */
  signal?: AbortSignal;
}

/**
 * The request path below HTTP, one sentence: check admission → preprocess (timed, fed to the latency model)
 * → submit to the scheduler → the engine's outputs for this request, with the stitch used and stage timings.
 */
export class InferenceService {
  constructor(
    private readonly runtime: InferenceRuntime,
    private readonly preprocessor: Preprocessor,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** The task's spec, or UNSUPPORTED_TASK naming the tasks this family has. */
  taskSpec(task: TaskName): Readonly<TaskSpec> {
    const { manifest } = this.runtime.parts;
    const spec = manifest.tasks[task];
    if (spec === undefined) {
      throw new ServiceError('UNSUPPORTED_TASK', `The loaded family '${manifest.name}' has no ${task} head; it serves ${Object.keys(manifest.tasks).join(', ')}.`);
    }
    return spec;
  }

  /**
   * Admission before the body is read: throws what the scheduler would refuse a request of `task` with
   * `budgetMs` with (DEADLINE_UNMEETABLE, QUEUE_FULL, NOT_READY, DRAINING, UNSUPPORTED_TASK) even at the
   * cheapest stitch and with no constraints. That is the most permissive case, so a request refused here would
   * have been refused after decoding too; hints and constraints are checked again by `infer`.
   */
  precheckArrival(request: { id: string; task: TaskName; arrivalMs: number; budgetMs: number }): void {
    this.taskSpec(request.task);
    const { id, task, arrivalMs, budgetMs } = request;
    this.runtime.parts.scheduler.precheck({ id, task, arrivalMs, deadlineMs: arrivalMs + budgetMs });
  }

  /** Runs one request end to end up to the raw outputs. Throws ServiceError with a registry code. */
  async infer(request: InferenceRequest): Promise<InferenceOutcome> {
    const { task, options } = request;
    const spec = this.taskSpec(task);
    const { scheduler, latency } = this.runtime.parts;
    const controllerRequest = {
      id: request.id,
      task,
      arrivalMs: request.arrivalMs,
      deadlineMs: request.arrivalMs + options.budgetMs,
      ...(options.hint === undefined ? {} : { hint: options.hint }),
      constraints: options.constraints,
    };
    // Refuse before decoding when the request cannot be admitted anyway (load, lifecycle, bad stitch).
    scheduler.precheck(controllerRequest);
    let preprocessed: PreprocessedImage | undefined;
    let pixels: Float32Array;
    if (request.input.kind === 'image') {
      preprocessed = await this.preprocessor.run(request.input.image, spec.preprocess, spec.input);
      latency.observePreprocess(task, preprocessed.ms);
      this.metrics.preprocessDuration.observe({ task }, preprocessed.ms / 1000);
      pixels = preprocessed.pixels;
    } else {
      pixels = request.input.pixels;
    }
    const submittedAt = performance.now();
    const served = await scheduler.submit(controllerRequest, { pixels }, request.signal);
    const batchStartedAt = request.arrivalMs + served.queuedMs;
    const queueMs = Math.max(0, batchStartedAt - submittedAt);
    this.metrics.queueDuration.observe({ task }, queueMs / 1000);
    return {
      task,
      spec,
      outputs: served.result.outputs,
      preprocessed,
      stitch: this.stitchSummary(task, served.stitchId),
      batchSize: served.batchSize,
      timing: { preprocessMs: preprocessed?.ms ?? 0, queueMs, inferenceMs: served.batchMs },
      deadlineMs: controllerRequest.deadlineMs,
    };
  }

  /** Id, kind, GFLOPs and expected metric of a stitch for a task. */
  stitchSummary(task: TaskName, stitchId: number): StitchSummary {
    const { manifest } = this.runtime.parts;
    const stitch = manifest.stitches.find((s) => s.id === stitchId);
    if (stitch === undefined) throw new ServiceError('UNKNOWN_STITCH', `Stitch ${stitchId} does not exist in this family.`);
    const metric = manifest.tasks[task]?.metric.name ?? 'unknown';
    return {
      id: stitch.id,
      kind: stitch.kind,
      gflops: (stitch.flops[task] ?? 0) / 1e9,
      expected: { metric, value: stitch.metrics?.[task]?.[metric] ?? null },
    };
  }
}
