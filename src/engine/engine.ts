import { EventEmitter } from 'node:events';
import { loadBundle, type LoadedBundle } from '../bundle/load-bundle.js';
import { manifestTasks } from '../bundle/manifest.js';
import { ServiceError } from '../errors.js';
import { type ResolvedEngineOptions, resolveEngineOptions, servedStitchIds } from './engine-options.js';
import type { EngineBatch, EngineEvents, EngineHealth, EngineMetadata, EngineOptions, EngineResult } from './engine-types.js';
import type { LatencyEntry } from './latency-profile.js';
import { ProfileStore } from './profile-store.js';
import { routePlanFor } from './route-plan.js';
import { sessionOptionsFor, usableBackendNames } from './session-options.js';
import { transferablePixels, validateBatch } from './validate-batch.js';
import { WorkerHost } from './worker-host.js';

type State = 'new' | 'starting' | 'ready' | 'down' | 'closed';

/**
 * The inference engine: one worker thread owning one ONNX Runtime session of the bundle's route graph.
 * start() validates the bundle, creates the session, warms up and profiles, then reports ready. If the worker
 * dies, in-flight calls reject with ENGINE_UNAVAILABLE, `ready` goes false, and the worker is restarted with
 * exponential backoff and warmed up again (profile from the cache). The main thread never runs inference.
 */
export class Engine extends EventEmitter<EngineEvents> {
  private readonly opts: ResolvedEngineOptions;
  private state: State = 'new';
  private host: WorkerHost | null = null;
  private meta: EngineMetadata | null = null;
  private store: ProfileStore | null = null;
  private bundle: LoadedBundle | null = null;
  private restartCount = 0;
  private backoffAttempt = 0;
  private workerStartedAt = 0;
  private lastError: string | null = null;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(options: EngineOptions) {
    super();
    this.opts = resolveEngineOptions(options);
  }

  /** Loads and validates the bundle, starts the worker, warms up and profiles. Rejects with the problem. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`Engine.start() called in state ${this.state}`);
    this.state = 'starting';
    try {
      this.bundle = await loadBundle(this.opts.bundleDir, { modelRoot: this.opts.modelRoot, schemaPath: this.opts.schemaPath });
      servedStitchIds(this.bundle.manifest, this.opts.servedStitches);
      await this.bringUp();
      this.setReady();
    } catch (err) {
      this.state = 'closed';
      await this.host?.terminate();
      this.host = null;
      throw err;
    }
  }

  /**
   * Runs one batch on the worker. Validates at the boundary (UNSUPPORTED_TASK, UNKNOWN_STITCH, INVALID_TENSOR);
   * rejects with NOT_READY before start() finished, ENGINE_UNAVAILABLE while the worker restarts or if it dies
   * during this batch, ENGINE_FAILED if ONNX Runtime fails on it. `batch.pixels` is transferred: don't reuse it.
   */
  async run(batch: EngineBatch): Promise<EngineResult> {
    if (this.state === 'closed') throw new ServiceError('ENGINE_UNAVAILABLE', 'the engine is closed');
    if (this.meta === null) throw new ServiceError('NOT_READY', 'the engine is still loading and warming up');
    const dims = validateBatch(batch, this.meta.manifest, this.opts.maxBatch);
    if (this.state !== 'ready' || this.host === null) {
      throw new ServiceError('ENGINE_UNAVAILABLE', 'the engine worker is restarting', { retryAfterSeconds: 1 });
    }
    const reply = await this.host.run(batch.task, batch.stitchId, dims, transferablePixels(batch.pixels));
    this.store?.observe(batch.task, batch.stitchId, batch.batchSize, reply.computeMs);
    return reply;
  }

  /** What is served. Throws before start() resolved. */
  get metadata(): EngineMetadata {
    if (this.meta === null) throw new Error('Engine.metadata read before start() resolved');
    return this.meta;
  }

  /** Latency profile: "task:stitchId:batch" → ms for every served stitch × task × allowed batch size. */
  profile(): Map<string, number> {
    return new Map([...(this.store?.entries() ?? [])].map(([key, entry]) => [key, entry.ms]));
  }

  /** The profile with each entry's source (measured during warm-up / online, or interpolated). */
  profileEntries(): Map<string, LatencyEntry> {
    return new Map(this.store?.entries() ?? []);
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Worker deaths that triggered a restart since start() (→ stitchserve_engine_restarts_total). */
  get restarts(): number {
    return this.restartCount;
  }

  health(): EngineHealth {
    return {
      ready: this.state === 'ready',
      live: this.state === 'ready' || this.state === 'down',
      restarts: this.restartCount,
      inFlight: this.host?.inFlight ?? 0,
      lastError: this.lastError,
    };
  }

  /** Stops taking work, lets queued batches finish (bounded), ends the worker and saves the refreshed profile. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    const host = this.host;
    this.host = null;
    await host?.close();
    await this.store?.save().catch((err: Error) => this.opts.logger.warn(`profile cache not written: ${err.message}`));
  }

  /**
   * Test hook: kill or disturb the worker. `terminate` ends the thread from outside; `exit` and `throw` make
   * the worker exit or throw an uncaught exception; `stall` blocks the worker thread for `ms` (the promise
   * resolves once it is blocked, between runs: terminating a worker inside a native ORT run aborts the process).
   */
  simulateCrash(mode: 'terminate' | 'exit' | 'throw' | 'stall', ms = 0): Promise<void> {
    if (this.host === null) return Promise.resolve();
    if (mode === 'terminate') return this.host.terminate();
    return this.host.debug(mode, ms);
  }

  /** Spawns the worker, creates the session and warms up / profiles it. */
  private async bringUp(): Promise<void> {
    const bundle = this.bundle!;
    const manifest = bundle.manifest;
    let notes: string[] = [];
    const { host, hello, ready } = await WorkerHost.start((helloMessage) => {
      const choice = sessionOptionsFor(this.opts.session, usableBackendNames(helloMessage.backends));
      notes = choice.notes;
      const log = choice.device === 'cpu' && this.opts.session.device !== 'cpu' ? this.opts.logger.warn : this.opts.logger.info;
      for (const note of notes) log.call(this.opts.logger, note);
      return {
        type: 'init',
        graphPath: bundle.graphPath,
        device: choice.device,
        sessionOptions: choice.options,
        fallbackOptions: choice.fallback,
        plan: routePlanFor(manifest),
      };
    }, this.opts.logger);
    this.host = host;
    this.workerStartedAt = Date.now();
    this.opts.logger.info(`engine: ${manifest.name} session on ${ready.device} in ${ready.loadMs.toFixed(0)} ms (ORT ${hello.ortVersion})`);
    const served = servedStitchIds(manifest, this.opts.servedStitches);
    this.meta ??= Object.freeze({
      manifest,
      tasks: manifestTasks(manifest).map((name) => ({ name, spec: manifest.tasks[name]! })),
      stitches: manifest.stitches,
      servedStitchIds: served,
      batchSizes: this.opts.batchSizes,
      maxBatch: this.opts.maxBatch,
      device: ready.device,
      ortVersion: hello.ortVersion,
    });
    this.store ??= new ProfileStore(this.opts, this.meta, bundle.bundleSha256, hello.ortVersion);
    const runShape = async ({ task, stitchId, batch }: { task: string; stitchId: number; batch: number }) => {
      const { height, width } = manifest.tasks[task as keyof typeof manifest.tasks]!.input;
      const pixels = new Float32Array(batch * 3 * height * width);
      return (await host.run(task, stitchId, [batch, 3, height, width], pixels)).computeMs;
    };
    await this.store.warmUp(runShape, this.opts.logger);
    host.onExit = (code, cause) => this.onWorkerDeath(host, code, cause);
    if (!host.alive) throw new ServiceError('ENGINE_UNAVAILABLE', 'the engine worker exited during warm-up');
  }

  private setReady(): void {
    this.state = 'ready';
    this.emit('ready');
  }

  private onWorkerDeath(host: WorkerHost, code: number, cause: Error | undefined): void {
    if (this.state === 'closed' || host !== this.host) return;
    this.host = null;
    this.state = 'down';
    this.restartCount++;
    this.lastError = `engine worker exited with code ${code}${cause ? `: ${cause.message}` : ''}`;
    this.opts.logger.error(`${this.lastError}; restart #${this.restartCount}`);
    if (Date.now() - this.workerStartedAt >= this.opts.restart.stableAfterMs) this.backoffAttempt = 0;
    this.emit('down', new ServiceError('ENGINE_UNAVAILABLE', this.lastError));
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const { initialDelayMs, maxDelayMs } = this.opts.restart;
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** this.backoffAttempt++);
    this.restartTimer = setTimeout(() => void this.restart(), delay);
  }

  private async restart(): Promise<void> {
    this.restartTimer = null;
    if (this.state !== 'down') return;
    try {
      await this.bringUp();
      if (this.state !== 'down') return void (await this.host?.close());
      this.setReady();
      this.emit('restarted', this.restartCount);
    } catch (err) {
      this.lastError = `engine restart failed: ${(err as Error).message}`;
      this.opts.logger.error(this.lastError);
      await this.host?.terminate();
      this.host = null;
      if (this.state === 'down') this.scheduleRestart();
    }
  }
}

/** Creates and starts an engine; resolves once it is ready. */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const engine = new Engine(options);
  await engine.start();
  return engine;
}
