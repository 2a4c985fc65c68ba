import type http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { send, type Answer, type Outcome, type Shot } from './http-client.js';
import { errorCodeOf } from './verdict.js';

/** One request of a load run, as the client saw it. Times in ms on performance.now(). */
export interface RequestRecord {
  sentAt: number;
  /** When the request was fully written to its socket (≥ sentAt; equal to it if unknown). */
  writtenAt: number;
  doneAt: number;
  /** HTTP status, or 0 when no answer came (`error` says why). */
  status: number;
  code: string | undefined;
  retryAfter: string | undefined;
  error: string | undefined;
  /** The answer's `x-deadline-met` header (task answers only): the server's own verdict. */
  deadlineMet: boolean | undefined;
  /** `total` of the answer's Server-Timing header: the server's view of the request's time (ms). */
  serverTotalMs: number | undefined;
  body: Buffer | undefined;
}

function serverTotal(header: string | undefined): number | undefined {
  const match = /(?:^|,\s*)total;dur=([\d.]+)/.exec(header ?? '');
  return match === null ? undefined : Number(match[1]);
}

/**
 * The record of one request answered (or not) now: every load generator fills it the same way. `answer` is the
 * first complete answer, `error` why there is none.
 */
export function recordOf(sentAt: number, answer: Answer | undefined, writtenAt: number | undefined, error: string | undefined): RequestRecord {
  const met = answer?.headers['x-deadline-met'];
  return {
    sentAt,
    writtenAt: writtenAt ?? sentAt,
    doneAt: performance.now(),
    status: answer?.status ?? 0,
    code: answer === undefined ? undefined : errorCodeOf(answer),
    retryAfter: answer?.headers['retry-after'],
    error: answer === undefined ? (error ?? 'no answer') : undefined,
    deadlineMet: met === undefined ? undefined : met === 'true',
    serverTotalMs: serverTotal(answer?.headers['server-timing']),
    body: answer?.body,
  };
}

const record = (sentAt: number, outcome: Outcome): RequestRecord => recordOf(sentAt, outcome.answers[0], outcome.writtenAt, outcome.error);

/** Sends one shot and records it. */
export async function timed(origin: URL, agent: http.Agent, shot: Shot, timeoutMs: number): Promise<RequestRecord> {
  const sentAt = performance.now();
  return record(sentAt, await send(origin, agent, shot, timeoutMs));
}

/**
 * `clients` workers, each calling `once()` again as soon as its previous call settled, until `stop()`; `stop()`
 * resolves with every result once the last call has settled.
 */
export function untilStopped<T>(clients: number, once: () => Promise<T>): { results: T[]; stop(): Promise<T[]> } {
  const results: T[] = [];
  let running = true;
  const worker = async (): Promise<void> => {
    while (running) results.push(await once());
  };
  const workers = Promise.all(Array.from({ length: clients }, worker));
  return {
    results,
    async stop() {
      running = false;
      await workers;
      return results;
    },
  };
}

/**
 * Closed-loop load: `clients` workers, each sending `shot()` again as soon as its previous answer arrived,
 * until `stop()`; `stop()` resolves with every request's record once the last one has settled.
 */
export function closedLoop(origin: URL, agent: http.Agent, clients: number, shot: () => Shot, timeoutMs: number): { records: RequestRecord[]; stop(): Promise<RequestRecord[]> } {
  const loop = untilStopped(clients, () => timed(origin, agent, shot(), timeoutMs));
  return { records: loop.results, stop: loop.stop };
}

/**
 * Open-loop load: sends `shot()` at a fixed `ratePerS` for `durationMs`, never waiting for answers (each
 * request is independent of the others' fate); resolves once every answer is in. Send times slip only if the
 * client's own event loop falls behind, which is reported as `achievedRatePerS`.
 */
export async function openLoop(origin: URL, agent: http.Agent, ratePerS: number, durationMs: number, shot: () => Shot, timeoutMs: number): Promise<{ records: RequestRecord[]; achievedRatePerS: number }> {
  const pending: Promise<RequestRecord>[] = [];
  const start = performance.now();
  const interval = 1000 / ratePerS;
  let sent = 0;
  while (performance.now() - start < durationMs) {
    const due = Math.floor((performance.now() - start) / interval) + 1;
    for (; sent < due; sent++) pending.push(timed(origin, agent, shot(), timeoutMs));
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, interval)));
  }
  const elapsed = performance.now() - start;
  return { records: await Promise.all(pending), achievedRatePerS: (sent * 1000) / elapsed };
}

/**
 * The load generator's own share of the times it measures: a `writtenAt` or `doneAt` is stamped when the client's
 * event loop gets to the socket event, so a busy client adds its own delay to them.
 */
export interface ClientLoad {
  /** Event-loop delay percentiles (ms), sampled every 10 ms, from the first send until the last answer. */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** Share of that time the client's main thread was busy (0..1). */
  utilization: number;
  /** How late requests were sent relative to the open-loop schedule (ms): p99 and max. */
  sendSlipMs: { p99: number; max: number };
}

/**
 * Runs an open loop (`run`, sending at `ratePerS` from the moment it is called) while measuring the client's own
 * load (`ClientLoad`): every load generator reports it the same way.
 */
export async function withClientLoad<T extends { records: RequestRecord[] }>(ratePerS: number, run: () => Promise<T>): Promise<T & { client: ClientLoad }> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const busyBefore = performance.eventLoopUtilization();
  const start = performance.now();
  const result = await run();
  delay.disable();
  const interval = 1000 / ratePerS;
  // An open loop sends request i once i intervals have passed; records are in sending order.
  const slips = result.records.map((r, i) => r.sentAt - start - i * interval);
  const ms = (ns: number) => ns / 1e6;
  const client: ClientLoad = {
    loopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
    utilization: performance.eventLoopUtilization(busyBefore).utilization,
    sendSlipMs: { p99: quantile(slips, 0.99), max: slips.length === 0 ? Number.NaN : Math.max(...slips) },
  };
  return { ...result, client };
}

/** `openLoop`, also measuring the client's own load (`withClientLoad`). */
export function measuredOpenLoop(
  origin: URL,
  agent: http.Agent,
  ratePerS: number,
  durationMs: number,
  shot: () => Shot,
  timeoutMs: number,
): Promise<{ records: RequestRecord[]; achievedRatePerS: number; client: ClientLoad }> {
  return withClientLoad(ratePerS, () => openLoop(origin, agent, ratePerS, durationMs, shot, timeoutMs));
}

/** Count of records per `status code` label (e.g. `200`, `429 QUEUE_FULL`, `0 ECONNRESET`). */
export function tally(records: readonly Pick<RequestRecord, 'status' | 'code' | 'error'>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) {
    const key = r.status === 0 ? `0 ${r.error}` : r.code === undefined ? String(r.status) : `${r.status} ${r.code}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** The p-quantile (0..1) of `values` (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
