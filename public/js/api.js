// The service's HTTP API as the page uses it. Same origin only; nothing here talks to any other host.

/** An HTTP answer with an error body `{error: {code, message}}` (or a network failure: status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0: no answer)
   * @param {string} code registry error code, e.g. DEADLINE_UNMEETABLE
   * @param {string} message what to fix
   * @param {number | undefined} retryAfterSeconds from Retry-After, when sent
   */
  constructor(status, code, message, retryAfterSeconds) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** @param {Response} response */
async function errorOf(response) {
  const retry = Number(response.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  try {
    const body = await response.json();
    if (body && body.error && typeof body.error.code === 'string') {
      return new ApiError(response.status, body.error.code, body.error.message, retryAfter);
    }
  } catch {
    // not JSON: fall through to a generic error
  }
  return new ApiError(response.status, `HTTP_${response.status}`, response.statusText || 'request failed', retryAfter);
}

/**
 * GETs a JSON document from this service.
 * @param {string} path e.g. `/v1/models`
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 * @throws {ApiError}
 */
export async function getJson(path, signal) {
  let response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store', signal });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `The service did not answer (${err instanceof Error ? err.message : err}).`);
  }
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/**
 * @typedef {object} InferAnswer
 * @property {boolean} ok 2xx with a JSON envelope
 * @property {number} status HTTP status (0: no answer, e.g. aborted)
 * @property {any} [body] the JSON envelope `{result, stitch, timing, deadlineMet, batchSize, budgetMs, ...}` when ok
 * @property {ApiError} [error] when not ok
 * @property {number | undefined} stitchId from X-Stitch-Id
 * @property {boolean | undefined} deadlineMet from X-Deadline-Met
 * @property {number} clientMs round trip measured in the browser (ms)
 */

/**
 * POSTs one image to `/v1/<task>` with a latency budget and a quality hint. Never throws for HTTP errors:
 * they come back as `{ok: false, error}` so a burst can count them.
 * @param {string} task classify | segment | depth | detect
 * @param {Blob} image the bytes as uploaded (sent raw with their media type)
 * @param {{budgetMs: number, quality: string, query?: Record<string, string>, signal?: AbortSignal}} options
 * @returns {Promise<InferAnswer>}
 */
export async function infer(task, image, options) {
  const params = new URLSearchParams({ quality: options.quality, ...(options.query ?? {}) });
  const started = performance.now();
  let response;
  try {
    response = await fetch(`/v1/${task}?${params}`, {
      method: 'POST',
      headers: {
        'content-type': image.type || 'application/octet-stream',
        'x-latency-budget-ms': String(Math.round(options.budgetMs)),
        accept: 'application/json',
      },
      body: image,
      signal: options.signal,
    });
    const header = response.headers.get('x-stitch-id');
    const met = response.headers.get('x-deadline-met');
    const common = {
      status: response.status,
      stitchId: header === null ? undefined : Number(header),
      deadlineMet: met === null ? undefined : met === 'true',
    };
    if (!response.ok) return { ok: false, ...common, error: await errorOf(response), clientMs: performance.now() - started };
    const body = await response.json();
    return { ok: true, ...common, body, clientMs: performance.now() - started };
  } catch (err) {
    // Aborted (a newer request superseded this one, or the burst was stopped) or the connection failed.
    const aborted = options.signal?.aborted === true;
    const error = new ApiError(0, aborted ? 'ABORTED' : 'NETWORK', aborted ? 'Stopped.' : 'The service did not answer.');
    return { ok: false, status: response?.status ?? 0, error, stitchId: undefined, deadlineMet: undefined, clientMs: performance.now() - started };
  }
}
