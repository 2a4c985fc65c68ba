import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { TaskName } from '../../src/bundle/manifest.js';
import { classifyAnswer, depthAnswer, detectAnswer, segmentAnswer, type InferenceOutcome, type TaskAnswer } from '../../src/inference/index.js';
import { negotiateFormat } from './negotiate.js';
import {
  answerSchema,
  ClassifyQuery,
  ClassifyResult,
  DepthQuery,
  DepthResult,
  DetectQuery,
  DetectResult,
  ErrorSchema,
  RequestOptionsHeaders,
  SegmentQuery,
  SegmentResult,
} from './schemas.js';
import { handleTask } from './task-handler.js';

const PNG = { type: 'string', format: 'binary' } as const;
const errors = { '4xx': ErrorSchema, '5xx': ErrorSchema };

function jsonOnly(result: Type.TSchema) {
  return { 200: answerSchema(result), ...errors };
}

function jsonOrPng(result: Type.TSchema, description: string) {
  return {
    200: { description, content: { 'application/json': { schema: answerSchema(result) }, 'image/png': { schema: PNG } } },
    ...errors,
  };
}

/** One v1 task endpoint: its schemas, and how to turn (query, Accept) into the renderer of its answer. */
interface TaskRoute<Q extends Type.TSchema> {
  task: TaskName;
  summary: string;
  querystring: Q;
  response: object;
  /** Runs before the body is read (negotiation errors come first); returns the answer renderer. */
  prepare(query: Type.Static<Q>, accept: string | undefined): (outcome: InferenceOutcome) => TaskAnswer | Promise<TaskAnswer>;
}

function taskRoute<Q extends Type.TSchema>(app: FastifyInstance, route: TaskRoute<Q>): void {
  const { task, summary, querystring, response, prepare } = route;
  app.post(`/v1/${task}`, {
    config: { task, inference: true },
    schema: { tags: ['tasks'], summary, querystring, headers: RequestOptionsHeaders, response },
    // The querystring was validated (and defaulted) against `querystring` before the handler runs.
    handler: (request, reply) => handleTask(request, reply, task, () => prepare(request.query as Type.Static<Q>, request.headers.accept)),
  });
}

const JSON_ONLY = { json: 'application/json' } as const;

/** POST /v1/classify|segment|depth|detect: one image in (raw body or multipart field `image`), one answer out. */
export default async function taskRoutes(app: FastifyInstance) {
  taskRoute(app, {
    task: 'classify',
    summary: 'Classify an image: top-k labels',
    querystring: ClassifyQuery,
    response: jsonOnly(ClassifyResult),
    prepare: (query, accept) => {
      negotiateFormat(JSON_ONLY, undefined, accept);
      return (outcome) => classifyAnswer(outcome, { topK: query.top_k });
    },
  });
  taskRoute(app, {
    task: 'segment',
    summary: 'Semantic segmentation at the input image size',
    querystring: SegmentQuery,
    response: jsonOrPng(SegmentResult, 'JSON (per-class areas + RLE masks), or PNG: class indices (format=png) or colourised overlay (format=overlay)'),
    prepare: (query, accept) => {
      const format = negotiateFormat({ json: 'application/json', png: 'image/png', overlay: 'image/png' }, query.format, accept);
      return (outcome) => segmentAnswer(outcome, { format });
    },
  });
  taskRoute(app, {
    task: 'depth',
    summary: 'Monocular depth at the input image size',
    querystring: DepthQuery,
    response: jsonOrPng(DepthResult, 'JSON (stats + downsampled array, metres), or PNG: 16-bit millimetres (format=png) or colourised (format=colormap)'),
    prepare: (query, accept) => {
      const format = negotiateFormat({ json: 'application/json', png: 'image/png', colormap: 'image/png' }, query.format, accept);
      return (outcome) => depthAnswer(outcome, { format });
    },
  });
  taskRoute(app, {
    task: 'detect',
    summary: 'Object detection: boxes in input-image pixels',
    querystring: DetectQuery,
    response: jsonOnly(DetectResult),
    prepare: (query, accept) => {
      negotiateFormat(JSON_ONLY, undefined, accept);
      return (outcome) => detectAnswer(outcome, { scoreThreshold: query.score_threshold, maxDetections: query.max_detections });
    },
  });
}
