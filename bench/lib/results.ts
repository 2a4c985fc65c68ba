import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { percentile } from '../../src/simulator/report.js';
import { REPO } from './server-process.js';

/** Directory of the published results (committed). */
export const RESULTS_DIR = path.join(REPO, 'bench', 'results');

/** Where and when a benchmark ran: printed with every result, since this is a shared 2-core machine. */
export interface RunContext {
  date: string;
  commit: string;
  cpu: string;
  cores: number;
  node: string;
  /** 1/5/15-minute load averages at the start and at the end of the run. */
  loadBefore: number[];
  loadAfter?: number[];
}

export function runContext(): RunContext {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout: leave it unknown
  }
  return {
    date: new Date().toISOString(),
    commit,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    loadBefore: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Records the load average at the end of the run (once; later calls keep the first value). */
export function finishContext(ctx: RunContext): void {
  ctx.loadAfter ??= os.loadavg().map((x) => Math.round(x * 100) / 100);
}

/** One line describing the machine and its load, for the printed report. */
export function contextLine(ctx: RunContext): string {
  const load = (l: number[] | undefined) => (l === undefined ? '?' : l.map((x) => x.toFixed(1)).join('/'));
  return `${ctx.date} commit ${ctx.commit}, ${ctx.cpu} × ${ctx.cores}, Node ${ctx.node}, load avg before ${load(ctx.loadBefore)} after ${load(ctx.loadAfter)}`;
}

/** Writes `<name>.json` (with the run context) and `<name>.svg` into `dir`; returns their paths. */
export async function writeResult(dir: string, name: string, ctx: RunContext, result: object, svg: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  finishContext(ctx);
  const files = [path.join(dir, `${name}.json`), path.join(dir, `${name}.svg`)];
  await writeFile(files[0]!, `${JSON.stringify({ benchmark: name, context: ctx, ...result }, null, 1)}\n`);
  await writeFile(files[1]!, svg);
  return files;
}

/** p50/p90/p99/mean of a sample (ms); NaN entries when empty. */
export interface Quantiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

export function quantiles(values: readonly number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? NaN : sorted.reduce((s, x) => s + x, 0) / sorted.length;
  return { n: sorted.length, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), mean };
}

/** Rounds every number in a JSON-able value to `digits` decimals (keeps result files readable). */
export function rounded<T>(value: T, digits = 3): T {
  const f = 10 ** digits;
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * f) / f : v))) as T;
}
