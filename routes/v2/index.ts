import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Type from 'typebox';
import type { Manifest, TaskName } from '../../src/bundle/manifest.js';
import { ServiceError } from '../../src/errors.js';
import { parseRequestOptions } from '../../src/inference/index.js';
import { clientGone, finishAnswer } from '../v1/task-handler.js';
import { InferRequest, InferResponse, KserveError, ModelMetadata, ModelParams, ModelVersionParams, ServerMetadata } from './schemas.js';
import { decodeInput, responseTensor } from './tensors.js';

/** The only model version served: one bundle is one immutable version. */
const MODEL_VERSION = '1';
const SERVER_VERSION = '0.1.0';

/** Model metadata: the accepted input forms and every task output (batch axis = -1). */
function modelMetadata(name: string, manifest: Readonly<Manifest>) {
  const tasks = Object.entries(manifest.tasks);
  const first = tasks[0]?.[1].input ?? { height: -1, width: -1 };
  return {
    name,
    versions: [MODEL_VERSION],
    platform: 'onnxruntime_onnx',
    inputs: [
      { name: 'image', datatype: 'UINT8', shape: [-1, -1, 3] },
      { name: 'image_bytes', datatype: 'BYTES', shape: [1] },
      { name: 'pixels', datatype: 'FP32', shape: [1, 3, first.height, first.width] },
    ],
    outputs: tasks.flatMap(([, spec]) => spec.outputs.map((output) => ({ name: output, datatype: 'FP32', shape: [-1] }))),
    parameters: { tasks: tasks.map(([task]) => task).join(','), family: manifest.name, stitches: manifest.stitches.length },
  };
}

/**
 * KServe Open Inference Protocol v2 (REST): server and model metadata, model readiness and inference. One model
 * (the family) whose task is chosen per request with `parameters.task`; errors are `{error, code}`.
 */
export default async function kserveRoutes(app: FastifyInstance, options: { modelName?: string | undefined }) {
  const { runtime, inference, config, metrics } = app.services;
  const tags = ['kserve'];
  const errors = { '4xx': KserveError, '5xx': KserveError };
  const modelName = () => options.modelName ?? runtime.parts.manifest.name;
  /** The served model's name, or UNKNOWN_MODEL (404) for any other name or version. */
  const checkModel = (request: FastifyRequest): string => {
    const params = request.params as { name: string; version?: string };
    const name = modelName();
    if (params.name !== name) throw new ServiceError('UNKNOWN_MODEL', `No model '${params.name}' is served here; the model is '${name}'.`);
    if (params.version !== undefined && params.version !== MODEL_VERSION) {
      throw new ServiceError('UNKNOWN_MODEL', `Model '${name}' has no version '${params.version}'; the only version is '${MODEL_VERSION}'.`);
    }
    return name;
  };

  const serverMetadata = async () => ({ name: 'stitchserve', version: SERVER_VERSION, extensions: [] });
  // The OIP document spells the path `/v2/`; clients use both.
  for (const path of ['/v2', '/v2/']) app.get(path, { schema: { tags, summary: 'Server metadata', response: { 200: ServerMetadata, ...errors } } }, serverMetadata);

  const metadata = async (request: FastifyRequest) => modelMetadata(checkModel(request), runtime.parts.manifest);
  app.get('/v2/models/:name', { schema: { tags, summary: 'Model metadata', params: ModelParams, response: { 200: ModelMetadata, ...errors } } }, metadata);
  app.get('/v2/models/:name/versions/:version', { schema: { tags, summary: 'Model metadata', params: ModelVersionParams, response: { 200: ModelMetadata, ...errors } } }, metadata);

  const ready = async (request: FastifyRequest) => {
    checkModel(request);
    if (!runtime.ready) throw new ServiceError(runtime.draining ? 'DRAINING' : 'NOT_READY', undefined, { retryAfterSeconds: 1 });
    return { name: modelName(), ready: true };
  };
  app.get('/v2/models/:name/ready', { schema: { tags, summary: 'Model readiness', params: ModelParams } }, ready);
  app.get('/v2/models/:name/versions/:version/ready', { schema: { tags, summary: 'Model readiness', params: ModelVersionParams } }, ready);

  // Counted in flight since arrival (routes/plugins/arrival-admission.ts).
  const infer = async (request: FastifyRequest, reply: FastifyReply) => {
    const name = checkModel(request);
    const body = request.body as Type.Static<typeof InferRequest>;
    const parameters = body.parameters ?? {};
    const task: TaskName = parameters.task ?? runtime.tasks()[0] ?? 'classify';
    const spec = inference.taskSpec(task);
    const options = parseRequestOptions(
      {
        slaMs: parameters.sla_ms,
        budgetHeader: typeof request.headers['x-latency-budget-ms'] === 'string' ? request.headers['x-latency-budget-ms'] : undefined,
        quality: parameters.quality === undefined ? undefined : String(parameters.quality),
        stitch: parameters.stitch,
        minAccuracy: parameters.min_accuracy,
        maxGflops: parameters.max_gflops,
      },
      config.controller.deadlines[task],
    );
    const wanted = body.outputs?.map((o) => o.name) ?? spec.outputs;
    const unknown = wanted.filter((o) => !spec.outputs.includes(o));
    if (unknown.length > 0) throw new ServiceError('INVALID_TENSOR', `Task ${task} has no output ${unknown.join(', ')}; its outputs are ${spec.outputs.join(', ')}.`);
    const input = decodeInput(body.inputs[0]!, spec, config.limits.pixels);
    const outcome = await inference.infer({ id: request.id, task, arrivalMs: request.arrivalMs, input, options, signal: clientGone(reply) });
    const started = performance.now();
    const outputs = wanted.map((output) => responseTensor(output, outcome.outputs[output]!));
    const postprocessMs = performance.now() - started;
    metrics.postprocessDuration.observe({ task }, postprocessMs / 1000);
    const { timing, deadlineMet } = finishAnswer(request, reply, outcome, postprocessMs, options.budgetMs);
    return {
      model_name: name,
      model_version: MODEL_VERSION,
      id: body.id ?? request.id,
      parameters: {
        task,
        stitch_id: outcome.stitch.id,
        stitch_kind: outcome.stitch.kind,
        gflops: outcome.stitch.gflops,
        batch_size: outcome.batchSize,
        deadline_met: deadlineMet,
        queue_ms: timing.queueMs,
        preprocess_ms: timing.preprocessMs,
        inference_ms: timing.inferenceMs,
        total_ms: timing.totalMs,
      },
      outputs,
    };
  };
  const inferSchema = { tags, summary: 'Inference (one image per request)', body: InferRequest, response: { 200: InferResponse, ...errors } };
  app.post('/v2/models/:name/infer', { config: { inference: true }, schema: { ...inferSchema, params: ModelParams } }, infer);
  app.post('/v2/models/:name/versions/:version/infer', { config: { inference: true }, schema: { ...inferSchema, params: ModelVersionParams } }, infer);
}
