import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { classifyAnswer, depthAnswer, detectAnswer, segmentAnswer } from '../../src/inference/index.js';
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

/** POST /v1/classify|segment|depth|detect: one image in (raw body or multipart field `image`), one answer out. */
export default async function taskRoutes(app: FastifyInstance) {
  const tags = ['tasks'];
  // Querystrings were validated (and defaulted) against these schemas before the handler runs.
  const query = <S extends Type.TSchema>(request: FastifyRequest, _schema: S) => request.query as Type.Static<S>;

  app.post('/v1/classify', {
    config: { task: 'classify' },
    schema: { tags, summary: 'Classify an image: top-k labels', querystring: ClassifyQuery, headers: RequestOptionsHeaders, response: jsonOnly(ClassifyResult) },
    handler: (request, reply) =>
      handleTask(request, reply, 'classify', () => {
        negotiateFormat({ json: 'application/json' }, undefined, request.headers.accept);
        return (outcome) => classifyAnswer(outcome, { topK: query(request, ClassifyQuery).top_k });
      }),
  });

  app.post('/v1/segment', {
    config: { task: 'segment' },
    schema: {
      tags,
      summary: 'Semantic segmentation at the input image size',
      querystring: SegmentQuery,
      headers: RequestOptionsHeaders,
      response: jsonOrPng(SegmentResult, 'JSON (per-class areas + RLE masks), or PNG: class indices (format=png) or colourised overlay (format=overlay)'),
    },
    handler: (request, reply) =>
      handleTask(request, reply, 'segment', () => {
        const format = negotiateFormat({ json: 'application/json', png: 'image/png', overlay: 'image/png' }, query(request, SegmentQuery).format, request.headers.accept);
        return (outcome) => segmentAnswer(outcome, { format });
      }),
  });

  app.post('/v1/depth', {
    config: { task: 'depth' },
    schema: {
      tags,
      summary: 'Monocular depth at the input image size',
      querystring: DepthQuery,
      headers: RequestOptionsHeaders,
      response: jsonOrPng(DepthResult, 'JSON (stats + downsampled array, metres), or PNG: 16-bit millimetres (format=png) or colourised (format=colormap)'),
    },
    handler: (request, reply) =>
      handleTask(request, reply, 'depth', () => {
        const format = negotiateFormat({ json: 'application/json', png: 'image/png', colormap: 'image/png' }, query(request, DepthQuery).format, request.headers.accept);
        return (outcome) => depthAnswer(outcome, { format });
      }),
  });

  app.post('/v1/detect', {
    config: { task: 'detect' },
    schema: { tags, summary: 'Object detection: boxes in input-image pixels', querystring: DetectQuery, headers: RequestOptionsHeaders, response: jsonOnly(DetectResult) },
    handler: (request, reply) =>
      handleTask(request, reply, 'detect', () => {
        negotiateFormat({ json: 'application/json' }, undefined, request.headers.accept);
        const { score_threshold: scoreThreshold, max_detections: maxDetections } = query(request, DetectQuery);
        return (outcome) => detectAnswer(outcome, { scoreThreshold, maxDetections });
      }),
  });
}
