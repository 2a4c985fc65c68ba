import type { InferenceSession } from 'onnxruntime-node';

/** Where the route graph should run. `auto` picks CUDA when its provider is usable, else CPU. */
export type DeviceSetting = 'cpu' | 'cuda' | 'auto';

/** The ORT-facing slice of the engine configuration. */
export interface SessionConfig {
  device: DeviceSetting;
  /** CUDA device ordinal (only with a CUDA session). */
  cudaDeviceId: number;
  /** ORT intra-op threads (≥ 1). Spinning is always off, so several processes/sessions don't steal CPU. */
  intraOpThreads: number;
  /** ORT CPU memory arena. Measured: see docs/engine.md. */
  memArena: boolean;
  /** ORT memory pattern (pre-planned activation buffers per input shape). Measured: see docs/engine.md. */
  memPattern: boolean;
  /** MatMul weight prepacking: faster, but a second resident copy of prepacked weights. See docs/engine.md. */
  prepacking: boolean;
}

/** The decision for one session: device, full ORT options, and human-readable notes (e.g. why it fell back). */
export interface SessionChoice {
  device: 'cpu' | 'cuda';
  options: InferenceSession.SessionOptions;
  /** CPU options to retry with if creating the CUDA session fails; null for a CPU session. */
  fallback: InferenceSession.SessionOptions | null;
  notes: string[];
}

/**
 * Pure: the ORT session options for `config` given the names of the execution providers that are usable on
 * this machine (see detectUsableBackends in the worker). `device: cuda` without a usable CUDA provider falls
 * back to CPU with a note; it never throws for a missing GPU.
 */
export function sessionOptionsFor(config: SessionConfig, usableBackends: readonly string[]): SessionChoice {
  const cudaUsable = usableBackends.includes('cuda');
  const cpu = cpuOptions(config);
  const notes: string[] = [];
  if (config.device === 'cpu') return { device: 'cpu', options: cpu, fallback: null, notes };
  if (!cudaUsable) {
    notes.push(
      `device ${config.device}: the CUDA execution provider is not available ` +
        `(usable backends: ${usableBackends.join(', ') || 'none'}); running on CPU`,
    );
    return { device: 'cpu', options: cpu, fallback: null, notes };
  }
  notes.push(`device ${config.device}: using the CUDA execution provider on device ${config.cudaDeviceId}`);
  const options: InferenceSession.SessionOptions = {
    ...cpu,
    // CPU stays in the list for the few ops CUDA lacks; the scalar bool `If` conditions live in host memory.
    executionProviders: [{ name: 'cuda', deviceId: config.cudaDeviceId }, 'cpu'],
  };
  return { device: 'cuda', options, fallback: cpu, notes };
}

function cpuOptions(config: SessionConfig): InferenceSession.SessionOptions {
  if (!Number.isInteger(config.intraOpThreads) || config.intraOpThreads < 1) {
    throw new RangeError(`intraOpThreads must be an integer ≥ 1, got ${config.intraOpThreads}`);
  }
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: config.intraOpThreads,
    // One graph runs at a time; inter-op parallelism only adds threads that compete with intra-op ones.
    interOpNumThreads: 1,
    enableCpuMemArena: config.memArena,
    enableMemPattern: config.memPattern,
    logSeverityLevel: 3,
    extra: {
      session: {
        // Values must be strings; the Node binding silently ignores unknown keys.
        intra_op: { allow_spinning: '0' },
        disable_prepacking: config.prepacking ? '0' : '1',
      },
    },
  };
}

/**
 * Which listed backends can really be used: ORT lists `cuda` even when its provider library was not
 * installed (`bundled: false`, the download skipped at npm install), so a non-bundled backend counts only
 * when its shared library exists next to the binding.
 */
export function usableBackendNames(backends: readonly { name: string; bundled: boolean; installed: boolean }[]): string[] {
  return backends.filter((b) => b.bundled || b.installed).map((b) => b.name);
}
