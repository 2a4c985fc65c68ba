import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { TASK_NAMES, type TaskName } from '../../src/bundle/manifest.js';
import { ErrorSchema } from './schemas.js';

const StitchesQuery = Type.Object(
  {
    task: Type.Enum([...TASK_NAMES], { description: 'the task whose stitches are listed' }),
    scope: Type.Enum(['frontier', 'all'], { default: 'frontier', description: 'the Pareto frontier (default) or every stitch' }),
  },
  { additionalProperties: false },
);

const StitchRow = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  anchors: Type.Array(Type.Integer()),
  params: Type.Integer(),
  gflops: Type.Number(),
  metric: Type.Union([Type.Number(), Type.Null()], { description: "the task's primary metric (fraction), null when unknown" }),
  onFrontier: Type.Boolean(),
  predictedMs: Type.Record(Type.String(), Type.Number(), { description: 'batch size → predicted batch latency (ms), from the warm-up profile and online corrections' }),
});

/** GET /v1/models (the family) and GET /v1/stitches?task= (frontier with FLOPs, metric and predicted latency). */
export default async function catalogRoutes(app: FastifyInstance) {
  const { runtime } = app.services;
  const tags = ['models'];

  app.get('/v1/models', { schema: { tags, summary: 'The served family: anchors, tasks, labels, stitch count', response: { '5xx': ErrorSchema } } }, async () => {
    const { manifest } = runtime.parts;
    const tasks = Object.fromEntries(
      Object.entries(manifest.tasks).map(([task, spec]) => [
        task,
        {
          input: spec.input,
          metric: spec.metric,
          labels: spec.labels ?? [],
          outputs: spec.outputs,
          stitches: manifest.stitches.filter((s) => s.flops[task as TaskName] !== undefined).length,
          ...(spec.depthRange === undefined ? {} : { depthRange: spec.depthRange }),
          ...(spec.stride === undefined ? {} : { stride: spec.stride }),
        },
      ]),
    );
    const { device, batchSizes, maxBatch } = runtime.engine.metadata;
    return {
      name: manifest.name,
      description: manifest.description ?? '',
      space: manifest.space,
      anchors: manifest.anchors,
      tasks,
      stitchCount: manifest.stitches.length,
      engine: { device, maxBatch, batchSizes },
      ready: runtime.ready,
    };
  });

  app.get(
    '/v1/stitches',
    { schema: { tags, summary: 'Stitches of a task with FLOPs, metric and predicted latency per batch size', querystring: StitchesQuery, response: { 200: Type.Object({ task: Type.String(), metric: Type.String(), stitches: Type.Array(StitchRow) }), '4xx': ErrorSchema } } },
    async (request: FastifyRequest) => {
      const { task, scope } = request.query as Type.Static<typeof StitchesQuery>;
      const { manifest, frontier, latency } = runtime.parts;
      const spec = app.services.inference.taskSpec(task);
      const frontierIds = new Set(frontier.frontier(task).map((p) => p.id));
      const { batchSizes } = runtime.engine.metadata;
      const stitches = manifest.stitches
        .filter((s) => s.flops[task] !== undefined && (scope === 'all' || frontierIds.has(s.id)))
        .map((s) => ({
          id: s.id,
          kind: s.kind,
          anchors: s.anchors,
          params: s.params,
          gflops: s.flops[task]! / 1e9,
          metric: s.metrics?.[task]?.[spec.metric.name] ?? null,
          onFrontier: frontierIds.has(s.id),
          predictedMs: Object.fromEntries(batchSizes.map((b) => [String(b), latency.predict(task, s.id, b)])),
        }))
        .sort((a, b) => a.gflops - b.gflops || a.id - b.id);
      return { task, metric: spec.metric.name, stitches };
    },
  );
}
