/**
 * Start-up (issue 8 item 5): time from spawning the server to GET /readyz = 200 (load + validate + session
 * + warm-up/profile + decoder warm-up), for the demo bundle and the real-size bundle, without a profile cache
 * (every planned shape is measured) and with the cache the first start wrote (each shape runs once, untimed).
 *
 *   npm run bench:startup -- [--bundle demo,real] [--reps 3] [--out bench/results]
 *
 * Each (no cache, cache) pair runs back to back, so their ratio is measured under the same machine load.
 * Writes bench/results/startup.json and startup.svg. Expected time: ~1 min (demo) + ~3 min (real).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Manifest } from '../src/bundle/manifest.js';
import { benchConfig, demoOrTiny, resolveBundle } from './lib/bench-config.js';
import { contextLine, finishContext, quantiles, RESULTS_DIR, rounded, runContext, writeResult } from './lib/results.js';
import { prepareRuntime, startServer, type StartTimes } from './lib/server-process.js';
import { table } from './lib/stats.js';
import { barChart, type BarPanel } from './lib/svg-bars.js';

const { values: args } = parseArgs({
  options: {
    bundle: { type: 'string', default: 'demo,real' },
    reps: { type: 'string' },
    out: { type: 'string', default: RESULTS_DIR },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('npm run bench:startup -- [--bundle demo|tiny|real|DIR[,...]] [--reps N] [--out DIR]');
  process.exit(0);
}
const log = (line: string) => process.stderr.write(`${line}\n`);

interface StartPair {
  cold: StartTimes;
  cached: StartTimes;
}

interface BundleStartup {
  bundle: string;
  weightFileBytes: number;
  pairs: StartPair[];
  coldReadyS: number;
  cachedReadyS: number;
  /** Median over pairs of cached ÷ cold time to ready. */
  cachedOverCold: number;
}

/** One start with a fresh (empty) profile cache, then one with the cache it wrote. */
async function pair(bundleDir: string): Promise<StartPair> {
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'stitchserve-startup-'));
  try {
    const start = async () => {
      const server = await startServer({ config: benchConfig({ bundle: bundleDir, profileCacheDir: cacheDir }) });
      await server.stop();
      return server.times;
    };
    const cold = await start();
    const cached = await start();
    return { cold, cached };
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

async function measure(name: string): Promise<BundleStartup | string> {
  const dir = resolveBundle(name);
  if (!existsSync(path.join(dir, 'manifest.json'))) return `${name}: no bundle at ${dir}, skipped`;
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const weightFileBytes = manifest.files.reduce((s, f) => s + f.bytes, 0);
  const reps = Number(args.reps ?? (weightFileBytes > 1e8 ? 1 : 3));
  const pairs: StartPair[] = [];
  for (let i = 0; i < reps; i++) {
    log(`${manifest.name}: start ${i + 1}/${reps} without, then with the profile cache ...`);
    pairs.push(await pair(dir));
    const p = pairs[pairs.length - 1]!;
    log(`  ready in ${(p.cold.readyMs / 1000).toFixed(1)} s (${p.cold.warmupKind}) / ${(p.cached.readyMs / 1000).toFixed(1)} s (${p.cached.warmupKind})`);
  }
  const med = (f: (p: StartPair) => number) => quantiles(pairs.map(f)).p50;
  return {
    bundle: name === 'demo' ? demoOrTiny().label : manifest.name,
    weightFileBytes,
    pairs,
    coldReadyS: med((p) => p.cold.readyMs) / 1000,
    cachedReadyS: med((p) => p.cached.readyMs) / 1000,
    cachedOverCold: med((p) => p.cached.readyMs / p.cold.readyMs),
  };
}

/** Stages of one start, seconds: process boot to listening, engine session, warm-up/profile, everything else. */
function stages(t: StartTimes) {
  const session = (t.sessionMs ?? 0) / 1000;
  const warm = (t.warmupMs ?? 0) / 1000;
  const boot = t.listeningMs / 1000;
  return { boot, session, warm, other: Math.max(0, t.readyMs / 1000 - boot - session - warm) };
}

async function main(): Promise<void> {
  const ctx = runContext();
  const { runtime, note: runtimeNote } = await prepareRuntime(log);
  const results: BundleStartup[] = [];
  const notes: string[] = [];
  if (runtimeNote !== '') notes.push(runtimeNote);
  if (args.bundle.split(',').includes('demo') && demoOrTiny().note) notes.push(demoOrTiny().note);
  for (const name of args.bundle.split(',')) {
    const r = await measure(name);
    if (typeof r === 'string') notes.push(r);
    else results.push(r);
  }
  finishContext(ctx);
  console.log(`start-up — ${contextLine(ctx)}`);
  for (const note of notes) console.log(`note: ${note}`);
  const s = (x: number) => x.toFixed(1);
  const rows = results.map((r) => {
    const c = stages(r.pairs[0]!.cold);
    const w = stages(r.pairs[0]!.cached);
    return [r.bundle, String(r.pairs.length), s(r.coldReadyS), s(r.cachedReadyS), `${r.cachedOverCold.toFixed(2)}x`, `${s(c.boot)} / ${s(c.session)} / ${s(c.warm)} / ${s(c.other)}`, `${s(w.boot)} / ${s(w.session)} / ${s(w.warm)} / ${s(w.other)}`];
  });
  console.log(table(['bundle', 'pairs', 'ready s, no cache', 'ready s, cache', 'cache/no cache', 'no cache: boot/session/profile/other s', 'cache: boot/session/warm/other s'], rows));
  const panels: BarPanel[] = results.map((r) => ({
    title: `${r.bundle}: spawn → ready (s), first pair`,
    unit: 's',
    bars: (['cold', 'cached'] as const).map((k) => {
      const st = stages(r.pairs[0]![k]);
      return {
        label: k === 'cold' ? 'no profile cache' : 'with profile cache',
        value: r.pairs[0]![k].readyMs / 1000,
        segments: [
          { label: 'boot (tsx, imports, listen)', value: st.boot },
          { label: 'ORT session', value: st.session },
          { label: k === 'cold' ? 'warm-up + profile' : 'warm-up (cached profile)', value: st.warm },
          { label: 'validate + decoders + rest', value: st.other },
        ],
      };
    }),
  }));
  const load = ctx.loadBefore.map((v) => v.toFixed(1)).join('/');
  const svg = barChart('Start-up: time to ready', `${ctx.date.slice(0, 16)} · ${ctx.cpu} × ${ctx.cores} · load avg ${load} at start`, panels);
  const files = await writeResult(args.out, 'startup', ctx, rounded({ runtime, notes, results }), svg);
  log(`wrote ${files.join(' and ')}`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
