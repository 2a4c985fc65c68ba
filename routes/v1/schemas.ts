import Type from 'typebox';
import { DEPTH_FORMATS, SEGMENT_FORMATS } from '../../src/inference/index.js';

/** Query parameters shared by every task endpoint (validated here; ranges that depend on config in the handler). */
export const RequestOptionsQuery = {
  sla_ms: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'latency budget in ms after arrival (the X-Latency-Budget-Ms header wins)' })),
  quality: Type.Optional(Type.String({ maxLength: 32, description: 'fast | balanced | accurate | a number in [0, 1]: the best stitch the controller may pick' })),
  stitch: Type.Optional(Type.Integer({ minimum: 0, description: 'run exactly this stitch id' })),
  min_accuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "only stitches whose task metric is at least this fraction" })),
  max_gflops: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'only stitches with at most this many GFLOPs' })),
};

export const RequestOptionsHeaders = Type.Object(
  { 'x-latency-budget-ms': Type.Optional(Type.String({ maxLength: 32, description: 'latency budget in ms after arrival' })) },
  { additionalProperties: true },
);

const Query = <P extends Record<string, Type.TSchema>>(extra: P) => Type.Object({ ...RequestOptionsQuery, ...extra }, { additionalProperties: false });

export const ClassifyQuery = Query({ top_k: Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'number of classes returned' }) });
export const SegmentQuery = Query({ format: Type.Optional(Type.Enum([...SEGMENT_FORMATS], { description: 'json (areas + RLE masks), png (class indices) or overlay (colourised); default from Accept, else json' })) });
export const DepthQuery = Query({ format: Type.Optional(Type.Enum([...DEPTH_FORMATS], { description: 'json (stats + downsampled array), png (16-bit, millimetres) or colormap; default from Accept, else json' })) });
export const DetectQuery = Query({
  score_threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.3, description: 'smallest heatmap score reported' }),
  max_detections: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'most boxes returned' }),
});

export const StitchSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  gflops: Type.Number({ description: 'fvcore multiply-adds ÷ 1e9 at the task input size' }),
  expected: Type.Object({ metric: Type.String(), value: Type.Union([Type.Number(), Type.Null()], { description: 'fraction; null when unknown' }) }),
});

export const TimingSchema = Type.Object({
  preprocessMs: Type.Number(),
  queueMs: Type.Number(),
  inferenceMs: Type.Number(),
  postprocessMs: Type.Number(),
  totalMs: Type.Number(),
});

/** The envelope of every JSON task answer; `result` is task-specific. */
export const answerSchema = (result: Type.TSchema) =>
  Type.Object({
    requestId: Type.String(),
    task: Type.String(),
    result,
    stitch: StitchSchema,
    batchSize: Type.Integer({ minimum: 1 }),
    budgetMs: Type.Number(),
    deadlineMet: Type.Boolean({ description: 'the whole answer was ready within the budget' }),
    timing: TimingSchema,
  });

const Box = Type.Object({ xMin: Type.Number(), yMin: Type.Number(), xMax: Type.Number(), yMax: Type.Number() });
const Rle = Type.Object({ size: Type.Array(Type.Integer(), { description: '[height, width]' }), counts: Type.Array(Type.Integer()) });

export const ClassifyResult = Type.Object({
  predictions: Type.Array(Type.Object({ index: Type.Integer(), label: Type.String(), probability: Type.Number() })),
});
export const SegmentResult = Type.Object({
  width: Type.Integer(),
  height: Type.Integer(),
  classes: Type.Array(
    Type.Object({ index: Type.Integer(), label: Type.String(), area: Type.Integer(), fraction: Type.Number(), mask: Rle }),
  ),
});
export const DepthResult = Type.Object({
  unit: Type.Literal('m'),
  width: Type.Integer(),
  height: Type.Integer(),
  min: Type.Number(),
  max: Type.Number(),
  mean: Type.Number(),
  median: Type.Number(),
  downsampled: Type.Object({ width: Type.Integer(), height: Type.Integer(), data: Type.Array(Type.Array(Type.Number())) }),
});
export const DetectResult = Type.Object({
  detections: Type.Array(Type.Object({ index: Type.Integer(), label: Type.String(), score: Type.Number(), box: Box })),
});

export const ErrorSchema = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });
