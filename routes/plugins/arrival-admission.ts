import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { TaskName } from '../../src/bundle/manifest.js';
import { parseRequestOptions, shedAtArrival, type Services } from '../../src/inference/index.js';
import { withoutStackTrace } from '../../src/inference/load-shedding.js';
import { ServiceError } from '../../src/errors.js';
import { answerError, sendError, type DrainBounds } from './error-handler.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route runs inference: it is counted in flight from arrival and may be refused before its body is read. */
    inference?: boolean;
  }
  interface FastifyRequest {
    /** Refused by load shedding at arrival (its body was drained, never parsed). */
    shedAtArrival: boolean;
  }
}

/**
 * The request's latency budget as far as it is known before the body: the X-Latency-Budget-Ms header or the
 * sla_ms query parameter (validated as the handler will), else the task's default. Undefined when the task is
 * not known yet (KServe: it is in the body) or the value is invalid (the handler answers that with a 400).
 */
function budgetBeforeBody(request: FastifyRequest, task: TaskName | undefined, services: Services): number | undefined {
  if (task === undefined) return undefined;
  const header = request.headers['x-latency-budget-ms'];
  const sla = (request.query as Record<string, unknown> | undefined)?.['sla_ms'];
  try {
    const raw = { budgetHeader: Array.isArray(header) ? header[0] : header, slaMs: typeof sla === 'string' ? Number(sla) : undefined };
    return parseRequestOptions(raw, services.config.controller.deadlines[task]).budgetMs;
  } catch {
    return undefined;
  }
}

/** A refusal sent from the hook: its promise is not Fastify's to await, so a failure to send is logged here. */
function answered(request: FastifyRequest, sending: Promise<unknown>): void {
  sending.catch((err: unknown) => request.log.error({ err }, 'sending a refusal failed'));
}

/**
 * Load shedding at arrival, for routes marked `config.inference` (R8): before the body is read or decoded, a
 * task request is refused at once with 429 + Retry-After when the process is overloaded (`shedAtArrival`: in-flight
 * bound, event-loop lag, main-thread backlog vs. its budget) or when the scheduler would refuse it anyway
 * (`precheckArrival`). Otherwise it counts in flight until its answer is sent or its connection closes. Refusals
 * read the (bounded) rest of the body before answering so the connection is not reset under the answer (R5).
 */
export default fp(
  async function arrivalAdmission(app: FastifyInstance, options: { services: Services; drain: DrainBounds }) {
    const { services, drain } = options;
    const { inflight, monitor, metrics, config } = services;
    app.decorateRequest('shedAtArrival', false);
    // Callback-style hooks (not async): they run on every task request, and refusals must cost as little main
    // thread as possible. A hook that answers (refusal) does not call `done`, which ends the chain there.
    app.addHook('onRequest', (request, reply, done) => {
      const { config: route } = request.routeOptions;
      if (route.inference !== true) return done();
      // Counted first: a draining server answers DRAINING (thrown here) before any load verdict.
      let release: () => void;
      try {
        release = inflight.enter();
      } catch (err) {
        return done(err as Error);
      }
      // An engine that is (re)starting answers NOT_READY before any load verdict: clients retrying it in a
      // tight loop are not an overload, and 503 tells them (and load balancers) what is really going on.
      if (!services.runtime.ready) {
        release();
        request.shedAtArrival = true;
        return done(new ServiceError('NOT_READY', 'The model is loading or restarting; retry shortly.', { retryAfterSeconds: 1 }));
      }
      const task = route.task;
      const budgetMs = budgetBeforeBody(request, task, services);
      const queued = services.runtime.parts.scheduler.queued;
      const shed = shedAtArrival({ inflight: inflight.count - 1, queued, loop: monitor.snapshot() }, config.limits, budgetMs);
      if (shed !== undefined) {
        release();
        request.shedAtArrival = true;
        monitor.requestShed();
        metrics.shedRequests.inc({ cause: shed.cause });
        request.log.debug({ code: shed.error.code, cause: shed.cause }, 'request shed at arrival');
        return answered(request, sendError(request, reply, shed.error, metrics, drain));
      }
      if (task !== undefined && budgetMs !== undefined) {
        try {
          // The scheduler's refusals are load answers, never logged with a stack: skip capturing one.
          withoutStackTrace(() => services.inference.precheckArrival({ id: request.id, task, arrivalMs: request.arrivalMs, budgetMs }));
        } catch (err) {
          // The scheduler's refusal, as cheap as a shed one, answered here as the error handler would (after
          // draining the body) without the detour through Fastify's error path.
          release();
          request.shedAtArrival = true;
          // Only load refusals (429) mean demand exceeds what is admitted; lifecycle 503s and 4xx do not.
          if (err instanceof ServiceError && err.status === 429) monitor.requestShed();
          return answered(request, answerError(request, reply, err, metrics, drain));
        }
      }
      // Accepted: in flight until its answer is sent or its connection closes.
      reply.raw.once('finish', release).once('close', release);
      return done();
    });
    // Every answer but a shed one feeds the monitor's cost per served request (see EventLoopMonitor.msPerRequest).
    app.addHook('onResponse', (request, _reply, done) => {
      if (!request.shedAtArrival) monitor.requestAnswered();
      done();
    });
  },
  { name: 'arrival-admission', dependencies: ['request-context'] },
);
