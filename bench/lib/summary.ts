import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EngineJson } from './engine-chart.js';

/** One headline row of the umbrella's table: a ratio (or fraction) against its goal. */
export interface SummaryRow {
  benchmark: string;
  what: string;
  value: string;
  goal: string;
  status: 'ok' | 'MISSED' | 'info';
}

// Result files are read loosely (each benchmark owns its format); a missing field shows as "—".
type Json = Record<string, any>;
const x = (v: number, d = 2) => (Number.isFinite(v) ? `${v.toFixed(d)}x` : '—');
const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '—');
const status = (ok: boolean): SummaryRow['status'] => (ok ? 'ok' : 'MISSED');

function read(dir: string, name: string): Json | undefined {
  const file = path.join(dir, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Json) : undefined;
}

function engineRows(j: EngineJson): SummaryRow[] {
  // Wall-time ratios swing by ±10-40 % on the shared machine; the CPU-time ratio is the verdict when present.
  const rows: SummaryRow[] = (j.latency ?? []).map((r) => ({
    benchmark: 'engine',
    what: `route graph ÷ single-route graph, ${r.label} stitch ${r.stitchId}, batch ${r.batch}: CPU time (wall time)`,
    value: r.pairedCpuRatio === undefined ? x(r.ratio, 3) : `${x(r.pairedCpuRatio, 3)} (${x(r.ratio, 3)})`,
    goal: '≤ 1.03x',
    status: status((r.pairedCpuRatio ?? r.ratio) <= 1.03),
  }));
  const m = j.memory?.ratio;
  if (m !== undefined) rows.push({ benchmark: 'engine', what: 'engine process (RSS − baseline) ÷ unique weights', value: x(m, 3), goal: '≤ 1.10x', status: status(m <= 1.1) });
  return rows;
}

function controllerRows(j: Json): SummaryRow[] {
  const g = j['goals'];
  if (g === undefined) return [];
  return [
    { benchmark: 'controller (sim)', what: 'adaptive SLO attainment, worst scenario', value: pct(g.minAdaptiveSlo), goal: '≥ 99 %', status: status(g.adaptiveSloAtLeast99) },
    { benchmark: 'controller (sim)', what: 'adaptive eff. accuracy − best fixed stitch, worst scenario', value: `${(100 * g.minMarginOverBestFixed).toFixed(2)} pt`, goal: '> 0', status: status(g.adaptiveAboveEveryFixed) },
  ];
}

function servingRows(j: Json): SummaryRow[] {
  return (j['results'] ?? []).flatMap((r: Json) => [
    { benchmark: 'serving', what: `${r.bundle} stitch ${r.stitchId}: HTTP overhead p50, 224 px JPEG (÷ engine batch)`, value: `${r.latency.small.overhead.p50.toFixed(2)} ms (${x(r.latency.small.overhead.p50 / r.latency.small.inference.p50)})`, goal: '≤ 1 ms', status: status(r.latency.small.overhead.p50 <= 1) },
    { benchmark: 'serving', what: `${r.bundle} stitch ${r.stitchId}: closed-loop throughput ÷ engine loop`, value: x(r.throughput.medianRatio, 3), goal: '≥ 0.90x', status: status(r.throughput.medianRatio >= 0.9) },
  ]);
}

function memoryRows(j: Json): SummaryRow[] {
  const base = j['baseline']?.afterExercise;
  return (j['results'] ?? []).flatMap((r: Json) => {
    if (r.bundle === j['baseline']?.bundle) {
      return [{ benchmark: 'memory', what: `${r.bundle}: the baseline bundle itself (no family to compare)`, value: '—', goal: '≤ 1.10x', status: 'info' as const }];
    }
    const shared = r.server.afterExercise.rss - base.rss;
    const ratio = shared / r.uniqueWeightBytes;
    return [
      { benchmark: 'memory', what: `${r.bundle}: server (RSS − baseline) ÷ unique weights`, value: x(ratio, 3), goal: '≤ 1.10x', status: status(ratio <= 1.1) },
      { benchmark: 'memory', what: `${r.bundle}: frontier as ${r.separate.frontier.length} separate models ÷ one route graph`, value: x(r.separate.rssDelta / shared), goal: '(> 1x)', status: 'info' as const },
    ];
  });
}

function liveRows(j: Json): SummaryRow[] {
  const pooled: Json[] = j['pooled'] ?? [];
  const adaptive = pooled.find((p) => p.policy === 'adaptive');
  if (adaptive === undefined) return [];
  const fixed = pooled.filter((p) => String(p.policy).startsWith('fixed:'));
  const bestFixed = fixed.reduce<Json | undefined>((a, b) => (a === undefined || b.live.effectiveAccuracy > a.live.effectiveAccuracy ? b : a), undefined);
  const margin = bestFixed === undefined ? NaN : adaptive.live.effectiveAccuracy - bestFixed.live.effectiveAccuracy;
  const noMetrics = pooled.every((p) => !(p.live.effectiveAccuracy > 0));
  const a = j['agreement'] ?? {};
  return [
    { benchmark: 'live control', what: `${j['bundle']}: adaptive SLO attainment, all traces pooled`, value: pct(adaptive.live.sloAttainment), goal: '(info)', status: 'info' },
    noMetrics
      ? { benchmark: 'live control', what: 'adaptive eff. accuracy − best fixed, pooled', value: '— (no accuracy metrics in this bundle)', goal: '> 0', status: 'info' }
      : { benchmark: 'live control', what: `adaptive eff. accuracy − best fixed (${bestFixed?.policy ?? '—'}), pooled`, value: `${(100 * margin).toFixed(2)} pt`, goal: '> 0', status: status(margin > 0) },
    { benchmark: 'live control', what: 'simulator vs live, mean |Δ| per (policy, trace): SLO / eff. acc', value: `${(100 * a.meanAbsSlo).toFixed(1)} / ${(100 * a.meanAbsEff).toFixed(1)} pt`, goal: '(info)', status: 'info' },
  ];
}

function startupRows(j: Json): SummaryRow[] {
  return (j['results'] ?? []).map((r: Json) => ({
    benchmark: 'startup',
    what: `${r.bundle}: time to ready, no cache → cache (cache ÷ no cache)`,
    value: `${r.coldReadyS.toFixed(1)} s → ${r.cachedReadyS.toFixed(1)} s (${x(r.cachedOverCold)})`,
    goal: '(info)',
    status: 'info' as const,
  }));
}

/** Headline rows from every result file present in `dir`. */
export function summarise(dir: string): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const add = (name: string, f: (j: Json) => SummaryRow[]) => {
    const j = read(dir, name);
    if (j !== undefined) rows.push(...f(j));
  };
  add('engine', (j) => engineRows(j as EngineJson));
  add('controller', controllerRows);
  add('serving', servingRows);
  add('memory', memoryRows);
  add('live-control', liveRows);
  add('startup', startupRows);
  return rows;
}
