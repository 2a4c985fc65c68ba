import type { Manifest, TaskName } from '../../src/bundle/manifest.js';
import { benchConfig } from './bench-config.js';
import { BenchClient } from './http-client.js';
import { procMemory, type ProcMemory } from './proc-memory.js';
import { startServer } from './server-process.js';

/** Resident memory of one server process, after start-up and after exercising the family. */
export interface ServerMemory {
  bundle: string;
  readyMs: number;
  afterReady: ProcMemory;
  afterExercise: ProcMemory;
  /** Requests sent per task (pinned stitches at batch 1, then bursts that form full batches). */
  exercised: Record<string, { stitches: number[]; requests: number; failed: number }>;
  frontier: Record<string, number[]>;
}

/**
 * Spawns the server on a bundle (default policy, warm-up on) and measures its resident memory from
 * /proc/<pid>/status after ready, then after running, for every task, each chosen stitch once at batch 1
 * (`stitch=<id>`) and a burst of `maxBatch` concurrent requests on the cheapest and dearest of them (full
 * batches): the transient activation memory of large batches and the touched pages of every used weight
 * are then resident too. `allStitches` exercises every stitch; otherwise anchors + the server's frontier.
 */
export async function measureServerMemory(
  bundleDir: string,
  manifest: Readonly<Manifest>,
  options: { allStitches: boolean; maxBatch: number; image: Buffer },
  log: (l: string) => void,
): Promise<ServerMemory> {
  const server = await startServer({ config: benchConfig({ bundle: bundleDir, maxBatch: options.maxBatch, queueBound: 256 }) });
  const client = new BenchClient(server.url, options.maxBatch + 4);
  try {
    const afterReady = procMemory(server.pid);
    const exercised: ServerMemory['exercised'] = {};
    const frontier: ServerMemory['frontier'] = {};
    const headers = { 'content-type': 'image/jpeg', 'x-latency-budget-ms': '600000' };
    for (const task of Object.keys(manifest.tasks) as TaskName[]) {
      const { stitches } = await client.getJson<{ stitches: { id: number; gflops: number; kind: string; onFrontier: boolean }[] }>(`/v1/stitches?task=${task}&scope=all`);
      frontier[task] = stitches.filter((s) => s.onFrontier).map((s) => s.id);
      const chosen = stitches.filter((s) => options.allStitches || s.onFrontier || s.kind === 'anchor').sort((a, b) => a.gflops - b.gflops);
      log(`  ${task}: ${chosen.length} stitches at b1, bursts of ${options.maxBatch} on the cheapest and dearest`);
      let requests = 0;
      let failed = 0;
      const send = async (id: number) => {
        const r = await client.post(`/v1/${task}?stitch=${id}`, options.image, headers);
        requests++;
        if (r.status !== 200) failed++;
      };
      for (const s of chosen) await send(s.id);
      for (const s of [chosen[0]!, chosen[chosen.length - 1]!]) await Promise.all(Array.from({ length: options.maxBatch }, () => send(s.id)));
      exercised[task] = { stitches: chosen.map((s) => s.id), requests, failed };
    }
    return { bundle: manifest.name, readyMs: server.times.readyMs, afterReady, afterExercise: procMemory(server.pid), exercised, frontier };
  } finally {
    client.close();
    await server.stop();
  }
}
