/**
 * The typed message protocol between the main thread (WorkerHost) and the engine worker (worker.ts).
 * Only plain structured-clone data crosses; tensor buffers are transferred, never cloned.
 *
 * Sequence: worker → hello; main → init; worker → ready | initFailed; then any number of
 * main → run / worker → result | failed (matched by id, executed one at a time in arrival order);
 * main → close; worker → closed. `debug` messages exist only for failure tests.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { ErrorCode } from '../errors.js';

/** An error as it crosses the thread boundary; rebuilt with ServiceError.fromJSON. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

/** ORT backend as reported inside the worker; `installed` says whether its provider library is present. */
export interface BackendInfo {
  name: string;
  bundled: boolean;
  installed: boolean;
}

/** What the worker needs to build the per-(task, stitch) condition feeds; derived from the manifest. */
export interface RoutePlan {
  input: string;
  conditions: string[];
  /** Per task: its condition input, its outputs and the pixels input size [H, W]. */
  tasks: Record<string, { condition: string; outputs: string[]; height: number; width: number }>;
  stitches: { id: number; slots: number[] }[];
}

export interface InitMessage {
  type: 'init';
  graphPath: string;
  device: 'cpu' | 'cuda';
  sessionOptions: InferenceSession.SessionOptions;
  /** CPU options to retry with when the CUDA session cannot be created; null on CPU. */
  fallbackOptions: InferenceSession.SessionOptions | null;
  plan: RoutePlan;
}

export interface RunMessage {
  type: 'run';
  id: number;
  task: string;
  stitchId: number;
  /** [B, 3, H, W] */
  dims: number[];
  /** Transferred; length = product of dims. */
  pixels: Float32Array;
}

export interface DebugMessage {
  type: 'debug';
  /** exit: process.exit(70) in the worker; throw: uncaught exception; stall: block the worker thread for `ms`. */
  action: 'exit' | 'throw' | 'stall';
  ms?: number;
}

export interface CloseMessage {
  type: 'close';
}

export type ToWorker = InitMessage | RunMessage | DebugMessage | CloseMessage;

export interface WireTensor {
  dims: number[];
  data: Float32Array;
}

export type FromWorker =
  | { type: 'hello'; ortVersion: string; backends: BackendInfo[] }
  | { type: 'ready'; device: 'cpu' | 'cuda'; loadMs: number; inputNames: string[]; outputNames: string[] }
  | { type: 'initFailed'; error: WireError }
  | { type: 'result'; id: number; outputs: Record<string, WireTensor>; computeMs: number; cpuMs: number }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'closed' }
  /** The worker is about to block in a `stall` (test hook): no native run is in progress from now on. */
  | { type: 'stalled' };
