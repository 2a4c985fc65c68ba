import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import pino, { type Logger } from 'pino';
import arrivalAdmission from '../routes/plugins/arrival-admission.js';
import errorHandling, { asServiceError, sendError, type DrainBounds } from '../routes/plugins/error-handler.js';
import imageBody from '../routes/plugins/image-body.js';
import openapi from '../routes/plugins/openapi.js';
import requestContext from '../routes/plugins/request-context.js';
import healthRoutes from '../routes/health.js';
import metricsRoute from '../routes/metrics.js';
import catalogRoutes from '../routes/v1/catalog.js';
import taskRoutes from '../routes/v1/tasks.js';
import kserveRoutes from '../routes/v2/index.js';
import demoRoutes from '../routes/demo.js';
import type { Config } from './config/index.js';
import { createServices } from './inference/index.js';

export interface BuildAppOptions {
  /** A ready pino logger (tests pass one writing to memory); default: pino at config.logging.level on stdout. */
  logger?: Logger;
}

/** Incoming request ids are reused only when short and plain; anything else gets a fresh UUID. */
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The raw answer for connection-level client errors (malformed HTTP, body timeout), in the documented format. */
function clientErrorResponse(err: NodeJS.ErrnoException): string {
  const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const [status, code, message] = timeout
    ? ['408 Request Timeout', 'REQUEST_TIMEOUT', 'The request was not received in time; send the whole body faster.']
    : ['400 Bad Request', 'BAD_REQUEST', 'The HTTP request is malformed.'];
  const body = JSON.stringify({ error: { code, message } });
  return `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * Builds the Fastify app from plugins (the composition root). Nothing listens and nothing is loaded yet:
 * call `app.services.start()` to load and warm the bundle (readiness turns true when it resolves),
 * and `app.listen()` to serve. `app.close()` drains and stops the engine worker.
 */
export async function buildApp(config: Config, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const logger = options.logger ?? pino({ level: config.logging.level });
  const services = createServices(config, logger);
  const { bodyTimeoutMs, keepAliveTimeoutMs } = config.server;
  // Early answers: the unread rest of a body is read and discarded up to this much (see prepareEarlyAnswer).
  const drain: DrainBounds = { maxBytes: 2 * config.limits.bodyBytes, maxMs: 2000 };
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.limits.bodyBytes,
    return503OnClosing: false,
    genReqId: (req) => {
      const incoming = req.headers[config.logging.requestIdHeader.toLowerCase()];
      return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // Unknown query parameters are refused (a typo must not silently change nothing); defaults fill the rest.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
    // Model names (the only path parameter) are up to 128 characters; longer ones are a documented 400.
    routerOptions: { maxParamLength: 256 },
    // Errors raised by the router before any route runs (bad %-encoding, over-long parameters).
    frameworkErrors: (error, request, reply) => void sendError(request, reply, asServiceError(error), services.metrics, drain),
    serverFactory: (handler) => {
      // Node checks request timeouts every connectionsCheckingInterval; keep it well below the timeout. A request
      // without Host is served (HTTP/1.0 style) instead of Node's bodiless 400.
      const server = createServer(
        { requestTimeout: bodyTimeoutMs, headersTimeout: Math.min(bodyTimeoutMs, 60_000), connectionsCheckingInterval: Math.min(1000, bodyTimeoutMs / 2), requireHostHeader: false },
        handler,
      );
      // Fastify applies its keep-alive default only to servers it creates; outlive load balancers' idle timeouts.
      server.keepAliveTimeout = keepAliveTimeoutMs;
      return server as Server;
    },
    clientErrorHandler: (err, socket) => {
      if (socket.writable) socket.end(clientErrorResponse(err));
      else socket.destroy(err);
    },
  });
  // R10: while draining, every answer closes its connection, so clients stop reusing kept-alive connections and
  // open new ones, which are answered (503 DRAINING) or refused once the listener closes, instead of sending on
  // a connection the server is about to close (reset). Set on arrival too, so early refusals see it (their
  // unread body is then drained by a lingering close, not left to a kept-alive connection).
  const closeWhileDraining = (reply: FastifyReply) => {
    if (services.runtime.draining) reply.header('connection', 'close');
  };
  app.addHook('onRequest', (_request, reply, done) => {
    closeWhileDraining(reply);
    done();
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    closeWhileDraining(reply);
  });
  app.addHook('onClose', async () => {
    services.monitor.stop();
    await services.runtime.close();
  });

  await app.register(requestContext, { services });
  await app.register(errorHandling, { metrics: services.metrics, drain });
  await app.register(arrivalAdmission, { services, drain });
  await app.register(imageBody, { limits: config.limits });
  if (config.server.docs) await app.register(openapi);
  await app.register(healthRoutes);
  await app.register(metricsRoute);
  await app.register(taskRoutes);
  await app.register(catalogRoutes);
  await app.register(kserveRoutes, { modelName: config.server.modelName });
  await app.register(demoRoutes);
  return app;
}
