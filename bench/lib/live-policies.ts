import type { Calibration } from './live-calibrate.js';

/**
 * The policy config strings to run. `list` is comma-separated; the entry `frontier` expands to `fixed:<id>`
 * for the server's frontier stitches chosen by `fixed`: `all`, or `spread:N` = N interior frontier stitches at
 * even ranks by FLOPs (the cheapest and the dearest are what `fastest` and `most-accurate` run).
 */
export function choosePolicies(list: string, fixed: string, calibration: Calibration): string[] {
  const frontier = calibration.stitches.filter((s) => s.onFrontier).sort((a, b) => a.gflops - b.gflops).map((s) => s.id);
  let chosen: number[];
  const spread = /^spread:(\d+)$/.exec(fixed);
  if (fixed === 'all') chosen = frontier;
  else if (spread !== null) {
    const n = Math.min(Number(spread[1]), frontier.length);
    chosen = [...new Set(Array.from({ length: n }, (_, i) => frontier[Math.round(((i + 1) * (frontier.length - 1)) / (n + 1))]!))];
  } else throw new Error(`--fixed must be 'all' or 'spread:N', got '${fixed}'`);
  return list.split(',').flatMap((p) => (p === 'frontier' ? chosen.map((id) => `fixed:${id}`) : [p]));
}
