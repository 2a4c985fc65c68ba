import type { PolicyRun } from './live-run.js';
import { scatterGrid, type ScatterPanel, type ScatterPoint } from './svg-scatter.js';

/** One policy over all its traces: every request of every trace counted once. */
export interface PooledPolicy {
  policy: string;
  requests: number;
  live: { sloAttainment: number; effectiveAccuracy: number; met: number; rejected: number; expired: number; late: number; failed: number };
  sim: { sloAttainment: number; effectiveAccuracy: number };
}

/** How close the simulator came, in fraction points (|live − sim|), over (policy, trace) pairs and pooled. */
export interface Agreement {
  pairs: number;
  meanAbsSlo: number;
  maxAbsSlo: number;
  meanAbsEff: number;
  maxAbsEff: number;
  pooledMeanAbsSlo: number;
  pooledMeanAbsEff: number;
  /** Share of policy pairs that the simulator ranks in the same order as the live run by effective accuracy. */
  rankAgreement: number;
}

export function poolPolicies(runs: readonly PolicyRun[]): PooledPolicy[] {
  return runs.map((run) => {
    let n = 0;
    let met = 0;
    let eff = 0;
    let simMet = 0;
    let simEff = 0;
    const live = { rejected: 0, expired: 0, late: 0, failed: 0 };
    for (const t of run.traces) {
      n += t.requests;
      met += t.live.met;
      eff += t.live.effectiveAccuracy * t.requests;
      simMet += (t.sim?.sloAttainment ?? 0) * t.requests;
      simEff += (t.sim?.effectiveAccuracy ?? 0) * t.requests;
      live.rejected += t.live.rejected;
      live.expired += t.live.expired;
      live.late += t.live.late;
      live.failed += t.live.failed;
    }
    const frac = (x: number) => (n === 0 ? NaN : x / n);
    return {
      policy: run.policy,
      requests: n,
      live: { sloAttainment: frac(met), effectiveAccuracy: frac(eff), met, ...live },
      sim: { sloAttainment: frac(simMet), effectiveAccuracy: frac(simEff) },
    };
  });
}

export function agreement(runs: readonly PolicyRun[], pooled: readonly PooledPolicy[], minRequests = 10): Agreement {
  const slo: number[] = [];
  const eff: number[] = [];
  for (const run of runs) {
    for (const t of run.traces) {
      if (t.sim === null || t.requests < minRequests) continue;
      slo.push(Math.abs(t.live.sloAttainment - t.sim.sloAttainment));
      eff.push(Math.abs(t.live.effectiveAccuracy - t.sim.effectiveAccuracy));
    }
  }
  const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  let same = 0;
  let pairs = 0;
  for (let i = 0; i < pooled.length; i++) {
    for (let j = i + 1; j < pooled.length; j++) {
      const a = pooled[i]!;
      const b = pooled[j]!;
      pairs++;
      if (Math.sign(a.live.effectiveAccuracy - b.live.effectiveAccuracy) === Math.sign(a.sim.effectiveAccuracy - b.sim.effectiveAccuracy)) same++;
    }
  }
  return {
    pairs: slo.length,
    meanAbsSlo: mean(slo),
    maxAbsSlo: Math.max(0, ...slo),
    meanAbsEff: mean(eff),
    maxAbsEff: Math.max(0, ...eff),
    pooledMeanAbsSlo: mean(pooled.map((p) => Math.abs(p.live.sloAttainment - p.sim.sloAttainment))),
    pooledMeanAbsEff: mean(pooled.map((p) => Math.abs(p.live.effectiveAccuracy - p.sim.effectiveAccuracy))),
    rankAgreement: pairs === 0 ? NaN : same / pairs,
  };
}

const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : (100 * x).toFixed(1));
const ms = (x: number) => (Number.isFinite(x) ? Math.round(x).toString() : '—');

/** Per-trace rows: live numbers with the simulator's SLO and effective accuracy beside them. */
export function traceTable(runs: readonly PolicyRun[]): [string[], string[][]] {
  const header = ['trace', 'policy', 'n', 'SLO %', 'sim SLO %', 'eff acc %', 'sim eff %', 'goodput/s', 'p50 ms', 'p99 ms', 'sim p99', 'rej', 'drop', 'late', 'fail', 'batch'];
  const traces = [...new Set(runs.flatMap((r) => r.traces.map((t) => t.trace)))];
  const rows = traces.flatMap((name) =>
    runs.flatMap((r) => {
      const t = r.traces.find((x) => x.trace === name);
      if (t === undefined) return [];
      const l = t.live;
      return [[name, r.policy, String(t.requests), pct(l.sloAttainment), pct(t.sim?.sloAttainment), pct(l.effectiveAccuracy), pct(t.sim?.effectiveAccuracy), l.goodputPerS.toFixed(2), ms(l.latencyP50Ms), ms(l.latencyP99Ms), ms(t.sim?.latencyP99Ms ?? NaN), String(l.rejected), String(l.expired), String(l.late), String(l.failed), l.meanBatch.toFixed(2)]];
    }),
  );
  return [header, rows];
}

export function pooledTable(pooled: readonly PooledPolicy[]): [string[], string[][]] {
  return [
    ['policy', 'requests', 'SLO %', 'eff acc %', 'sim SLO %', 'sim eff %', 'rejected', 'dropped', 'late', 'failed'],
    pooled.map((p) => [p.policy, String(p.requests), pct(p.live.sloAttainment), pct(p.live.effectiveAccuracy), pct(p.sim.sloAttainment), pct(p.sim.effectiveAccuracy), String(p.live.rejected), String(p.live.expired), String(p.live.late), String(p.live.failed)]),
  ];
}

function group(policy: string): ScatterPoint['group'] {
  if (policy === 'adaptive' || policy === 'slackfit') return policy;
  return policy.startsWith('fixed:') ? 'fixed' : 'policy';
}

/** SLO attainment × effective accuracy, one point per policy: live pooled, simulator pooled, then each trace live. */
export function liveChart(runs: readonly PolicyRun[], pooled: readonly PooledPolicy[], subtitle: string): string {
  const panels: ScatterPanel[] = [
    { title: 'live server, all traces pooled', points: pooled.map((p) => ({ x: 100 * p.live.sloAttainment, y: 100 * p.live.effectiveAccuracy, label: p.policy, group: group(p.policy) })) },
    { title: 'simulator, same traces and profile', points: pooled.map((p) => ({ x: 100 * p.sim.sloAttainment, y: 100 * p.sim.effectiveAccuracy, label: p.policy, group: group(p.policy) })) },
  ];
  const traces = [...new Set(runs.flatMap((r) => r.traces.map((t) => t.trace)))];
  for (const name of traces) {
    const points = runs.flatMap((r) => r.traces.filter((t) => t.trace === name).map((t) => ({ x: 100 * t.live.sloAttainment, y: 100 * t.live.effectiveAccuracy, label: r.policy, group: group(r.policy) })));
    panels.push({ title: `live: ${name}`, points });
  }
  return scatterGrid('Live server: SLO attainment × effective accuracy per policy', subtitle, panels, 4, 'SLO attainment (%)', 'effective accuracy (%)');
}
