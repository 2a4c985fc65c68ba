import Type from 'typebox';

/** KServe v2 request/response shapes (rest_predict_v2.yaml), as validation schemas. */
const Parameters = Type.Record(Type.String(), Type.Unknown(), { description: 'free-form parameters' });

export const ModelParams = Type.Object({ name: Type.String({ maxLength: 256 }) });
export const ModelVersionParams = Type.Object({ name: Type.String({ maxLength: 256 }), version: Type.String({ maxLength: 64 }) });

/** Request parameters this server understands (others are ignored, as KServe allows). */
export const InferParameters = Type.Object(
  {
    task: Type.Optional(Type.Enum(['classify', 'segment', 'depth', 'detect'], { description: 'task to run; default the first task of the family' })),
    sla_ms: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'latency budget (ms after arrival)' })),
    quality: Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Number({ minimum: 0, maximum: 1 })], { description: 'fast | balanced | accurate | q in [0, 1]' })),
    stitch: Type.Optional(Type.Integer({ minimum: 0 })),
    min_accuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    max_gflops: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: true },
);

export const InferRequest = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 128 })),
  parameters: Type.Optional(InferParameters),
  inputs: Type.Array(
    Type.Object({
      name: Type.String({ maxLength: 128 }),
      shape: Type.Array(Type.Integer(), { maxItems: 8 }),
      datatype: Type.String({ maxLength: 16 }),
      parameters: Type.Optional(Parameters),
      // Elements are checked by the tensor decoder (a schema walk over ~10⁵ numbers would cost more than decoding).
      data: Type.Array(Type.Unknown()),
    }),
    { minItems: 1, maxItems: 1, description: 'exactly one image: UINT8 [H,W,C], BYTES [1] (base64) or FP32 [1,3,H,W] (preprocessed)' },
  ),
  outputs: Type.Optional(Type.Array(Type.Object({ name: Type.String({ maxLength: 128 }), parameters: Type.Optional(Parameters) }), { maxItems: 16 })),
});

const Tensor = Type.Object({ name: Type.String(), datatype: Type.String(), shape: Type.Array(Type.Integer()) });

export const ServerMetadata = Type.Object({ name: Type.String(), version: Type.String(), extensions: Type.Array(Type.String()) });
export const ModelMetadata = Type.Object({
  name: Type.String(),
  versions: Type.Array(Type.String()),
  platform: Type.String(),
  inputs: Type.Array(Tensor),
  outputs: Type.Array(Tensor),
  parameters: Type.Optional(Parameters),
});
export const InferResponse = Type.Object({
  model_name: Type.String(),
  model_version: Type.String(),
  id: Type.String(),
  parameters: Parameters,
  outputs: Type.Array(Type.Object({ name: Type.String(), shape: Type.Array(Type.Integer()), datatype: Type.String(), data: Type.Array(Type.Number()) })),
});
export const KserveError = Type.Object({ error: Type.String(), code: Type.String() });
