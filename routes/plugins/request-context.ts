import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { TaskName } from '../../src/bundle/manifest.js';
import type { Services } from '../../src/inference/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The service objects of this app instance (config, runtime, inference, metrics, ...). */
    services: Services;
  }
  interface FastifyRequest {
    /** Arrival time on the scheduler clock (performance.now(), ms); deadlines are relative to it. */
    arrivalMs: number;
  }
  interface FastifyContextConfig {
    /** The task a route serves; labels metrics and logs. */
    task?: TaskName;
  }
}

/**
 * Decorates the app with `services`, stamps each request's arrival time, and records the HTTP metrics
 * (count by route template/task/status, duration by route template/task) when the answer has been sent.
 */
export default fp(
  async function requestContext(app: FastifyInstance, options: { services: Services }) {
    const { metrics } = options.services;
    app.decorate('services', options.services);
    app.decorateRequest('arrivalMs', 0);
    // Callback-style (not async) hooks: they run on every request, refusals included, and a promise per hook
    // per request is main-thread time an overloaded server needs for reading and refusing.
    app.addHook('onRequest', (request, _reply, done) => {
      request.arrivalMs = performance.now();
      done();
    });
    app.addHook('onResponse', (request, reply, done) => {
      // Route templates (not raw URLs) keep the label set bounded; unmatched URLs share one label.
      const route = request.routeOptions.url ?? 'unmatched';
      const task = request.routeOptions.config.task ?? 'none';
      metrics.httpRequests.inc({ route, task, status: String(reply.statusCode) });
      metrics.httpDuration.observe({ route, task }, (performance.now() - request.arrivalMs) / 1000);
      done();
    });
  },
  { name: 'request-context' },
);
