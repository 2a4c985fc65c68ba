import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TaskName } from '../../src/bundle/manifest.js';
import { parseRequestOptions, type InferenceOutcome, type TaskAnswer } from '../../src/inference/index.js';
import type { ImageInput } from '../../src/preprocess/index.js';
import { readImageBody } from '../plugins/image-body.js';

/** Query fields shared by the task endpoints, after schema validation. */
export interface OptionsQuery {
  sla_ms?: number;
  quality?: string;
  stitch?: number;
  min_accuracy?: number;
  max_gflops?: number;
}

/** An AbortSignal that fires when the client disconnects before the answer was sent. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  return controller.signal;
}

/** `Server-Timing` header value from stage durations (ms). */
export function serverTiming(timing: Record<string, number>): string {
  return Object.entries(timing)
    .map(([stage, ms]) => `${stage.replace(/Ms$/, '')};dur=${ms.toFixed(2)}`)
    .join(', ');
}

/** Stage timings of a finished request (ms) and whether the whole answer met the budget. */
export interface AnswerTiming {
  timing: InferenceOutcome['timing'] & { postprocessMs: number; totalMs: number };
  deadlineMet: boolean;
}

/** Closes the books on a request: total time since arrival, deadline verdict, the common headers, one log line. */
export function finishAnswer(request: FastifyRequest, reply: FastifyReply, outcome: InferenceOutcome, postprocessMs: number, budgetMs: number): AnswerTiming {
  const totalMs = performance.now() - request.arrivalMs;
  const timing = { ...outcome.timing, postprocessMs, totalMs };
  const deadlineMet = totalMs <= budgetMs;
  request.log.info(
    { task: outcome.task, stitch: outcome.stitch.id, batchSize: outcome.batchSize, deadlineMet, totalMs: Math.round(totalMs * 100) / 100 },
    'inference answered',
  );
  reply.header('x-stitch-id', String(outcome.stitch.id));
  reply.header('x-deadline-met', String(deadlineMet));
  reply.header('x-batch-size', String(outcome.batchSize));
  reply.header('server-timing', serverTiming({ preprocess: timing.preprocessMs, queue: timing.queueMs, inference: timing.inferenceMs, postprocess: postprocessMs, total: totalMs }));
  return { timing, deadlineMet };
}

/** Sends a v1 answer: the JSON envelope, or the image with its headers. */
export function sendAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  outcome: InferenceOutcome,
  answer: TaskAnswer,
  postprocessMs: number,
  budgetMs: number,
): FastifyReply {
  const { timing, deadlineMet } = finishAnswer(request, reply, outcome, postprocessMs, budgetMs);
  if (answer.kind === 'image') {
    for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
    return reply.type(answer.mediaType).send(answer.bytes);
  }
  return reply.type('application/json; charset=utf-8').send({
    requestId: request.id,
    task: outcome.task,
    result: answer.result,
    stitch: outcome.stitch,
    batchSize: outcome.batchSize,
    budgetMs,
    deadlineMet,
    timing,
  });
}

/**
 * The shared path of the four v1 task endpoints (counted in flight from arrival): validate options →
 * read the image → infer (admission, preprocess, queue, engine) → render the task answer → send.
 * `prepare` runs before anything is read (content negotiation) and returns the renderer.
 */
export async function handleTask(
  request: FastifyRequest,
  reply: FastifyReply,
  task: TaskName,
  prepare: () => (outcome: InferenceOutcome) => TaskAnswer | Promise<TaskAnswer>,
): Promise<FastifyReply> {
  // Counted in flight since arrival (routes/plugins/arrival-admission.ts).
  const { services } = request.server;
  const query = request.query as OptionsQuery;
  const budgetHeader = request.headers['x-latency-budget-ms'];
  const options = parseRequestOptions(
    {
      budgetHeader: Array.isArray(budgetHeader) ? budgetHeader[0] : budgetHeader,
      slaMs: query.sla_ms,
      quality: query.quality,
      stitch: query.stitch,
      minAccuracy: query.min_accuracy,
      maxGflops: query.max_gflops,
    },
    services.config.controller.deadlines[task],
  );
  const render = prepare();
  const image: ImageInput = { kind: 'encoded', bytes: await readImageBody(request) };
  const outcome = await services.inference.infer({
    id: request.id,
    task,
    arrivalMs: request.arrivalMs,
    input: { kind: 'image', image },
    options,
    signal: clientGone(reply),
  });
  const started = performance.now();
  const answer = await render(outcome);
  const postprocessMs = performance.now() - started;
  services.metrics.postprocessDuration.observe({ task }, postprocessMs / 1000);
  return sendAnswer(request, reply, outcome, answer, postprocessMs, options.budgetMs);
}
