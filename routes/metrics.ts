import type { FastifyInstance } from 'fastify';

/** Prometheus text exposition of this app's registry. */
export default async function metricsRoute(app: FastifyInstance) {
  const { metrics } = app.services;
  app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics (text exposition 0.0.4)' } }, async (_request, reply) => {
    const text = await metrics.exposition();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
