import Type from 'typebox';

/** The four tasks a family may serve; a bundle carries any subset. */
export const TASK_NAMES = ['classify', 'segment', 'depth', 'detect'] as const;

const Milliseconds = (description: string, defaultValue: number) =>
  Type.Integer({ minimum: 1, maximum: 600_000, default: defaultValue, description });

const DeadlineBounds = (defaultMs: number) =>
  Type.Object(
    {
      defaultMs: Milliseconds('deadline used when the request names none (ms after arrival)', defaultMs),
      minMs: Milliseconds('smallest deadline a request may ask for (ms)', 1),
      maxMs: Milliseconds('largest deadline a request may ask for (ms)', 60_000),
    },
    { additionalProperties: false, default: {} },
  );

const ServerSchema = Type.Object(
  {
    port: Type.Integer({ minimum: 0, maximum: 65_535, default: 8080, description: 'TCP port; env PORT overrides' }),
    host: Type.String({ minLength: 1, default: '0.0.0.0', description: 'listen address; env HOST overrides' }),
    shutdownGraceMs: Milliseconds('time accepted requests get to finish after SIGTERM before a forced exit', 10_000),
    bodyTimeoutMs: Milliseconds('time a client gets to send the whole request (408 REQUEST_TIMEOUT after)', 30_000),
    keepAliveTimeoutMs: Milliseconds('idle keep-alive connections are closed after this; keep it above load balancers\' idle timeouts (often 60 s)', 72_000),
    listenBacklog: Type.Integer({
      minimum: 1,
      maximum: 65_535,
      default: 4096,
      description: 'pending-connection queue of the listening socket (the kernel caps it at net.core.somaxconn); a burst of new connections beyond it is dropped and retried by clients after 1–3 s',
    }),
    docs: Type.Boolean({ default: true, description: 'serve the OpenAPI document and Swagger UI at /docs' }),
    modelName: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'KServe model name; default: the bundle name' }),
    ),
  },
  { additionalProperties: false, default: {} },
);

const LimitsSchema = Type.Object(
  {
    bodyBytes: Type.Integer({ minimum: 1024, maximum: 1 << 30, default: 8 * 1024 * 1024, description: 'largest request body (bytes)' }),
    pixels: Type.Integer({ minimum: 1, maximum: 1 << 30, default: 25_000_000, description: 'largest image (width × height), checked before decoding' }),
    inflight: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 64,
      description: 'most task requests between arrival and answer (upload, decode, queue, inference, rendering); more → 429 OVERLOADED before the body is read',
    }),
    frontInflight: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 32,
      description: 'of those, most in the front end (being read, decoded, run or rendered, i.e. not waiting in the scheduler\'s queue); more → 429 OVERLOADED before the body is read',
    }),
    eventLoopDelayMs: Milliseconds('while requests are being refused anyway (open-loop overload), event-loop lag above which new task requests are refused 429 OVERLOADED before their body is read (from 1 in flight on)', 250),
    eventLoopUtilization: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.75,
      description: 'while requests are being refused anyway, main-thread busy share (over the last ~0.2 s) above which new task requests are refused 429 OVERLOADED before their body is read (from 1 in flight on), keeping headroom to read and refuse the excess; 1 disables',
    }),
    multipart: Type.Object(
      {
        parts: Type.Integer({ minimum: 1, maximum: 100, default: 8, description: 'most parts (files + fields) in one multipart body' }),
        fieldBytes: Type.Integer({ minimum: 1, maximum: 1 << 20, default: 1024, description: 'largest non-file field value (bytes)' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

const EngineSchema = Type.Object(
  {
    bundle: Type.String({ minLength: 1, default: 'models/fmnist-s-l', description: 'bundle directory (relative to the working directory)' }),
    fallbackBundle: Type.Optional(
      Type.String({ minLength: 1, description: 'bundle used, with a warning, when `bundle` does not exist' }),
    ),
    modelRoot: Type.Optional(
      Type.String({ minLength: 1, description: 'directory every bundle must live under; default: the bundle directory\'s parent' }),
    ),
    profileCacheDir: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: '.profile-cache',
      description: 'writable directory for the warm-up latency profile cache; null disables the cache',
    }),
    device: Type.Enum(['cpu', 'cuda', 'auto'], { default: 'cpu', description: 'execution provider; auto = cuda when available' }),
    threads: Type.Integer({ minimum: 1, maximum: 256, default: 2, description: 'ORT intra-op threads' }),
    maxBatch: Type.Integer({ minimum: 1, maximum: 256, default: 8, description: 'largest batch the engine runs' }),
    warmup: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'profile every (task, stitch, batch) before reporting ready' }),
        runs: Type.Integer({ minimum: 1, maximum: 100, default: 2, description: 'timed runs per shape (median is kept)' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

const ControllerSchema = Type.Object(
  {
    policy: Type.String({
      pattern: '^(adaptive|slackfit|fastest|most-accurate|fixed:[0-9]+)$',
      default: 'adaptive',
      description: 'stitch-selection policy: adaptive, slackfit, fastest, most-accurate or fixed:<id>',
    }),
    defaultQuality: Type.Union([Type.Enum(['fast', 'balanced', 'accurate']), Type.Number({ minimum: 0, maximum: 1 })], {
      default: 'accurate',
      description: 'quality hint for requests that give none: the best stitch the controller may pick when idle',
    }),
    statsWindowMs: Milliseconds('window of the effective-accuracy gauge', 60_000),
    queueBound: Type.Integer({ minimum: 1, maximum: 100_000, default: 64, description: 'most queued requests (all tasks); more → 429 QUEUE_FULL' }),
    deadlines: Type.Object(
      {
        classify: DeadlineBounds(200),
        segment: DeadlineBounds(1000),
        depth: DeadlineBounds(1000),
        detect: DeadlineBounds(1000),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

const LoggingSchema = Type.Object(
  {
    level: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
    requestIdHeader: Type.String({ minLength: 1, default: 'x-request-id', description: 'incoming header reused as the request id' }),
  },
  { additionalProperties: false, default: {} },
);

/** The whole service configuration: the single source of its types and defaults. */
export const ConfigSchema = Type.Object(
  {
    server: ServerSchema,
    limits: LimitsSchema,
    engine: EngineSchema,
    controller: ControllerSchema,
    logging: LoggingSchema,
  },
  { additionalProperties: false },
);

export type Config = Type.Static<typeof ConfigSchema>;
export type ServerConfig = Config['server'];
export type LimitsConfig = Config['limits'];
export type EngineConfig = Config['engine'];
export type ControllerConfig = Config['controller'];
export type LoggingConfig = Config['logging'];
export type TaskName = (typeof TASK_NAMES)[number];
/** Deadline bounds of one task, in ms relative to the request's arrival. */
export type DeadlineBoundsConfig = ControllerConfig['deadlines'][TaskName];
