import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ERRORS, ServiceError, isServiceError, type ErrorCode } from '../../src/errors.js';
import type { ServiceMetrics } from '../../src/metrics/index.js';

/** Fastify and @fastify/multipart error codes → registry codes. */
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_VALIDATION: 'INVALID_PARAMETER',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'BAD_REQUEST',
  FST_PARTS_LIMIT: 'BAD_REQUEST',
  FST_FILES_LIMIT: 'BAD_REQUEST',
  FST_FIELDS_LIMIT: 'BAD_REQUEST',
  FST_PROTO_VIOLATION: 'BAD_REQUEST',
  FST_MP_PREMATURE_CLOSE: 'BAD_REQUEST',
};

/** Messages that say what to fix, for framework errors whose own text is terse. */
const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_FILES_LIMIT: "Send exactly one file, in the multipart field 'image'.",
  FST_PARTS_LIMIT: "The multipart body has too many parts; send one file field named 'image'.",
  FST_FIELDS_LIMIT: "The multipart body has too many fields; send one file field named 'image'.",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ERRORS.UNSUPPORTED_MEDIA_TYPE.title,
  FST_ERR_BAD_URL: 'The URL is not valid (malformed %-encoding); see /docs for the API.',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long; see /docs for the API.',
  FST_INVALID_MULTIPART_CONTENT_TYPE: ERRORS.UNSUPPORTED_MEDIA_TYPE.title,
};

/** One line per schema violation, naming the parameter (`querystring.top_k must be >= 1`, `unknown querystring parameter 'x'`). */
function describeValidation(err: FastifyError): string {
  const context = err.validationContext ?? 'request';
  const lines = (err.validation ?? []).map((v) => {
    const where = `${context}${v.instancePath.replace(/\//g, '.')}`;
    const params = v.params as Record<string, unknown>;
    if (v.keyword === 'additionalProperties') return `unknown ${context} parameter '${String(params['additionalProperty'])}'`;
    if (v.keyword === 'enum') return `${where} must be one of ${(params['allowedValues'] as unknown[]).join(', ')}`;
    return `${where} ${v.message ?? 'is invalid'}`;
  });
  return lines.length > 0 ? `Invalid parameter: ${[...new Set(lines)].join('; ')}.` : `Invalid parameter: ${err.message}`;
}

/** Any error → a ServiceError whose code is in the registry. Unknown 5xx become INTERNAL. */
export function asServiceError(err: unknown): ServiceError {
  if (isServiceError(err)) return err;
  const fe = err as Partial<FastifyError> | null;
  const code = typeof fe?.code === 'string' ? FRAMEWORK_CODES[fe.code] : undefined;
  if (code !== undefined) {
    const message = FRAMEWORK_MESSAGES[fe!.code!] ?? (code === 'INVALID_PARAMETER' ? describeValidation(fe as FastifyError) : fe!.message);
    return new ServiceError(code, message, { cause: err });
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status === 413) return new ServiceError('BODY_TOO_LARGE', undefined, { cause: err });
  if (status >= 400 && status < 500) return new ServiceError('BAD_REQUEST', fe?.message || undefined, { cause: err });
  return new ServiceError('INTERNAL', undefined, { cause: err });
}

/** The body of an error answer. Server faults (5xx) carry only the registry title: no internals, no paths. */
export function errorBody(err: ServiceError, kserve: boolean): object {
  const message = err.status >= 500 ? ERRORS[err.code].title : err.message;
  // KServe v2 clients expect {"error": "<text>"}; the code rides along as an extra property.
  return kserve ? { error: message, code: err.code } : { error: { code: err.code, message } };
}

function isKserve(request: FastifyRequest): boolean {
  return request.url.startsWith('/v2');
}

/**
 * Bounds on reading and discarding the unread rest of a request body after an early answer (one sent before the
 * body was read: 413 for a declared length over the limit, 415, refusals at arrival).
 */
export interface DrainBounds {
  /** Bytes read and discarded after the answer, at most; a declared rest above this closes the connection. */
  maxBytes: number;
  /** How long a closing connection keeps reading after its answer (lingering close), at most (ms). */
  maxMs: number;
}

/** The body length the request declares: Content-Length, 0 without a body, undefined when unknown (chunked). */
function declaredBodyBytes(raw: FastifyRequest['raw']): number | undefined {
  const length = raw.headers['content-length'];
  if (length !== undefined) return Number(length);
  return raw.headers['transfer-encoding'] === undefined ? 0 : undefined;
}

/**
 * Lingering close: after the answer, Node ends the socket (FIN) and destroys it once that is sent; a client still
 * sending its body would then get a TCP reset, which can discard the answer before the client reads it (R5).
 * Instead the socket keeps reading and discarding (Node's parser dumps the unread body) until the client closes
 * its side, `maxBytes` more arrived or `maxMs` passed, and only then is destroyed.
 */
function lingerAfterAnswer(raw: FastifyRequest['raw'], answer: FastifyReply['raw'], bounds: DrainBounds): void {
  const socket = raw.socket;
  // Runs after Node's own 'finish' listener (registered before the request was emitted), which has just ended
  // the socket and scheduled `destroy` for when the end is flushed (net.Socket#destroySoon).
  answer.once('finish', () => {
    if (socket.destroyed) return;
    socket.removeListener('finish', socket.destroy);
    let bytes = 0;
    const close = () => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', close).off('close', close);
      socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > bounds.maxBytes) close();
    };
    const timer = setTimeout(close, bounds.maxMs);
    socket.on('data', onData).once('end', close).once('close', close);
  });
}

/**
 * Makes an early answer safe for the connection it is sent on, without delaying it (R9: a 413 for a declared
 * length over the limit is written at once, even if the client stalls). Nothing to do when the body is
 * complete. A small unread rest (declared ≤ `maxBytes`) on a connection not already closing: the connection
 * stays alive and Node reads and discards the rest after the answer (refusals under a flood keep their
 * connections); the body timeout still bounds a stalled rest. Otherwise (a larger or unknown rest, or a
 * connection Fastify or the drain marked `close`): `Connection: close` and a bounded lingering close.
 */
export function prepareEarlyAnswer(request: FastifyRequest, reply: FastifyReply, bounds: DrainBounds): void {
  const { raw } = request;
  if (raw.complete || raw.readableEnded || raw.destroyed) return;
  // Node dumps an untouched body itself after the answer; one a parser started and abandoned (multipart) would
  // sit paused, so it is resumed (and discarded) here.
  if (raw.readableFlowing === false) raw.resume();
  const declared = declaredBodyBytes(raw);
  const closing = String(reply.getHeader('connection') ?? '').toLowerCase() === 'close';
  if (!closing && declared !== undefined && declared <= bounds.maxBytes) return;
  reply.header('connection', 'close');
  lingerAfterAnswer(raw, reply.raw, bounds);
}

/** Content type of every error answer. */
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Sends `err` as the documented JSON error answer, with Retry-After on 429/503; counts the failure. The body is
 * serialised here (Fastify sends a JSON string as is, skipping its serialisation hooks): refusals under overload
 * must cost as little main thread as possible.
 */
export async function sendError(request: FastifyRequest, reply: FastifyReply, err: ServiceError, metrics: ServiceMetrics, drain?: DrainBounds): Promise<FastifyReply> {
  metrics.failures.inc({ reason: err.code });
  // Answered at once, never after reading the body (R9); not deferred either (e.g. to setImmediate): under
  // overload that holds every refusal until the end of the loop's poll phase, which accepted work makes long.
  if (drain !== undefined) prepareEarlyAnswer(request, reply, drain);
  if (err.status === 429 || err.status === 503) reply.header('retry-after', String(err.retryAfterSeconds ?? 1));
  return reply.code(err.status).type(JSON_TYPE).send(JSON.stringify(errorBody(err, isKserve(request))));
}

/**
 * Answers any error as the error handler does: maps it to a registry code, logs it (server faults with their
 * cause and stack, expected refusals at info without one) and sends it with `sendError`.
 */
export function answerError(request: FastifyRequest, reply: FastifyReply, error: unknown, metrics: ServiceMetrics, drain?: DrainBounds): Promise<FastifyReply> {
  const err = asServiceError(error);
  // Real faults (500) are errors with their cause; 503/504 are expected lifecycle or load answers
  // (probes during warm-up, draining, engine restarts) and are logged without a stack.
  if (err.status >= 500 && err.status !== 503 && err.status !== 504) request.log.error({ err: error, code: err.code }, 'request failed');
  else request.log.info({ code: err.code, reason: err.message }, 'request refused');
  return sendError(request, reply, err, metrics, drain);
}

/**
 * Installs the error handler (every error → `{error: {code, message}}`, status from the registry) and the
 * not-found handler. 5xx answers never show the underlying message or stack; the log has them.
 */
export default fp(
  async function errorHandling(app: FastifyInstance, options: { metrics: ServiceMetrics; drain: DrainBounds }) {
    app.setErrorHandler((error, request, reply) => answerError(request, reply, error, options.metrics, options.drain));
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]!.slice(0, 200);
      const err = new ServiceError('NOT_FOUND', `No route ${request.method} ${path}; see /docs for the API.`);
      return sendError(request, reply, err, options.metrics, options.drain);
    });
  },
  { name: 'error-handling' },
);
