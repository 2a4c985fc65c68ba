import type { Logger } from 'pino';
import type { Manifest, TaskName } from '../bundle/manifest.js';
import type { ControllerConfig, EngineConfig } from '../config/index.js';
import type { FrontierIndex } from '../controller/frontier-index.js';
import type { LatencyModel } from '../controller/latency-model.js';
import { Engine } from '../engine/engine.js';
import { ServiceError } from '../errors.js';
import type { ServiceMetrics } from '../metrics/index.js';
import { createScheduler, type Scheduler } from '../scheduler/index.js';
import { engineExecutor, type ItemOutputs, type QueuedPixels } from './executor.js';

/** The engine and the controller stack built on its profile; they exist once `start()` resolved. */
export interface Started {
  manifest: Readonly<Manifest>;
  latency: LatencyModel;
  frontier: FrontierIndex;
  scheduler: Scheduler<QueuedPixels, ItemOutputs>;
}

export interface RuntimeOptions {
  engine: EngineConfig;
  controller: ControllerConfig;
  metrics: ServiceMetrics;
  logger: Logger;
}

/** The engine options derived from the config slice. */
function engineOptions(config: EngineConfig, logger: Logger): ConstructorParameters<typeof Engine>[0] {
  return {
    bundleDir: config.bundle,
    ...(config.modelRoot === undefined ? {} : { modelRoot: config.modelRoot }),
    device: config.device,
    threads: config.threads,
    maxBatch: config.maxBatch,
    warmup: config.warmup,
    profileCacheDir: config.profileCacheDir,
    logger: {
      info: (message: string) => logger.info(message),
      warn: (message: string) => logger.warn(message),
      error: (message: string) => logger.error(message),
    },
  };
}

/**
 * Owns the engine (one ORT worker) and the scheduler that feeds it, and their lifecycle: loading → ready ⇄
 * engine restarting → draining → closed. `ready` is true only when the bundle is loaded, warmed and the server
 * is not draining. The controller's latency model starts from the engine's warm-up profile.
 */
export class InferenceRuntime {
  readonly engine: Engine;
  #started: Started | undefined;
  #draining = false;
  readonly #options: RuntimeOptions;

  constructor(options: RuntimeOptions) {
    this.#options = options;
    this.engine = new Engine(engineOptions(options.engine, options.logger.child({ part: 'engine' })));
    options.metrics.bind({
      schedulerStats: () => this.#started?.scheduler.stats(),
      engineRestarts: () => this.engine.restarts,
      ready: () => this.ready,
    });
  }

  /**
   * Loads the bundle, warms the engine up, runs `warmUp` (e.g. the image decoders) and then opens admission.
   * Rejects (BundleError, ...) if loading fails.
   */
  async start(warmUp?: (parts: Started) => Promise<void>): Promise<void> {
    const { controller, metrics, logger } = this.#options;
    await this.engine.start();
    const manifest = this.engine.metadata.manifest;
    const defaultBudgetMs = Object.fromEntries(Object.entries(controller.deadlines).map(([task, d]) => [task, d.defaultMs]));
    const { scheduler, latency, frontier } = createScheduler<QueuedPixels, ItemOutputs>({
      manifest,
      profile: this.engine.profile(),
      policy: controller.policy,
      maxBatch: this.engine.metadata.maxBatch,
      queueBound: controller.queueBound,
      defaultBudgetMs,
      defaultHint: controller.defaultQuality,
      statsWindowMs: controller.statsWindowMs,
      executor: engineExecutor(this.engine),
      observer: {
        onBatch: (record) => {
          metrics.observeBatch(record);
          const log = { task: record.task, stitch: record.stitchId, batchSize: record.batchSize, reason: record.reason };
          if (record.error === undefined) logger.debug({ ...log, ms: record.actualMs, predictedMs: record.predictedMs }, 'batch done');
          else logger.warn({ ...log, code: record.error.code }, `batch failed: ${record.error.message}`);
        },
      },
    });
    const parts = { manifest, latency, frontier, scheduler };
    await warmUp?.(parts);
    this.#started = parts;
    this.engine.on('down', () => scheduler.setReady(false));
    this.engine.on('restarted', () => {
      latency.setProfile(this.engine.profile());
      scheduler.setReady(!this.#draining);
    });
    scheduler.setReady(!this.#draining);
    logger.info({ bundle: manifest.name, tasks: Object.keys(manifest.tasks), stitches: manifest.stitches.length }, 'runtime ready');
  }

  /** Loaded, warmed, the engine worker alive, and not draining. */
  get ready(): boolean {
    return this.#started !== undefined && this.engine.ready && !this.#draining;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** The parts built by start(); NOT_READY (503) before that. */
  get parts(): Started {
    if (this.#started === undefined) throw new ServiceError('NOT_READY', 'The model is still loading and warming up.', { retryAfterSeconds: 1 });
    return this.#started;
  }

  /** The tasks of the loaded family, or none before start(). */
  tasks(): TaskName[] {
    return this.#started === undefined ? [] : (Object.keys(this.#started.manifest.tasks) as TaskName[]);
  }

  /**
   * Marks the runtime as draining: `ready` turns false (probes fail, new work is refused upstream), while requests
   * already accepted still reach the scheduler (see `Services.drain`).
   */
  stopAdmitting(): void {
    this.#draining = true;
  }

  /** Stops admitting and resolves once the scheduler has answered everything it accepted. */
  async drain(): Promise<void> {
    this.stopAdmitting();
    await this.#started?.scheduler.drain();
  }

  /** Drains, then ends the engine worker. */
  async close(): Promise<void> {
    await this.drain();
    await this.engine.close();
  }
}
