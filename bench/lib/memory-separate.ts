import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest, TaskName } from '../../src/bundle/manifest.js';
import { BENCH_OUT } from './bench-config.js';
import { PYTHON_ENV, runCommand, runTsChild } from './child-json.js';
import type { SessionProbeRequest, SessionProbeResult } from './session-memory-probe.js';

/** The alternative deployment: one single-route model per frontier stitch, each its own ORT session. */
export interface SeparateModels {
  task: TaskName;
  frontier: number[];
  /** params × 4 per frontier stitch: the weight bytes of its single-route export (fp32). */
  weightBytes: Record<string, number>;
  totalWeightBytes: number;
  method: 'measured: every frontier model loaded in one process' | 'measured one model, extrapolated by weight bytes';
  measured: { stitches: number[]; files: string[]; weightBytes: number; rssDelta: number; anonDelta: number; fileDelta: number };
  /** Resident bytes above the bare runtime for all frontier models (measured, or ratio × total weight bytes). */
  rssDelta: number;
  /** The bare runtime (Node + tsx + ORT, no session) this delta is above. */
  runtimeRss: number;
}

const PROBE = 'bench/lib/session-memory-probe.ts';

/** The single-route ONNX of one stitch, exported by the toolchain into bench/out/routes unless it exists. */
async function singleRoute(bundleDir: string, manifest: Readonly<Manifest>, id: number, task: TaskName): Promise<string> {
  const out = path.join(BENCH_OUT, 'routes', manifest.name, `stitch-${id}.${task}.onnx`);
  if (existsSync(out)) return out;
  await mkdir(path.dirname(out), { recursive: true });
  await runCommand('nice', ['-n', '10', '/usr/bin/python3', '-m', 'stitchkit', 'export-route', '--bundle', bundleDir, '--stitch', String(id), '--task', task, '--out', out, '--quiet'], PYTHON_ENV);
  return out;
}

/** An export H3's engine bench already made under <bundle>/routes (the largest), if any. */
function existingRoute(bundleDir: string, task: TaskName): { file: string; id: number } | undefined {
  const dir = path.join(bundleDir, 'routes');
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .map((f) => ({ f, m: new RegExp(`^stitch-(\\d+)\\.${task}\\.onnx$`).exec(f) }))
    .filter((x) => x.m !== null)
    .map((x) => ({ file: path.join(dir, x.f), id: Number(x.m![1]) }));
  return files.sort((a, b) => statSync(b.file).size - statSync(a.file).size)[0];
}

/**
 * Resident memory of the frontier as separate models. Small families (`measureAll`): every frontier stitch
 * exported and loaded at once in one probe process. Real-size: one single-route model is measured (an
 * existing export when there is one, else the cheapest frontier stitch is exported) and its resident bytes
 * per weight byte scale the frontier's total weight bytes.
 */
export async function measureSeparateModels(
  bundleDir: string,
  manifest: Readonly<Manifest>,
  task: TaskName,
  frontier: readonly number[],
  options: { measureAll: boolean; batches: number[]; threads: number },
  log: (l: string) => void,
): Promise<SeparateModels> {
  const spec = manifest.tasks[task]!;
  const byId = new Map(manifest.stitches.map((s) => [s.id, s]));
  const weightBytes = Object.fromEntries(frontier.map((id) => [String(id), byId.get(id)!.params * 4]));
  const totalWeightBytes = Object.values(weightBytes).reduce((a, b) => a + b, 0);
  let measuredIds: number[];
  let files: string[];
  if (options.measureAll) {
    measuredIds = [...frontier];
    log(`  exporting ${frontier.length} single-route models (stitches ${frontier.join(', ')}) ...`);
    files = [];
    for (const id of frontier) files.push(await singleRoute(bundleDir, manifest, id, task));
  } else {
    const existing = existingRoute(bundleDir, task);
    const cheapest = [...frontier].sort((a, b) => byId.get(a)!.params - byId.get(b)!.params)[0]!;
    if (existing === undefined) log(`  exporting the single-route model of stitch ${cheapest} ...`);
    const one = existing ?? { id: cheapest, file: await singleRoute(bundleDir, manifest, cheapest, task) };
    measuredIds = [one.id];
    files = [one.file];
  }
  const probe = (graphs: SessionProbeRequest['graphs']) => runTsChild<SessionProbeResult>(PROBE, { graphs, batches: options.batches, threads: options.threads });
  log(`  probing the bare runtime and ${files.length} session(s) ...`);
  const bare = await probe([]);
  const loaded = await probe(files.map((f) => ({ path: f, height: spec.input.height, width: spec.input.width })));
  const measured = {
    stitches: measuredIds,
    files: files.map((f) => path.relative(path.dirname(BENCH_OUT), f)),
    weightBytes: measuredIds.reduce((s, id) => s + byId.get(id)!.params * 4, 0),
    rssDelta: loaded.afterRuns.rss - bare.afterRuns.rss,
    anonDelta: loaded.afterRuns.anon - bare.afterRuns.anon,
    fileDelta: loaded.afterRuns.file - bare.afterRuns.file,
  };
  return {
    task,
    frontier: [...frontier],
    weightBytes,
    totalWeightBytes,
    method: options.measureAll ? 'measured: every frontier model loaded in one process' : 'measured one model, extrapolated by weight bytes',
    measured,
    rssDelta: options.measureAll ? measured.rssDelta : (measured.rssDelta / measured.weightBytes) * totalWeightBytes,
    runtimeRss: bare.afterRuns.rss,
  };
}
