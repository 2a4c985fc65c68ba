/**
 * Child-process probe: resident memory of ONNX Runtime sessions holding separate single-route graphs (one
 * model per stitch, the deployment the route graph replaces). Loads every given graph as its own session with
 * the engine's default session options, runs each once at every batch size (zeros), and prints one JSON line
 * with /proc memory before loading, after loading and after the runs. With no graphs it measures the bare
 * runtime (Node + tsx + ORT loaded). Inference runs on the main thread here: this probe measures memory only.
 *
 * Usage: tsx bench/lib/session-memory-probe.ts '{"graphs":[{"path","height","width"}],"batches":[1,8],"threads":2}'
 */
import ort from 'onnxruntime-node';
import { resolveEngineOptions } from '../../src/engine/engine-options.js';
import { sessionOptionsFor } from '../../src/engine/session-options.js';
import { procMemory, type ProcMemory } from './proc-memory.js';

export interface SessionProbeRequest {
  graphs: { path: string; height: number; width: number }[];
  batches: number[];
  threads: number;
}

export interface SessionProbeResult {
  beforeLoad: ProcMemory;
  afterLoad: ProcMemory;
  afterRuns: ProcMemory;
  sessions: number;
}

async function main(request: SessionProbeRequest): Promise<SessionProbeResult> {
  // The engine's own defaults (arena, memory pattern, prepacking, no spinning), so only the graphs differ.
  const { session } = resolveEngineOptions({ bundleDir: '.', threads: request.threads });
  const options = sessionOptionsFor(session, ['cpu']).options;
  const beforeLoad = procMemory();
  const sessions: ort.InferenceSession[] = [];
  for (const g of request.graphs) sessions.push(await ort.InferenceSession.create(g.path, options));
  const afterLoad = procMemory();
  for (const [i, s] of sessions.entries()) {
    const g = request.graphs[i]!;
    for (const b of request.batches) {
      const pixels = new ort.Tensor('float32', new Float32Array(b * 3 * g.height * g.width), [b, 3, g.height, g.width]);
      await s.run({ [s.inputNames[0]!]: pixels });
    }
  }
  const afterRuns = procMemory();
  for (const s of sessions) await s.release();
  return { beforeLoad, afterLoad, afterRuns, sessions: sessions.length };
}

const request = JSON.parse(process.argv[2] ?? '{}') as SessionProbeRequest;
main(request).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
