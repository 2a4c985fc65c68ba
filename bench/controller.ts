/**
 * Controller benchmark (issue 5): the trace simulator on the real-size deit3-s-l table at 0.5×–3× the large
 * anchor's capacity, Poisson and Gamma CV²=8 arrivals, every policy and every frontier stitch as `fixed:<id>`.
 * Writes bench/results/controller.json and controller.svg and prints a table plus the goal checks.
 *
 *   npm run bench:controller -- [--profile FILE] [--budget-ms 3000] [--requests 10000] [--seed 1]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FrontierIndex } from '../src/controller/frontier-index.js';
import { LatencyModel } from '../src/controller/latency-model.js';
import type { ArrivalSpec } from '../src/simulator/arrivals.js';
import type { SimReport } from '../src/simulator/report.js';
import { simulate } from '../src/simulator/simulate.js';
import { checkGoals, type Scenario } from './lib/controller-goals.js';
import { deit3SLTable } from './lib/deit3-s-l-table.js';
import { scatterGrid, type ScatterPanel } from './lib/svg-scatter.js';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_PROFILE = resolve(here, 'results/deit3-s-l.profile.json');

const { values } = parseArgs({
  options: {
    profile: { type: 'string' },
    'budget-ms': { type: 'string', default: '3000' },
    requests: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    'max-batch': { type: 'string', default: '8' },
    noise: { type: 'string', default: '0.05' },
    out: { type: 'string', default: resolve(here, 'results') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('npm run bench:controller -- [--profile engine-profile.json] [--budget-ms 3000] [--requests 10000] [--seed 1] [--max-batch 8] [--noise 0.05] [--out dir]');
  process.exit(0);
}
const budgetMs = Number(values['budget-ms']);
const requests = Number(values.requests);
const seed = Number(values.seed);
const maxBatch = Number(values['max-batch']);
const noise = Number(values.noise);
const profilePath = values.profile ?? (existsSync(DEFAULT_PROFILE) ? DEFAULT_PROFILE : undefined);
const { table, accuracySource } = deit3SLTable({ profilePath, batches: [1, 2, 4, 8], preprocessMs: 0 });

// The frontier and the large anchor come from the same latency model the controller starts with.
const model = new LatencyModel(table.catalog, table.profile);
const frontier = new FrontierIndex(table.catalog, model).frontier('classify');
const large = [...table.catalog.get('classify')!.stitches.values()].reduce((a, b) => (b.gflops > a.gflops ? b : a));
const capacityPerS = (maxBatch * 1000) / model.predict('classify', large.id, maxBatch);
const policies = ['adaptive', 'slackfit', 'fastest', 'most-accurate', ...frontier.map((p) => `fixed:${p.id}`)];
const loads = [0.5, 1, 2, 3];
const arrivalKinds: Array<{ name: string; spec: (rate: number) => ArrivalSpec }> = [
  { name: 'poisson', spec: (ratePerS) => ({ kind: 'poisson', ratePerS }) },
  { name: 'gamma-cv2-8', spec: (ratePerS) => ({ kind: 'gamma', ratePerS, cv2: 8 }) },
];

const started = performance.now();
const scenarios: Scenario[] = [];
for (const arrivals of arrivalKinds) {
  for (const load of loads) {
    const ratePerS = load * capacityPerS;
    const reports: SimReport[] = policies.map((policy) =>
      simulate({ table, policy, arrivals: arrivals.spec(ratePerS), requests, budgetMs, maxBatch, noise, seed }),
    );
    scenarios.push({ arrivals: arrivals.name, load, ratePerS, reports });
  }
}
const seconds = (performance.now() - started) / 1000;
const goals = checkGoals(scenarios);

const pct = (x: number): string => (100 * x).toFixed(2);
console.log(`deit3-s-l, task classify, ${requests} requests per run, budget ${budgetMs} ms, max batch ${maxBatch}, noise σ=${noise}, seed ${seed}`);
console.log(`latencies: ${table.latencySource}`);
console.log(`accuracy: ${accuracySource}`);
console.log(`large anchor: stitch ${large.id} (${large.gflops.toFixed(1)} GFLOPs), capacity ${capacityPerS.toFixed(3)} req/s at b=${maxBatch}`);
console.log(`frontier (${frontier.length}): ${frontier.map((p) => `${p.id}:${(100 * (p.accuracy ?? 0)).toFixed(2)}%`).join(' ')}\n`);
const rows = scenarios.flatMap((s) => {
  const bestFixed = s.reports.filter((r) => r.policy.startsWith('fixed:')).reduce((a, b) => (b.effectiveAccuracy > a.effectiveAccuracy ? b : a));
  return ['adaptive', 'slackfit', 'fastest', 'most-accurate', bestFixed.policy].map((name) => {
    const r = s.reports.find((x) => x.policy === name)!;
    return {
      arrivals: s.arrivals,
      load: `${s.load}x`,
      policy: name === bestFixed.policy ? `${name} (best fixed)` : name,
      'SLO %': pct(r.sloAttainment),
      'eff acc %': pct(r.effectiveAccuracy),
      'served acc %': pct(r.meanAccuracyServed),
      'goodput/s': r.goodputPerS.toFixed(2),
      'p50 ms': Math.round(r.latencyP50Ms),
      'p99 ms': Math.round(r.latencyP99Ms),
      'rej+drop+late': r.rejected + r.expired + r.late,
    };
  });
});
console.table(rows);
for (const line of goals.lines) console.log(line);
console.log(`\n${scenarios.length * policies.length} simulations in ${seconds.toFixed(1)} s`);

mkdirSync(values.out, { recursive: true });
const meta = {
  table: table.name,
  task: 'classify',
  latencySource: table.latencySource,
  accuracySource,
  budgetMs,
  requestsPerRun: requests,
  maxBatch,
  noise,
  seed,
  largeAnchor: { id: large.id, gflops: large.gflops, capacityPerS },
  frontier: frontier.map((p) => ({ id: p.id, gflops: p.gflops, accuracy: p.accuracy })),
  goals: goals.summary,
};
writeFileSync(resolve(values.out, 'controller.json'), `${JSON.stringify({ ...meta, scenarios }, null, 2)}\n`);
const panels: ScatterPanel[] = scenarios.map((s) => ({
  title: `${s.arrivals}, ${s.load}× (${s.ratePerS.toFixed(2)} req/s)`,
  points: s.reports.map((r) => ({
    x: 100 * r.sloAttainment,
    y: 100 * r.effectiveAccuracy,
    label: r.policy,
    group: r.policy === 'adaptive' || r.policy === 'slackfit' ? r.policy : r.policy.startsWith('fixed:') ? 'fixed' : 'policy',
  })),
}));
const subtitle = `deit3-s-l classify, budget ${budgetMs} ms, ${requests} req/run; latencies ${table.latencySource.startsWith('FLOPs') ? 'FLOPs-derived' : 'measured'}`;
writeFileSync(resolve(values.out, 'controller.svg'), scatterGrid('SLO attainment × effective accuracy', subtitle, panels, 4, 'SLO attainment (%)', 'effective accuracy (%)'));
console.log(`wrote ${resolve(values.out, 'controller.json')} and controller.svg`);
