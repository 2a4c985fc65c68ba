/**
 * npm run bench — every benchmark of issue 8 in one run, one after another (never two at once: they would
 * measure each other), then a table of the headline ratios.
 *
 *   npm run bench -- [--quick] [--only engine,controller,serving,memory,live,startup] [--out bench/results]
 *   npm run bench -- --summary-only   (no benchmark: engine.svg + summary.md/json from the result files present)
 *
 * Builds the real-size bundle (deit3-s-l, ~5 min, 1.4 GB, git-ignored) when it is missing or predates the
 * external-weights layout, compiles the server once, and runs: bench:engine (H3), bench:controller (H4),
 * bench:serving, bench:memory, bench:live, bench:startup. Each writes <name>.json and <name>.svg in the
 * results directory (run-all draws engine.svg from engine.json); run-all writes summary.json and summary.md.
 * Expected time on the idle 2-core machine: ~35 min (--quick: ~8 min), plus ~5 min if the bundle is built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BUNDLES } from './lib/bench-config.js';
import { PYTHON_ENV, runCommand } from './lib/child-json.js';
import { engineChart, type EngineJson } from './lib/engine-chart.js';
import { RESULTS_DIR } from './lib/results.js';
import { prepareRuntime, REPO } from './lib/server-process.js';
import { table } from './lib/stats.js';
import { summarise } from './lib/summary.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'engine,controller,serving,memory,live,startup' },
    out: { type: 'string', default: RESULTS_DIR },
    'summary-only': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('npm run bench -- [--quick] [--only engine,controller,serving,memory,live,startup] [--out DIR] [--summary-only]');
  process.exit(0);
}
const log = (line: string) => process.stderr.write(`${line}\n`);
const out = path.resolve(args.out);

/** Each benchmark: its script, arguments (full and quick), and the minutes it is expected to take. */
const BENCHMARKS: Record<string, { script: string; full: string[]; quick: string[]; minutes: [number, number] }> = {
  engine: { script: 'bench/engine.ts', full: [], quick: ['--reps', '1', '--batches', '1', '--skip-memory'], minutes: [6, 2] },
  controller: { script: 'bench/controller.ts', full: [], quick: ['--requests', '1000'], minutes: [1, 0.5] },
  serving: { script: 'bench/serving.ts', full: ['--bundle', 'demo,real'], quick: ['--bundle', 'demo', '--quick'], minutes: [7, 1] },
  memory: { script: 'bench/memory.ts', full: ['--bundle', 'real,demo'], quick: ['--bundle', 'demo'], minutes: [4, 1.5] },
  live: { script: 'bench/live-control.ts', full: [], quick: ['--quick'], minutes: [11, 1.5] },
  startup: { script: 'bench/startup.ts', full: ['--bundle', 'demo,real'], quick: ['--bundle', 'demo', '--reps', '1'], minutes: [5, 1] },
};

/** True when the real-size bundle exists in the current layout (external, 64 KiB-aligned family.weights). */
function realBundleCurrent(): boolean {
  const manifest = path.join(BUNDLES.real, 'manifest.json');
  if (!existsSync(manifest)) return false;
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as { graph?: { externalData?: string | null } };
  return typeof m.graph?.externalData === 'string' && existsSync(path.join(BUNDLES.real, m.graph.externalData));
}

/** Builds models/build/deit3-s-l (random weights, official metrics) into a temp dir, then swaps it in. */
async function buildRealBundle(): Promise<void> {
  const tmp = `${BUNDLES.real}.building`;
  await rm(tmp, { recursive: true, force: true });
  log('building the real-size bundle deit3-s-l (~5 min, 1.4 GB) ...');
  await runCommand('nice', ['-n', '10', '/usr/bin/python3', '-m', 'stitchkit', 'build', '--preset', 'deit3-s-l', '--out', tmp, '--with-official-metrics'], PYTHON_ENV);
  await rm(BUNDLES.real, { recursive: true, force: true });
  await rename(tmp, BUNDLES.real);
}

async function main(): Promise<void> {
  const started = performance.now();
  const chosen = args['summary-only'] ? [] : args.only.split(',').map((s) => s.trim());
  for (const name of chosen) if (!(name in BENCHMARKS)) throw new Error(`unknown benchmark '${name}' (known: ${Object.keys(BENCHMARKS).join(', ')})`);
  if (chosen.length === 0) return writeSummary(out, started, {}, []);
  const expected = chosen.reduce((s, n) => s + BENCHMARKS[n]!.minutes[args.quick ? 1 : 0], 0);
  // Quick mode touches the real-size bundle only through bench:engine.
  const needsReal = chosen.includes('engine') || (!args.quick && chosen.some((n) => ['serving', 'memory', 'live', 'startup'].includes(n)));
  const build = needsReal && !realBundleCurrent();
  log(`npm run bench${args.quick ? ' --quick' : ''}: ${chosen.join(', ')} — expected ≈ ${Math.round(expected + (build ? 5 : 0))} min on the idle 2-core machine; load avg now ${os.loadavg().map((v) => v.toFixed(1)).join('/')}`);
  if (build) await buildRealBundle();
  const { runtime } = await prepareRuntime(log);
  const env = { ...process.env, STITCHSERVE_BENCH_RUNTIME: runtime };
  const failures: string[] = [];
  const minutes: Record<string, number> = {};
  for (const name of chosen) {
    const b = BENCHMARKS[name]!;
    const t0 = performance.now();
    log(`\n=== ${name}: ${b.script} ${[...(args.quick ? b.quick : b.full), '--out', out].join(' ')}`);
    try {
      await runCommand(process.execPath, ['--import', 'tsx', path.join(REPO, b.script), ...(args.quick ? b.quick : b.full), '--out', out], env);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
    }
    minutes[name] = (performance.now() - t0) / 60_000;
  }
  await writeSummary(out, started, minutes, failures);
  if (failures.length > 0) process.exit(1);
}

/** Draws engine.svg from engine.json (when present), prints the headline table, writes summary.md/json. */
async function writeSummary(out: string, started: number, minutes: Record<string, number>, failures: string[]): Promise<void> {
  if (existsSync(path.join(out, 'engine.json'))) {
    await writeFile(path.join(out, 'engine.svg'), engineChart(JSON.parse(readFileSync(path.join(out, 'engine.json'), 'utf8')) as EngineJson));
  }
  const rows = summarise(out);
  const total = (performance.now() - started) / 60_000;
  const header = ['benchmark', 'what (measured side by side in one run)', 'value', 'goal', 'status'];
  const cells = rows.map((r) => [r.benchmark, r.what, r.value, r.goal, r.status]);
  console.log(`\n${table(header, cells)}`);
  console.log(`\ntotal ${total.toFixed(1)} min (${Object.entries(minutes).map(([n, m]) => `${n} ${m.toFixed(1)}`).join(', ')}); load avg now ${os.loadavg().map((v) => v.toFixed(1)).join('/')}`);
  for (const f of failures) console.log(`FAILED ${f}`);
  const md = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...cells.map((c) => `| ${c.map((v) => v.replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');
  await writeFile(path.join(out, 'summary.md'), `${md}\n`);
  await writeFile(path.join(out, 'summary.json'), `${JSON.stringify({ date: new Date().toISOString(), quick: args.quick, minutes, totalMinutes: total, failures, rows }, null, 1)}\n`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
