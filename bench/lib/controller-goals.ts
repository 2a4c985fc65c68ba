import type { SimReport } from '../../src/simulator/report.js';

/** All policies' reports at one load and arrival process. */
export interface Scenario {
  arrivals: string;
  load: number;
  ratePerS: number;
  reports: SimReport[];
}

export interface GoalSummary {
  adaptiveSloAtLeast99: boolean;
  adaptiveAboveEveryFixed: boolean;
  adaptiveAtLeastSlackfit: boolean;
  /** Smallest adaptive SLO attainment over the scenarios. */
  minAdaptiveSlo: number;
  /** Smallest margin of adaptive's effective accuracy over the best fixed stitch (fraction points). */
  minMarginOverBestFixed: number;
  /** Per scenario: adaptive − slackfit, SLO attainment and effective accuracy (fraction points). */
  versusSlackfit: Array<{ scenario: string; sloDelta: number; effDelta: number }>;
}

/** Evaluates issue 5's goals: ≥ 99 % SLO, above every fixed stitch, at least as good as slackfit on both axes. */
export function checkGoals(scenarios: Scenario[]): { summary: GoalSummary; lines: string[] } {
  const by = (s: Scenario, policy: string): SimReport => s.reports.find((r) => r.policy === policy)!;
  let minSlo = 1;
  let minMargin = Number.POSITIVE_INFINITY;
  const versusSlackfit: GoalSummary['versusSlackfit'] = [];
  for (const s of scenarios) {
    const adaptive = by(s, 'adaptive');
    const slackfit = by(s, 'slackfit');
    const bestFixed = Math.max(...s.reports.filter((r) => r.policy.startsWith('fixed:')).map((r) => r.effectiveAccuracy));
    minSlo = Math.min(minSlo, adaptive.sloAttainment);
    minMargin = Math.min(minMargin, adaptive.effectiveAccuracy - bestFixed);
    versusSlackfit.push({
      scenario: `${s.arrivals} ${s.load}x`,
      sloDelta: adaptive.sloAttainment - slackfit.sloAttainment,
      effDelta: adaptive.effectiveAccuracy - slackfit.effectiveAccuracy,
    });
  }
  const summary: GoalSummary = {
    adaptiveSloAtLeast99: minSlo >= 0.99,
    adaptiveAboveEveryFixed: minMargin > 0,
    adaptiveAtLeastSlackfit: versusSlackfit.every((v) => v.sloDelta >= 0 && v.effDelta >= 0),
    minAdaptiveSlo: minSlo,
    minMarginOverBestFixed: minMargin,
    versusSlackfit,
  };
  const pts = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)} pt`;
  const mark = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  const lines = [
    `${mark(summary.adaptiveSloAtLeast99)} adaptive SLO attainment ≥ 99 % in every scenario (min ${(100 * minSlo).toFixed(2)} %)`,
    `${mark(summary.adaptiveAboveEveryFixed)} adaptive effective accuracy above every fixed stitch (smallest margin ${pts(minMargin)})`,
    `${mark(summary.adaptiveAtLeastSlackfit)} adaptive ≥ slackfit on both axes:`,
    ...versusSlackfit.map((v) => `     ${v.scenario.padEnd(18)} SLO ${pts(v.sloDelta).padStart(10)}   eff. acc. ${pts(v.effDelta).padStart(10)}`),
  ];
  return { summary, lines };
}
