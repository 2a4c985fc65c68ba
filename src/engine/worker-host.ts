import { Worker } from 'node:worker_threads';
import { ServiceError } from '../errors.js';
import type { FromWorker, InitMessage, ToWorker, WireTensor } from './protocol.js';

/** Minimal logger; pino and console both fit. */
export interface EngineLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type HelloMessage = Extract<FromWorker, { type: 'hello' }>;
export type ReadyMessage = Extract<FromWorker, { type: 'ready' }>;

export interface RunReply {
  outputs: Record<string, WireTensor>;
  /** Wall-clock time of session.run in the worker, ms. */
  computeMs: number;
  /**
   * CPU time the whole process used during session.run (all ORT threads), ms. Independent of other processes
   * competing for the cores, so benchmarks compare work with it; it includes other threads of this process.
   */
  cpuMs: number;
}

interface Pending {
  resolve(reply: RunReply): void;
  reject(err: ServiceError): void;
}

/**
 * Starts the worker script next to this file. Built code (.js) loads directly. When running the TypeScript
 * sources under tsx (tests, dev, bench), Node 20 does not apply the parent's loader to a worker's entry file,
 * so a two-line bootstrap registers tsx inside the worker first and then imports worker.ts.
 */
function spawnWorkerThread(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url));
  const entry = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  const tsxApi = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${tsxApi}).then(({ register }) => { register(); return import(${entry}); });`, { eval: true });
}

/**
 * Main-thread handle of ONE engine worker: spawns it, performs the hello/init handshake, matches run replies
 * to requests, and turns the worker's death into ENGINE_UNAVAILABLE rejections of everything in flight.
 * It never restarts anything; the Engine decides that from `onExit`.
 */
export class WorkerHost {
  /** Called once when the thread has exited, for whatever reason (after in-flight calls were rejected). */
  onExit: ((exitCode: number, cause: Error | undefined) => void) | null = null;

  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;
  private lastError: Error | undefined;
  private closedSignal: (() => void) | null = null;
  private stalledSignal: (() => void) | null = null;
  private handshake: { resolve(message: FromWorker): void; reject(err: Error): void } | null = null;

  private constructor(private readonly logger: EngineLogger) {
    this.worker = spawnWorkerThread();
    this.worker.on('message', (message: FromWorker) => this.onMessage(message));
    this.worker.on('error', (err) => {
      this.lastError = err;
      this.logger.error(`engine worker crashed: ${err.message}`);
    });
    this.worker.on('exit', (code) => this.onWorkerExit(code));
  }

  /**
   * Spawns a worker and brings it to `ready`. `configure` turns the worker's hello (ORT version, backends)
   * into the init message. Rejects (and terminates the worker) if the session cannot be created.
   */
  static async start(
    configure: (hello: HelloMessage) => InitMessage,
    logger: EngineLogger,
  ): Promise<{ host: WorkerHost; hello: HelloMessage; ready: ReadyMessage }> {
    const host = new WorkerHost(logger);
    try {
      const hello = (await host.nextHandshake()) as HelloMessage;
      host.post(configure(hello));
      const reply = await host.nextHandshake();
      if (reply.type === 'initFailed') throw ServiceError.fromJSON(reply.error);
      return { host, hello, ready: reply as ReadyMessage };
    } catch (err) {
      await host.terminate();
      throw err;
    }
  }

  get alive(): boolean {
    return !this.exited;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Runs one batch. `pixels.buffer` is transferred to the worker and detached here. */
  run(task: string, stitchId: number, dims: number[], pixels: Float32Array): Promise<RunReply> {
    if (this.exited) return Promise.reject(unavailable('the engine worker is not running'));
    const id = this.nextId++;
    return new Promise<RunReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'run', id, task, stitchId, dims, pixels }, [pixels.buffer as ArrayBuffer]);
    });
  }

  /**
   * Test hook: make the worker exit, throw, or block its thread. For `stall`, resolves once the worker is blocked
   * (between runs); otherwise at once.
   */
  debug(action: 'exit' | 'throw' | 'stall', ms = 0): Promise<void> {
    const stalled = action === 'stall' ? new Promise<void>((resolve) => (this.stalledSignal = resolve)) : Promise.resolve();
    this.post({ type: 'debug', action, ms });
    return stalled;
  }

  /** Asks the worker to release its session after the queued runs, then ends the thread (bounded wait). */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.exited) return;
    const closed = new Promise<void>((resolve) => (this.closedSignal = resolve));
    this.post({ type: 'close' });
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    await this.terminate();
  }

  /** Ends the thread now; in-flight calls reject with ENGINE_UNAVAILABLE. */
  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }

  private post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private nextHandshake(): Promise<FromWorker> {
    if (this.exited) return Promise.reject(unavailable('the engine worker exited during start-up', this.lastError));
    return new Promise<FromWorker>((resolve, reject) => (this.handshake = { resolve, reject })).finally(() => {
      this.handshake = null;
    });
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'hello':
      case 'ready':
      case 'initFailed':
        this.handshake?.resolve(message);
        return;
      case 'result':
      case 'failed': {
        const call = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (call === undefined) return;
        if (message.type === 'result') call.resolve({ outputs: message.outputs, computeMs: message.computeMs, cpuMs: message.cpuMs });
        else call.reject(ServiceError.fromJSON(message.error));
        return;
      }
      case 'log':
        this.logger[message.level](`engine worker: ${message.message}`);
        return;
      case 'closed':
        this.closedSignal?.();
        return;
      case 'stalled':
        this.stalledSignal?.();
        this.stalledSignal = null;
        return;
    }
  }

  private onWorkerExit(code: number): void {
    this.exited = true;
    const error = unavailable(`the engine worker exited (code ${code}) before finishing this batch; it is restarting`, this.lastError);
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
    this.handshake?.reject(unavailable(`the engine worker exited with code ${code} during start-up`, this.lastError));
    this.onExit?.(code, this.lastError);
  }
}

function unavailable(message: string, cause?: unknown): ServiceError {
  return new ServiceError('ENGINE_UNAVAILABLE', message, { retryAfterSeconds: 1, cause });
}
