/**
 * Child-process probe (one engine per process, so resident memory is not mixed with other sessions):
 * starts an Engine on a bundle with the given session options and no warm-up, records resident memory after
 * loading, runs every requested (stitch, batch) `reps` times interleaved, records memory again, and prints one
 * JSON line. Usage: tsx bench/lib/memory-probe.ts '<ProbeRequest JSON>'
 */
import { performance } from 'node:perf_hooks';
import { Engine } from '../../src/engine/engine.js';
import { median } from '../../src/engine/profiler.js';
import { procMemory, type ProcMemory } from './proc-memory.js';

export interface ProbeRequest {
  bundleDir: string;
  modelRoot: string;
  task: string;
  stitches: number[];
  batches: number[];
  reps: number;
  threads: number;
  prepacking: boolean;
  memArena: boolean;
  memPattern?: boolean;
  /** Extra environment for the probe process (e.g. glibc malloc tunables). */
  env?: Record<string, string>;
}

export interface ProbeResult {
  /** Session creation in the worker, ms. */
  sessionMs: number;
  /** start() including bundle validation (sha256 of every file), ms. */
  startMs: number;
  beforeLoad: ProcMemory;
  afterLoad: ProcMemory;
  afterRuns: ProcMemory;
  /** "stitchId:batch" → median compute ms. */
  latency: Record<string, number>;
}

async function main(request: ProbeRequest): Promise<ProbeResult> {
  let sessionMs = NaN;
  const logger = {
    info: (m: string) => {
      const match = / in (\d+) ms \(ORT/.exec(m);
      if (match) sessionMs = Number(match[1]);
    },
    warn: (m: string) => console.error(m),
    error: (m: string) => console.error(m),
  };
  const beforeLoad = procMemory();
  const started = performance.now();
  const engine = new Engine({
    bundleDir: request.bundleDir,
    modelRoot: request.modelRoot,
    threads: request.threads,
    prepacking: request.prepacking,
    memArena: request.memArena,
    memPattern: request.memPattern ?? true,
    maxBatch: Math.max(...request.batches),
    batchSizes: request.batches,
    warmup: { enabled: false },
    profileCacheDir: null,
    logger,
  });
  await engine.start();
  const startMs = performance.now() - started;
  const afterLoad = procMemory();
  const spec = engine.metadata.manifest.tasks[request.task as 'classify']!;
  const times = new Map<string, number[]>();
  for (let rep = 0; rep < request.reps; rep++) {
    for (const stitchId of request.stitches) {
      for (const batch of request.batches) {
        const pixels = new Float32Array(batch * 3 * spec.input.height * spec.input.width);
        const { computeMs } = await engine.run({ task: request.task as 'classify', stitchId, batchSize: batch, pixels });
        const key = `${stitchId}:${batch}`;
        times.set(key, [...(times.get(key) ?? []), computeMs]);
      }
    }
  }
  const afterRuns = procMemory();
  await engine.close();
  // The first run of each shape includes one-off allocations; drop it when there are more.
  const latency = Object.fromEntries([...times].map(([key, t]) => [key, median(t.length > 1 ? t.slice(1) : t)]));
  return { sessionMs, startMs, beforeLoad, afterLoad, afterRuns, latency };
}

const request = JSON.parse(process.argv[2] ?? '{}') as ProbeRequest;
main(request).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
