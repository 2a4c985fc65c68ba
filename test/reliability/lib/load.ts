import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import { send, type Outcome, type Shot } from './http-client.js';
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

function record(sentAt: number, outcome: Outcome): RequestRecord {
  const answer = outcome.answers[0];
  const met = answer?.headers['x-deadline-met'];
  return {
    sentAt,
    writtenAt: outcome.writtenAt ?? sentAt,
    doneAt: performance.now(),
    status: answer?.status ?? 0,
    code: answer === undefined ? undefined : errorCodeOf(answer),
    retryAfter: answer?.headers['retry-after'],
    error: answer === undefined ? (outcome.error ?? 'no answer') : undefined,
    deadlineMet: met === undefined ? undefined : met === 'true',
    serverTotalMs: serverTotal(answer?.headers['server-timing']),
    body: answer?.body,
  };
}

/** Sends one shot and records it. */
export async function timed(origin: URL, agent: http.Agent, shot: Shot, timeoutMs: number): Promise<RequestRecord> {
  const sentAt = performance.now();
  return record(sentAt, await send(origin, agent, shot, timeoutMs));
}

/**
 * Closed-loop load: `clients` workers, each sending `shot()` again as soon as its previous answer arrived,
 * until `stop()`; `stop()` resolves with every request's record once the last one has settled.
 */
export function closedLoop(origin: URL, agent: http.Agent, clients: number, shot: () => Shot, timeoutMs: number): { records: RequestRecord[]; stop(): Promise<RequestRecord[]> } {
  const records: RequestRecord[] = [];
  let running = true;
  const worker = async (): Promise<void> => {
    while (running) records.push(await timed(origin, agent, shot(), timeoutMs));
  };
  const workers = Promise.all(Array.from({ length: clients }, worker));
  return {
    records,
    async stop() {
      running = false;
      await workers;
      return records;
    },
  };
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
