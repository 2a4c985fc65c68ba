import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ServiceError } from '../src/errors.js';

const Status = Type.Object({ status: Type.String(), ready: Type.Optional(Type.Boolean()), draining: Type.Optional(Type.Boolean()) });

/**
 * Liveness and readiness: `/healthz` answers while the event loop runs; `/readyz` is 200 only when the bundle
 * is loaded, warmed, the engine worker alive and the server not draining (503 NOT_READY / DRAINING otherwise).
 * KServe aliases: `/v2/health/live`, `/v2/health/ready`.
 */
export default async function healthRoutes(app: FastifyInstance) {
  const { runtime } = app.services;
  const live = { schema: { tags: ['health'], summary: 'Liveness', response: { 200: Status } } };
  const ready = { schema: { tags: ['health'], summary: 'Readiness (loaded, warmed, not draining)', response: { 200: Status } } };

  const liveHandler = async () => ({ status: 'ok' });
  const readyHandler = async () => {
    if (runtime.draining) throw new ServiceError('DRAINING', 'The server is shutting down.');
    if (!runtime.ready) throw new ServiceError('NOT_READY', 'The model is loading, warming up or its engine is restarting.', { retryAfterSeconds: 1 });
    return { status: 'ready', ready: true, draining: false };
  };
  app.get('/healthz', live, liveHandler);
  app.get('/v2/health/live', live, liveHandler);
  app.get('/readyz', ready, readyHandler);
  app.get('/v2/health/ready', ready, readyHandler);
}
