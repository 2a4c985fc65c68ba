import type { Manifest, TaskName } from '../../src/bundle/manifest.js';
import { Engine } from '../../src/engine/engine.js';
import { benchConfig, BENCH_OUT } from './bench-config.js';
import { BenchClient } from './http-client.js';
import type { BenchImage } from './images.js';
import { quantiles } from './results.js';
import { startServer } from './server-process.js';
import { LatencySamples, sequentialEngine, sequentialHttp, type DirectLatency, type HttpLatency } from './serving-latency.js';
import { throughputRounds, type ThroughputRound } from './serving-throughput.js';
import path from 'node:path';

/** How much to measure on one bundle. */
export interface ServingPlan {
  bundleDir: string;
  label: string;
  task: TaskName;
  stitchId: number;
  stitchWhy: string;
  maxBatch: number;
  rounds: number;
  smallPerRound: number;
  largePerRound: number;
  seconds: number;
  connections: number;
}

export interface ServingBundleResult {
  bundle: string;
  task: TaskName;
  stitchId: number;
  stitchWhy: string;
  maxBatch: number;
  connections: number;
  latency: { small: HttpLatency; large: HttpLatency; direct: DirectLatency };
  throughput: {
    rounds: ThroughputRound[];
    /** Median over rounds of server ÷ direct (each round's pair ran back to back). */
    medianRatio: number;
    serverPerS: number;
    directPerS: number;
  };
}

/** The cheapest and the dearest anchor of a task (by FLOPs). */
export function anchorsOf(manifest: Readonly<Manifest>, task: TaskName): { small: number; large: number } {
  const anchors = manifest.stitches.filter((s) => s.kind === 'anchor').sort((a, b) => (a.flops[task] ?? a.params) - (b.flops[task] ?? b.params));
  if (anchors.length === 0) throw new Error(`bundle ${manifest.name} has no anchor stitch`);
  return { small: anchors[0]!.id, large: anchors[anchors.length - 1]!.id };
}

/**
 * Serving overhead on one bundle: the server (spawned, policy fixed:<stitch>) and the engine driven directly
 * in this process (same bundle, threads, batch sizes, profile cache), measured in interleaved rounds so load
 * drift on the shared machine hits both sides alike. Only one side runs at a time.
 */
export async function measureServing(plan: ServingPlan, small: BenchImage, large: BenchImage, log: (l: string) => void): Promise<ServingBundleResult> {
  log(`[${plan.label}] starting the server (policy fixed:${plan.stitchId}, max batch ${plan.maxBatch}) ...`);
  const server = await startServer({ config: benchConfig({ bundle: plan.bundleDir, policy: `fixed:${plan.stitchId}`, maxBatch: plan.maxBatch, queueBound: 256 }) });
  const engine = new Engine({
    bundleDir: plan.bundleDir,
    modelRoot: path.dirname(plan.bundleDir),
    threads: 2,
    maxBatch: plan.maxBatch,
    profileCacheDir: path.join(BENCH_OUT, 'profile-cache'),
  });
  const client = new BenchClient(server.url, plan.connections + 4);
  try {
    log(`[${plan.label}] server ready in ${(server.times.readyMs / 1000).toFixed(1)} s; starting the direct engine ...`);
    await engine.start();
    const spec = engine.metadata.manifest.tasks[plan.task]!;
    const itemSize = 3 * spec.input.height * spec.input.width;
    // Untimed: first requests pay one-off costs (JIT, sockets, decoder paths, allocations).
    await sequentialHttp(client, plan.task, small, 5);
    await sequentialHttp(client, plan.task, large, 1);
    await sequentialEngine(engine, plan.task, plan.stitchId, itemSize, 5, new LatencySamples());

    const samples = new LatencySamples();
    for (let r = 0; r < plan.rounds; r++) {
      const blocks = [
        async () => samples.addHttp('small', await sequentialHttp(client, plan.task, small, plan.smallPerRound)),
        async () => sequentialEngine(engine, plan.task, plan.stitchId, itemSize, plan.smallPerRound, samples),
        async () => samples.addHttp('large', await sequentialHttp(client, plan.task, large, plan.largePerRound)),
      ];
      for (const block of r % 2 === 0 ? blocks : [...blocks].reverse()) await block();
      log(`[${plan.label}] latency round ${r + 1}/${plan.rounds} done`);
    }
    const latency = { small: samples.httpSummary('small'), large: samples.httpSummary('large'), direct: samples.directSummary() };

    log(`[${plan.label}] throughput: ${plan.rounds} × (${plan.seconds} s autocannon, ${plan.connections} connections | ${plan.seconds} s engine loop at batch ${plan.maxBatch})`);
    const rounds = await throughputRounds(
      engine,
      { url: server.url, task: plan.task, stitchId: plan.stitchId, bodyFile: small.file, connections: plan.connections, seconds: plan.seconds, batch: plan.maxBatch, itemSize },
      plan.rounds,
      log,
    );
    return {
      bundle: plan.label,
      task: plan.task,
      stitchId: plan.stitchId,
      stitchWhy: plan.stitchWhy,
      maxBatch: plan.maxBatch,
      connections: plan.connections,
      latency,
      throughput: {
        rounds,
        medianRatio: quantiles(rounds.map((r) => r.ratio)).p50,
        serverPerS: quantiles(rounds.map((r) => r.server.okPerS)).p50,
        directPerS: quantiles(rounds.map((r) => r.directPerS)).p50,
      },
    };
  } finally {
    client.close();
    await engine.close().catch(() => undefined);
    await server.stop();
  }
}
