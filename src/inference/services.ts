import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { ServiceMetrics } from '../metrics/index.js';
import { Preprocessor } from '../preprocess/index.js';
import { EventLoopMonitor } from './event-loop-monitor.js';
import { InflightTracker } from './inflight.js';
import { warmUpPreprocessing } from './preprocess-warmup.js';
import { InferenceRuntime } from './runtime.js';
import { InferenceService } from './service.js';

/** Everything the HTTP layer reaches through the `services` decorator; one set per app instance. */
export interface Services {
  config: Config;
  metrics: ServiceMetrics;
  runtime: InferenceRuntime;
  inference: InferenceService;
  preprocessor: Preprocessor;
  inflight: InflightTracker;
  /** Main-thread lag and cost per request, read by load shedding at every arrival; stopped by `close()`. */
  monitor: EventLoopMonitor;
  /** Loads and warms the bundle (engine, profile) and the image decoders; readiness turns true when it resolves. */
  start(): Promise<void>;
  /** Stops taking work (ready → false, new work → 503 DRAINING) and resolves when every accepted request is answered. */
  drain(): Promise<void>;
}

/** Builds the service objects from the validated config; nothing is loaded until `runtime.start()`. */
export function createServices(config: Config, logger: Logger): Services {
  const metrics = new ServiceMetrics();
  const runtime = new InferenceRuntime({ engine: config.engine, controller: config.controller, metrics, logger });
  const preprocessor = new Preprocessor(config.limits.pixels);
  const monitor = new EventLoopMonitor();
  monitor.start();
  const inflight = new InflightTracker((count) => metrics.inflight.set(count));
  return {
    config,
    metrics,
    runtime,
    inference: new InferenceService(runtime, preprocessor, metrics),
    preprocessor,
    inflight,
    monitor,
    async start() {
      await runtime.start(async ({ manifest, latency }) => {
        const samples = await warmUpPreprocessing(preprocessor, manifest, latency);
        logger.info({ samples }, 'image decoders warmed up');
      });
    },
    async drain() {
      // Refuse new work first, let every accepted request finish through a still-open scheduler, then close it.
      inflight.close();
      runtime.stopAdmitting();
      await inflight.idle();
      await runtime.drain();
    },
  };
}
