import type { InferenceSession } from 'onnxruntime-node';
import type { TaskName, TaskSpec } from '../../src/bundle/manifest.js';
import type { Engine } from '../../src/engine/engine.js';
import type { EngineLogger } from '../../src/engine/worker-host.js';
import { startSingleRouteHost } from './route-session.js';
import { median } from './stats.js';

export interface PairResult {
  stitchId: number;
  batch: number;
  /** Worker-measured session.run times, ms, in run order. */
  engineMs: number[];
  monoMs: number[];
  engineMedianMs: number;
  monoMedianMs: number;
  /** median(engine) / median(mono). */
  ratio: number;
  /** min(engine) / min(mono): the least disturbed run of each, robust when the machine is shared. */
  minRatio: number;
  /** Median process CPU time per run (all ORT threads), ms: the work, whatever else competes for the cores. */
  engineCpuMs: number;
  monoCpuMs: number;
  cpuRatio: number;
  /** Per-run process CPU ms, in run order (same rounds as engineMs/monoMs). */
  engineCpu: number[];
  monoCpu: number[];
  /** Median over repetitions of engineCpu_i / monoCpu_i: the least load-sensitive ratio. */
  pairedCpuRatio: number;
  /** Median over repetitions of engine_i / mono_i (the pair ran back to back). */
  pairedRatio: number;
}

/**
 * Times one stitch through the engine (route graph) and through its monolithic single-route graph, loaded in
 * a second worker with identical session options. Per batch size: one untimed run each, then `reps` rounds,
 * alternating which of the two goes first (ABBA), so drifts in machine load hit both alike.
 */
export async function compareStitch(args: {
  engine: Engine;
  monoPath: string;
  task: TaskName;
  spec: Readonly<TaskSpec>;
  stitchId: number;
  batches: readonly number[];
  /** Rounds per batch size. */
  reps: (batch: number) => number;
  sessionOptions: InferenceSession.SessionOptions;
  logger: EngineLogger;
}): Promise<PairResult[]> {
  const { engine, task, spec, stitchId } = args;
  const mono = await startSingleRouteHost(args.monoPath, task, spec, stitchId, args.sessionOptions, args.logger);
  const size = (batch: number) => batch * 3 * spec.input.height * spec.input.width;
  const runEngine = (batch: number) => engine.run({ task, stitchId, batchSize: batch, pixels: new Float32Array(size(batch)) });
  const runMono = (batch: number) => mono.run(task, stitchId, [batch, 3, spec.input.height, spec.input.width], new Float32Array(size(batch)));
  try {
    const results: PairResult[] = [];
    for (const batch of args.batches) {
      await runEngine(batch);
      await runMono(batch);
      const engineRuns: { computeMs: number; cpuMs?: number }[] = [];
      const monoRuns: { computeMs: number; cpuMs: number }[] = [];
      for (let rep = 0; rep < args.reps(batch); rep++) {
        if (rep % 2 === 0) {
          engineRuns.push(await runEngine(batch));
          monoRuns.push(await runMono(batch));
        } else {
          monoRuns.push(await runMono(batch));
          engineRuns.push(await runEngine(batch));
        }
      }
      const engineMs = engineRuns.map((r) => r.computeMs);
      const monoMs = monoRuns.map((r) => r.computeMs);
      const engineCpu = engineRuns.map((r) => r.cpuMs ?? NaN);
      const monoCpu = monoRuns.map((r) => r.cpuMs);
      const engineCpuMs = median(engineCpu);
      const monoCpuMs = median(monoCpu);
      const engineMedianMs = median(engineMs);
      const monoMedianMs = median(monoMs);
      results.push({
        stitchId, batch, engineMs, monoMs, engineMedianMs, monoMedianMs,
        ratio: engineMedianMs / monoMedianMs,
        minRatio: Math.min(...engineMs) / Math.min(...monoMs),
        engineCpuMs, monoCpuMs, cpuRatio: engineCpuMs / monoCpuMs, engineCpu, monoCpu,
        pairedCpuRatio: median(engineCpu.map((ms, i) => ms / monoCpu[i]!)),
        pairedRatio: median(engineMs.map((ms, i) => ms / monoMs[i]!)),
      });
    }
    return results;
  } finally {
    await mono.close();
  }
}
