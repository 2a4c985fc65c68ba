import { FrontierIndex } from '../controller/frontier-index.js';
import { LatencyModel } from '../controller/latency-model.js';
import { ProfileInterpolator } from '../controller/latency-profile.js';
import { createPolicy } from '../controller/policies/index.js';
import type { QualityHint, TaskName } from '../controller/types.js';
import { DispatchCore, type RunningBatch } from '../scheduler/dispatch-core.js';
import { generateArrivals, type ArrivalSpec } from './arrivals.js';
import { Rng } from './prng.js';
import { Outcome, summarise, type SimReport } from './report.js';
import type { SimTable } from './table.js';

/** One simulation run. Times in ms. */
export interface SimulationOptions {
  table: SimTable;
  /** Policy config string (`adaptive`, `slackfit`, `fixed:<id>`, `fastest`, `most-accurate`). */
  policy: string;
  /** Task of every request; default: the table's first task. */
  task?: TaskName;
  arrivals: ArrivalSpec;
  requests: number;
  /** Latency budget per request: a fixed value or a uniform [min, max] range. */
  budgetMs: number | readonly [number, number];
  /** Hint mix, drawn per request by weight; default: no hint (the scheduler's default hint). */
  hints?: ReadonlyArray<{ hint: QualityHint; weight: number }>;
  defaultHint?: QualityHint;
  maxBatch?: number;
  queueBound?: number;
  /** σ of the log-normal noise on true batch times (0 = the table exactly). */
  noise?: number;
  seed?: number;
}

/**
 * Discrete-event simulation of one executor serving an open-loop trace with the REAL `DispatchCore` (queue,
 * admission, expiry, accounting) and the real policy, against true batch times taken from the table (the same
 * interpolation the latency model starts from) times log-normal noise. The latency model learns online from
 * those noisy observations exactly as in the server. Deterministic for a given seed.
 */
export function simulate(options: SimulationOptions): SimReport {
  const { table } = options;
  const task = options.task ?? [...table.catalog.keys()][0]!;
  if (!table.catalog.has(task)) throw new Error(`simulate: the table has no task '${task}'`);
  const rng = new Rng(options.seed ?? 1);
  const noise = options.noise ?? 0.05;
  const maxBatch = options.maxBatch ?? 8;
  const latency = new LatencyModel(table.catalog, table.profile, { preprocessMs: table.preprocessMs });
  const frontier = new FrontierIndex(table.catalog, latency);
  const policy = createPolicy(options.policy, table.catalog);
  const core = new DispatchCore<number>(
    { policy, latency, frontier },
    {
      maxBatch,
      queueBound: options.queueBound ?? 256,
      defaultHint: options.defaultHint ?? 'accurate',
      defaultBudgetMs: {},
      statsWindowMs: 60_000,
    },
  );
  core.lifecycle = 'ready';
  const truth = new ProfileInterpolator(table.catalog, table.profile);
  const arrivals = generateArrivals(options.arrivals, options.requests, rng);
  const n = arrivals.length;
  const outcome = new Uint8Array(n).fill(Outcome.Pending);
  const latencyMs = new Float64Array(n).fill(Number.NaN);
  const stitchOf = new Int32Array(n).fill(-1);
  const preprocess = table.preprocessMs[task] ?? 0;
  const deadlines = new Float64Array(n);
  const hints = drawHints(options.hints, n, rng);
  for (let i = 0; i < n; i++) deadlines[i] = arrivals[i]! + drawBudget(options.budgetMs, rng);

  let next = 0;
  let running: { batch: RunningBatch<number>; endMs: number } | undefined;
  let wakeAtMs = Number.POSITIVE_INFINITY;
  let batches = 0;
  let batchedRequests = 0;
  for (;;) {
    const arrivalAt = next < n ? arrivals[next]! + preprocess : Number.POSITIVE_INFINITY;
    const endAt = running?.endMs ?? Number.POSITIVE_INFINITY;
    const now = Math.min(arrivalAt, endAt, wakeAtMs);
    if (now === Number.POSITIVE_INFINITY) break;
    if (endAt === now && running !== undefined) {
      const met = core.complete(running.batch, now, true);
      running.batch.entries.forEach((e, k) => {
        outcome[e.payload] = met[k] ? Outcome.Met : Outcome.Late;
        latencyMs[e.payload] = now - arrivals[e.payload]!;
        stitchOf[e.payload] = running!.batch.stitchId;
      });
      running = undefined;
    } else if (arrivalAt === now) {
      const i = next++;
      const hint = hints?.[i];
      const request = { id: String(i), task, arrivalMs: arrivals[i]!, deadlineMs: deadlines[i]!, ...(hint === undefined ? {} : { hint }) };
      const offered = core.offer(request, i, now);
      if (!offered.ok) outcome[i] = Outcome.Rejected;
    } else wakeAtMs = Number.POSITIVE_INFINITY;
    const polled = core.poll(now);
    for (const e of polled.expired) outcome[e.payload] = Outcome.Expired;
    if (polled.batch !== undefined) {
      const b = polled.batch;
      const trueMs = truth.predict(b.task, b.stitchId, b.entries.length) * Math.exp(noise * rng.normal());
      running = { batch: b, endMs: now + trueMs };
      batches++;
      batchedRequests += b.entries.length;
    }
    wakeAtMs = polled.wakeAtMs ?? Number.POSITIVE_INFINITY;
  }
  return summarise({
    policy: policy.name,
    outcome,
    latencyMs,
    stitchOf,
    accuracy: (id) => frontier.accuracy(task, id),
    durationMs: n === 0 ? 0 : arrivals[n - 1]!,
    batches,
    batchedRequests,
  });
}

function drawBudget(budget: SimulationOptions['budgetMs'], rng: Rng): number {
  if (typeof budget === 'number') return budget;
  return budget[0] + rng.uniform() * (budget[1] - budget[0]);
}

function drawHints(mix: SimulationOptions['hints'], n: number, rng: Rng): QualityHint[] | undefined {
  if (mix === undefined || mix.length === 0) return undefined;
  const total = mix.reduce((s, m) => s + m.weight, 0);
  if (!(total > 0)) throw new Error('simulate: hint weights must sum to a positive number');
  return Array.from({ length: n }, () => {
    let u = rng.uniform() * total;
    for (const m of mix) if ((u -= m.weight) < 0) return m.hint;
    return mix[mix.length - 1]!.hint;
  });
}
