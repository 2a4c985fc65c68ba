import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TaskName } from '../bundle/manifest.js';
import type { BatchRecord } from '../scheduler/scheduler.js';
import type { SchedulerStats } from '../scheduler/stats.js';

/** Every metric name starts with this (docs/contracts.md §5). */
export const METRIC_PREFIX = 'stitchserve_';

/** Live state read at scrape time; the runtime provides it once it exists (before that, metrics read as idle). */
export interface MetricsSources {
  schedulerStats(): SchedulerStats | undefined;
  engineRestarts(): number;
  /** Bundle loaded, warmed and not draining. */
  ready(): boolean;
}

const IDLE: MetricsSources = { schedulerStats: () => undefined, engineRestarts: () => 0, ready: () => false };

/** Latency buckets (s) from 1 ms to 30 s: covers a tiny family's sub-ms batches and large-family tails. */
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

const name = (suffix: string) => `${METRIC_PREFIX}${suffix}`;

/** Replaces a counter's children by cumulative values kept elsewhere (the scheduler's own counters). */
function setCumulative<L extends string>(counter: Counter<L>, rows: Iterable<[Partial<Record<L, string>>, number]>): void {
  counter.reset();
  for (const [labels, value] of rows) counter.inc(labels, value);
}

/**
 * The service's Prometheus metrics on a registry owned by one app instance (never the global registry, so
 * several apps can live in one test process). Request-path metrics are pushed by the HTTP layer; queue,
 * controller and engine metrics are pulled from `MetricsSources` at scrape time.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  #sources: MetricsSources = IDLE;

  readonly httpRequests = new Counter({
    name: name('http_requests_total'),
    help: 'HTTP requests answered, by route template, task and status code.',
    labelNames: ['route', 'task', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: name('http_request_duration_seconds'),
    help: 'Time from request arrival to the last byte of the answer (s), by route template and task.',
    labelNames: ['route', 'task'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: name('request_failures_total'),
    help: 'Requests answered with an error, by error code (see the Errors table).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly inflight = new Gauge({
    name: name('inflight_requests'),
    help: 'Task requests accepted and not yet answered (the autoscaler signal per pod).',
    registers: [this.registry],
  });
  readonly shedRequests = new Counter({
    name: name('shed_requests_total'),
    help: 'Task requests refused at arrival, before their body was read, by cause: inflight_limit, front_limit, event_loop_delay, event_loop_utilization, deadline.',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly queueDuration = this.#taskSeconds('queue_duration_seconds', 'Time a request waited in the queue between preprocessing and the start of its batch (s).');
  readonly preprocessDuration = this.#taskSeconds('preprocess_duration_seconds', 'Image decode, resize and normalisation time per request (s).');
  readonly postprocessDuration = this.#taskSeconds('postprocess_duration_seconds', 'Time to turn model outputs into the answer (top-k, masks, maps, boxes, PNG encoding) per request (s).');
  readonly batchSize = new Histogram({
    name: name('batch_size'),
    help: 'Requests per batch run by the engine.',
    labelNames: ['task'] as const,
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  readonly inferenceDuration = this.#taskSeconds('inference_duration_seconds', 'Wall time of one batch on the engine, including the worker round trip (s).');
  readonly predictionRatio = new Histogram({
    name: name('latency_prediction_ratio'),
    help: 'Actual ÷ predicted batch wall time: the accuracy of the controller latency model (1 = exact).',
    labelNames: ['task'] as const,
    buckets: [0.25, 0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2, 4],
    registers: [this.registry],
  });

  /** A histogram of seconds labelled by task. */
  #taskSeconds(suffix: string, help: string): Histogram<'task'> {
    return new Histogram({ name: name(suffix), help, labelNames: ['task'] as const, buckets: SECONDS_BUCKETS, registers: [this.registry] });
  }

  constructor() {
    const sources = () => this.#sources;
    new Gauge({
      name: name('queue_depth'),
      help: 'Requests waiting in the queue, by task.',
      labelNames: ['task'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [task, depth] of Object.entries(sources().schedulerStats()?.queueDepth ?? {})) this.set({ task }, depth ?? 0);
      },
    });
    new Counter({
      name: name('stitch_selections_total'),
      help: 'Requests served by each stitch, by task and stitch id.',
      labelNames: ['task', 'stitch'] as const,
      registers: [this.registry],
      collect() {
        const selections = sources().schedulerStats()?.selections ?? {};
        setCumulative(this, Object.entries(selections).flatMap(([task, byStitch]) =>
          Object.entries(byStitch ?? {}).map(([stitch, count]): [{ task: string; stitch: string }, number] => [{ task, stitch }, count])));
      },
    });
    new Counter({
      name: name('deadline_outcomes_total'),
      help: 'Requests by deadline outcome: met (answered in time), missed (late, expired or failed), rejected (refused at admission).',
      labelNames: ['task', 'outcome'] as const,
      registers: [this.registry],
      collect() {
        const outcomes = sources().schedulerStats()?.outcomes ?? {};
        setCumulative(this, Object.entries(outcomes).flatMap(([task, counts]) =>
          Object.entries(counts ?? {}).map(([outcome, count]): [{ task: string; outcome: string }, number] => [{ task, outcome }, count])));
      },
    });
    new Counter({
      name: name('requests_cancelled_total'),
      help: 'Queued requests dropped before compute because their client disconnected.',
      registers: [this.registry],
      collect() {
        setCumulative(this, [[{}, sources().schedulerStats()?.cancelled ?? 0]]);
      },
    });
    new Gauge({
      name: name('effective_accuracy'),
      help: 'Task metric of on-time answers averaged over all finished or rejected requests in the last window (late/rejected count 0).',
      labelNames: ['task'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [task, value] of Object.entries(sources().schedulerStats()?.effectiveAccuracy ?? {})) this.set({ task }, value ?? 0);
      },
    });
    new Gauge({
      name: name('controller_saturation'),
      help: 'Predicted queue drain time at the preferred stitches ÷ the default budget (> 1: the controller must degrade).',
      registers: [this.registry],
      collect() {
        this.set(sources().schedulerStats()?.saturation ?? 0);
      },
    });
    new Counter({
      name: name('engine_restarts_total'),
      help: 'Engine worker deaths that triggered a restart.',
      registers: [this.registry],
      collect() {
        setCumulative(this, [[{}, sources().engineRestarts()]]);
      },
    });
    new Gauge({
      name: name('ready'),
      help: '1 when the bundle is loaded, warmed and the server is not draining, else 0.',
      registers: [this.registry],
      collect() {
        this.set(sources().ready() ? 1 : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges `*_total` (promtool rejects that); the same values are also exported
    // without the suffix (nodejs_active_handles, ...), so nothing is lost.
    for (const gauge of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(gauge);
    }
  }

  /** Connects the scrape-time sources (called once the runtime exists). */
  bind(sources: MetricsSources): void {
    this.#sources = sources;
  }

  /** Records one finished batch (scheduler observer). */
  observeBatch(record: BatchRecord): void {
    const task: TaskName = record.task;
    this.batchSize.observe({ task }, record.batchSize);
    if (record.error !== undefined) return;
    this.inferenceDuration.observe({ task }, record.actualMs / 1000);
    if (record.predictedMs > 0) this.predictionRatio.observe({ task }, record.actualMs / record.predictedMs);
  }

  /** The Prometheus text exposition. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
