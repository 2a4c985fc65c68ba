import { performance } from 'node:perf_hooks';
import { keepAliveAgent, send } from './http-client.js';
import { fuzzCase, prepareGenerators } from './fuzz-cases.js';
import type { CaseFamily, FuzzContext } from './fuzz-types.js';
import { knownBugOf } from './known-bugs.js';
import { errorCodeOf, judge, type Problem } from './verdict.js';

export interface FuzzRunOptions {
  origin: URL;
  ctx: FuzzContext;
  seed: number;
  /** Requests to send (slow cases included). */
  count: number;
  /** Requests in flight at once over the keep-alive agent. */
  concurrency: number;
  /** How many of the first cases are slow bodies/headers. */
  slowCases: number;
  /** Per-request answer timeout (ms); slow cases get `slowTimeoutMs`. */
  timeoutMs: number;
  slowTimeoutMs: number;
  /** Called every 1000 requests. */
  onProgress?(done: number): void;
}

/** One failed case, with what reproduces it: `seed` + `index` regenerate the exact request. */
export interface FuzzFailure {
  seed: number;
  index: number;
  family: CaseFamily;
  label: string;
  problems: Problem[];
}

export interface FuzzReport {
  seed: number;
  requests: number;
  /** HTTP answers received (raw cases may carry several). */
  answers: number;
  durationMs: number;
  byStatus: Record<string, number>;
  byCode: Record<string, number>;
  byFamily: Record<string, { requests: number; ok200: number }>;
  /** Answers with status 200 (mutations that still decode, valid parameter combinations). */
  ok200: number;
  /** Answers with status ≥ 500 that were not excused tight-budget DEADLINE_EXCEEDED. */
  serverErrors: number;
  /** 504 DEADLINE_EXCEEDED answers to requests that asked for a budget < 1 s (documented, not faults). */
  tightDeadlineMisses: number;
  /** Requests retried once because their kept-alive socket had been closed by the server while idle. */
  staleRetries: number;
  /** Cases with a problem that is not a known bug: must be 0. */
  failureCount: number;
  /** The first 50 of them. */
  failures: FuzzFailure[];
  /** Cases whose every problem is a known, reported bug (KNOWN_BUGS id → count), and up to 3 examples each. */
  knownBugHits: Record<string, number>;
  knownBugExamples: FuzzFailure[];
}

const bump = (table: Record<string, number>, key: string) => void (table[key] = (table[key] ?? 0) + 1);

/** Sends `count` generated malformed requests with `concurrency` workers and judges every answer. */
export async function runFuzz(options: FuzzRunOptions): Promise<FuzzReport> {
  const { origin, ctx, seed, count, concurrency, slowCases } = options;
  const agent = keepAliveAgent(concurrency);
  const report: FuzzReport = {
    seed, requests: 0, answers: 0, durationMs: 0, byStatus: {}, byCode: {}, byFamily: {}, ok200: 0, serverErrors: 0, tightDeadlineMisses: 0, staleRetries: 0, failureCount: 0, failures: [], knownBugHits: {}, knownBugExamples: [],
  };
  prepareGenerators(ctx);
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) {
      const c = fuzzCase(ctx, seed, index, slowCases);
      // The request id names the case in the server's log lines.
      c.shot.headers['x-request-id'] ??= `fuzz-${seed}-${index}`;
      const outcome = await send(origin, agent, c.shot, c.family === 'slow' ? options.slowTimeoutMs : options.timeoutMs);
      report.requests++;
      if (outcome.staleRetry === true) report.staleRetries++;
      const family = (report.byFamily[c.family] ??= { requests: 0, ok200: 0 });
      family.requests++;
      for (const answer of outcome.answers) {
        report.answers++;
        bump(report.byStatus, String(answer.status));
        const code = errorCodeOf(answer);
        if (code !== undefined) bump(report.byCode, code);
        if (answer.status === 200) {
          report.ok200++;
          family.ok200++;
        }
        if (answer.status >= 500) {
          if (code === 'DEADLINE_EXCEEDED' && c.expect.tightBudget === true) report.tightDeadlineMisses++;
          else report.serverErrors++;
        }
      }
      const problems = judge(outcome, c.expect, c.shot);
      const known = problems.map((p) => knownBugOf(c, p));
      const failure = { seed, index, family: c.family, label: c.label, problems };
      if (problems.length > 0 && known.every((id) => id !== undefined)) {
        for (const id of new Set(known as string[])) {
          bump(report.knownBugHits, id);
          if (report.knownBugHits[id]! <= 3) report.knownBugExamples.push(failure);
        }
      } else if (problems.length > 0) {
        report.failureCount++;
        if (report.failures.length < 50) report.failures.push(failure);
      }
      if (report.requests % 1000 === 0) options.onProgress?.(report.requests);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  report.durationMs = performance.now() - started;
  return report;
}

/** One line per failure: how to reproduce it and what was wrong. */
export function describeFailures(failures: readonly FuzzFailure[]): string {
  return failures
    .map((f) => `seed ${f.seed} case ${f.index} [${f.family}] ${f.label}: ${f.problems.map((p) => `${p.kind}: ${p.detail}`).join(' | ')}`)
    .join('\n');
}
