/**
 * Adaptive control on the live server (issue 8 item 4): an open-loop load generator replays seeded traces
 * (H4's arrival generators: Poisson, Gamma CV² 8, on/off bursts; bounded in count and time; loopback only)
 * against the real server, spawned once per policy (config `controller.policy`), at 0.5×–3× the large
 * anchor's capacity taken from the server's own profile. Reports SLO attainment, effective accuracy, goodput,
 * p50/p99, and the simulator's prediction for the same arrivals on the same profile.
 *
 *   npm run bench:live -- [--bundle real|demo|tiny|DIR] [--fixed spread:3|all] [--seconds 8] [--quick] [--full]
 *
 * Default (real-size deit3-s-l; adaptive, slackfit, fastest, most-accurate and 3 interior frontier stitches;
 * Poisson at 0.5/1/2/3×, Gamma CV² 8 and on/off at 2×; traces ≤ 8 s): ~10-11 min on the idle machine; no
 * policy is started past --max-minutes (15), so a loaded machine skips the last (interior fixed) policies.
 * --quick: the demo bundle (tiny fixture if absent), 3 policies × 2 traces of 3 s: ~1-2 min smoke run.
 * --full: every frontier stitch, Poisson/Gamma/on-off at every load, 30 s traces: ~2 h.
 * Writes bench/results/live-control.json and live-control.svg.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Manifest, TaskName } from '../src/bundle/manifest.js';
import { BENCH_OUT, demoOrTiny, resolveBundle } from './lib/bench-config.js';
import { photoJpeg } from './lib/images.js';
import { calibrate } from './lib/live-calibrate.js';
import { agreement, liveChart, poolPolicies, pooledTable, traceTable } from './lib/live-report.js';
import { runPolicy, type PolicyRun } from './lib/live-run.js';
import { liveTable } from './lib/live-sim.js';
import { choosePolicies } from './lib/live-policies.js';
import { contextLine, finishContext, RESULTS_DIR, rounded, runContext, writeResult } from './lib/results.js';
import { prepareRuntime } from './lib/server-process.js';
import { table } from './lib/stats.js';
import { defaultScenarios, fullScenarios, makeTrace } from './lib/traces.js';

const { values: args } = parseArgs({
  options: {
    bundle: { type: 'string' },
    task: { type: 'string', default: 'classify' },
    policies: { type: 'string' },
    fixed: { type: 'string' },
    loads: { type: 'string', default: '0.5,1,2,3' },
    scenarios: { type: 'string' },
    seconds: { type: 'string' },
    'max-requests': { type: 'string', default: '600' },
    'max-rate': { type: 'string', default: '60' },
    'budget-ms': { type: 'string', default: 'auto' },
    'max-batch': { type: 'string', default: '8' },
    'queue-bound': { type: 'string', default: '64' },
    seed: { type: 'string', default: '1' },
    'max-minutes': { type: 'string' },
    'fresh-profile': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    out: { type: 'string', default: RESULTS_DIR },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('npm run bench:live -- [--bundle real|demo|tiny|DIR] [--policies adaptive,slackfit,fastest,most-accurate,frontier] [--fixed spread:N|all]\n' +
    '  [--loads 0.5,1,2,3] [--scenarios default|full] [--seconds S] [--max-requests N] [--max-rate R] [--budget-ms auto|MS]\n' +
    '  [--max-batch 8] [--queue-bound 64] [--seed 1] [--max-minutes M] [--fresh-profile] [--quick | --full] [--out DIR]');
  process.exit(0);
}
const log = (line: string) => process.stderr.write(`${line}\n`);
const mode = args.quick ? 'quick' : args.full ? 'full' : 'default';

async function main(): Promise<void> {
  const ctx = runContext();
  const { runtime, note: runtimeNote } = await prepareRuntime(log);
  const started = performance.now();
  const bundleDir = resolveBundle(args.bundle ?? (args.quick ? 'demo' : 'real'));
  const manifest = JSON.parse(readFileSync(path.join(bundleDir, 'manifest.json'), 'utf8')) as Manifest;
  const task = args.task as TaskName;
  const notes: string[] = [];
  if (runtimeNote !== '') notes.push(runtimeNote);
  if (bundleDir === demoOrTiny().dir && demoOrTiny().note) notes.push(demoOrTiny().note);
  const maxBatch = Number(args['max-batch']);
  const queueBound = Number(args['queue-bound']);
  const seed = Number(args.seed);
  const image = (await photoJpeg(224, 224)).bytes;

  const reuseProfileFrom = args['fresh-profile'] ? null : path.join(BENCH_OUT, 'profile-cache');
  const calibration = await calibrate({ bundle: bundleDir, task, maxBatch, queueBound, image, reuseProfileFrom }, log);
  const { capacityPerS } = calibration.largeAnchor;
  const largeB1 = calibration.profile[`${task}:${calibration.largeAnchor.id}:1`] ?? calibration.largeAnchor.batchMs;
  // Auto budget: 2.5× the large anchor's batch-1 time (bench:controller's 3 s on S-L) plus 4× the time spent
  // outside the engine (decode, HTTP), which dominates on the small families and varies with machine load.
  // At least 150 ms: tighter budgets can be refused forever on a loaded machine (see .notes/bench.md).
  const autoBudget = Math.max(150, Math.ceil((2.5 * largeB1 + 4 * calibration.outsideEngineMs) / 10) * 10);
  const budgetMs = args['budget-ms'] === 'auto' ? autoBudget : Number(args['budget-ms']);
  const policyList = args.policies ?? (mode === 'quick' ? 'adaptive,slackfit,frontier' : 'adaptive,slackfit,fastest,most-accurate,frontier');
  const policies = choosePolicies(policyList, args.fixed ?? (mode === 'full' ? 'all' : mode === 'quick' ? 'spread:1' : 'spread:3'), calibration);
  const loads = args.loads.split(',').map(Number);
  const scenarios =
    mode === 'quick'
      ? [{ kind: 'poisson' as const, load: 1 }, { kind: 'gamma-cv2-8' as const, load: 2 }]
      : (args.scenarios ?? (mode === 'full' ? 'full' : 'default')) === 'full' ? fullScenarios(loads) : defaultScenarios(loads);
  const seconds = Number(args.seconds ?? (mode === 'quick' ? 3 : mode === 'full' ? 30 : 8));
  const maxMinutes = Number(args['max-minutes'] ?? (mode === 'quick' ? 3 : mode === 'full' ? 150 : 15));
  const bounds = { durationS: seconds, maxRequests: Number(args['max-requests']), maxRatePerS: Number(args['max-rate']), burstPeriodMs: (seconds * 1000) / 4, seed };
  const traces = scenarios.map((s) => makeTrace(s, capacityPerS, bounds));
  if (traces.some((t) => t.clipped)) notes.push(`rates above ${bounds.maxRatePerS}/s were clipped to that (the load generator's limit on this machine): the clipped traces do not reach their nominal load`);
  const table_ = liveTable(manifest, calibration.profile, task, calibration.outsideEngineMs);
  const perPolicyS = 10 + traces.reduce((s, t) => s + (t.timesMs[t.timesMs.length - 1] ?? 0) / 1000 + budgetMs / 1000 + 0.3, 0);
  log(`large anchor ${calibration.largeAnchor.id}: ${calibration.largeAnchor.batchMs.toFixed(1)} ms at b${maxBatch} → capacity ${capacityPerS.toFixed(2)} req/s; budget ${budgetMs} ms; outside-engine ${calibration.outsideEngineMs.toFixed(1)} ms`);
  log(`${policies.length} policies × ${traces.length} traces (${traces.map((t) => `${t.name}:${t.timesMs.length}`).join(' ')}); expected ≈ ${((policies.length * perPolicyS) / 60).toFixed(1)} min, capped at ${maxMinutes} min`);

  const runs: PolicyRun[] = [];
  for (const policy of policies) {
    const elapsedMin = (performance.now() - started) / 60_000;
    if (elapsedMin + perPolicyS / 60 > maxMinutes) {
      notes.push(`stopped before ${policies.slice(runs.length).join(', ')}: the run would exceed --max-minutes ${maxMinutes}`);
      break;
    }
    log(`policy ${policy}:`);
    runs.push(await runPolicy(policy, traces, calibration, table_, manifest, { bundle: bundleDir, task, maxBatch, queueBound, budgetMs, image, seed }, log));
  }

  const pooled = poolPolicies(runs);
  const agree = agreement(runs, pooled);
  finishContext(ctx);
  console.log(`live adaptive control — ${manifest.name}, task ${task}, mode ${mode} — ${contextLine(ctx)}`);
  console.log(`large anchor ${calibration.largeAnchor.id}: capacity ${capacityPerS.toFixed(2)} req/s at b${maxBatch}; budget ${budgetMs} ms; queue bound ${queueBound}; frontier ${calibration.frontier.join(',')}`);
  for (const note of notes) console.log(`note: ${note}`);
  console.log(`\nper trace (live, with the simulator's prediction for the same arrivals):\n${table(...traceTable(runs))}`);
  console.log(`\npooled over all traces, one point per policy:\n${table(...pooledTable(pooled))}`);
  const p = (x: number) => `${(100 * x).toFixed(1)} pt`;
  console.log(`\nsimulator vs live over ${agree.pairs} (policy, trace) pairs with ≥ 10 requests: SLO |Δ| mean ${p(agree.meanAbsSlo)} (max ${p(agree.maxAbsSlo)}), eff. acc |Δ| mean ${p(agree.meanAbsEff)} (max ${p(agree.maxAbsEff)}); pooled per policy: SLO ${p(agree.pooledMeanAbsSlo)}, eff. acc ${p(agree.pooledMeanAbsEff)}; same policy order (eff. acc) in ${(100 * agree.rankAgreement).toFixed(0)} % of pairs`);
  const minutes = (performance.now() - started) / 60_000;
  console.log(`total ${minutes.toFixed(1)} min`);

  const subtitle = `${manifest.name} ${task}, budget ${budgetMs} ms, capacity ${capacityPerS.toFixed(2)} req/s, ${traces.length} traces ≤ ${seconds} s, load avg ${ctx.loadBefore[0]!.toFixed(1)} at start`;
  const result = {
    mode,
    runtime,
    bundle: manifest.name,
    task,
    settings: { maxBatch, queueBound, budgetMs, seconds, bounds, policies, loads },
    calibration: { profileSource: calibration.warmupKind, largeAnchor: calibration.largeAnchor, frontier: calibration.frontier, outsideEngineMs: calibration.outsideEngineMs, readyMs: calibration.readyMs, profile: calibration.profile },
    traces: traces.map((t) => ({ name: t.name, kind: t.kind, load: t.load, ratePerS: t.ratePerS, clipped: t.clipped, seed: t.seed, requests: t.timesMs.length, spec: t.spec })),
    notes,
    minutes,
    pooled,
    agreement: agree,
    runs,
  };
  const files = await writeResult(args.out, 'live-control', ctx, rounded(result, 4), liveChart(runs, pooled, subtitle));
  log(`wrote ${files.join(' and ')}`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
