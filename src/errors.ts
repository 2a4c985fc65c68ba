/**
 * The one registry of error codes. Every error that reaches a client carries one of these codes; the HTTP
 * status is looked up here and nowhere else. The short `code` is also the `reason` label of
 * `stitchserve_request_failures_total`. A test keeps this table, the README table and the docs in step.
 */
export const ERRORS = {
  // 400 — the request is malformed
  BAD_REQUEST: { status: 400, title: 'The request is malformed.' },
  INVALID_PARAMETER: { status: 400, title: 'A query parameter or header has an invalid value.' },
  EMPTY_BODY: { status: 400, title: 'The request body is empty; send an image.' },
  UNSUPPORTED_IMAGE: { status: 400, title: 'The body is not a decodable image (JPEG, PNG, WebP, AVIF, TIFF or GIF).' },
  CORRUPT_IMAGE: { status: 400, title: 'The image is truncated or corrupt.' },
  MISSING_IMAGE_FIELD: { status: 400, title: "The multipart body has no file field named 'image'." },
  UNKNOWN_STITCH: { status: 400, title: 'The requested stitch id does not exist in this family.' },
  NO_STITCH_MATCHES: { status: 400, title: 'No stitch satisfies the requested constraints.' },
  UNSUPPORTED_TASK: { status: 400, title: 'The loaded family has no head for this task.' },
  INVALID_TENSOR: { status: 400, title: 'An inference tensor has the wrong datatype, shape or data.' },
  // 404 / 406 / 413 / 415
  NOT_FOUND: { status: 404, title: 'No such route.' },
  UNKNOWN_MODEL: { status: 404, title: 'No model with this name is served here.' },
  NOT_ACCEPTABLE: { status: 406, title: 'None of the media types in Accept can be produced for this task.' },
  BODY_TOO_LARGE: { status: 413, title: 'The request body exceeds the configured byte limit.' },
  IMAGE_TOO_LARGE: { status: 413, title: 'The image exceeds the configured pixel limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Send an image/* body or multipart/form-data with an image field.' },
  // 408 / 429 / 503 / 504 — load and lifecycle
  REQUEST_TIMEOUT: { status: 408, title: 'The client did not send the body in time.' },
  DEADLINE_UNMEETABLE: { status: 429, title: 'No stitch can meet the deadline given the current load; retry later.' },
  QUEUE_FULL: { status: 429, title: 'The queue is full; retry later.' },
  OVERLOADED: { status: 429, title: 'Too many requests are in progress or the server is running behind; retry later.' },
  CLIENT_CLOSED: { status: 499, title: 'The client went away before the request was computed; it was dropped.' },
  DEADLINE_EXCEEDED: { status: 504, title: 'The deadline passed while the request was queued; it was not computed.' },
  NOT_READY: { status: 503, title: 'The model is loading or warming up.' },
  DRAINING: { status: 503, title: 'The server is shutting down and takes no new work.' },
  ENGINE_UNAVAILABLE: { status: 503, title: 'The inference engine restarted; the request was not completed.' },
  // 500 — real server faults (no internals are exposed)
  ENGINE_FAILED: { status: 500, title: 'The inference engine failed on this batch.' },
  BUNDLE_INVALID: { status: 500, title: 'The model bundle failed validation at start-up.' },
  INTERNAL: { status: 500, title: 'Internal server error.' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error with a registry code; `message` says what to fix. Crosses the worker boundary as {code, message}. */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds a client should wait before retrying (429/503), sent as Retry-After. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message?: string, options?: { retryAfterSeconds?: number; cause?: unknown }) {
    super(message ?? ERRORS[code].title, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** The serialisable form used across worker threads. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }

  /** Rebuilds an error from its serialised form; unknown codes become INTERNAL. */
  static fromJSON(value: { code: string; message: string }): ServiceError {
    const code = (value.code in ERRORS ? value.code : 'INTERNAL') as ErrorCode;
    return new ServiceError(code, value.message);
  }
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof ServiceError;
}
