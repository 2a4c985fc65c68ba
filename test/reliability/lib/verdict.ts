import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRORS, type ErrorCode } from '../../../src/errors.js';
import type { Answer, Outcome } from './http-client.js';
import type { Expectation } from './fuzz-types.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * What must never appear in an answer: stack frames, source or module paths, the repository or temp
 * directories, errno names from file access, and the contents of files a traversal would reach.
 */
export const LEAK_PATTERNS: readonly RegExp[] = [
  /\n\s+at [^\n]*:\d+:\d+/, // a V8 stack frame
  /\bat (?:async )?[\w$.<>]+ \([^)]*:\d+:\d+\)/,
  /node:internal/,
  /node_modules/,
  /file:\/\//,
  /\.(?:ts|js|mjs|cjs):\d+/,
  new RegExp(REPO.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
  new RegExp(`${os.tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`),
  /\bE(?:NOENT|ACCES|PERM|ISDIR)\b/,
  /root:x:0:0/,
  /"devDependencies"/,
];

/** Why an answer is wrong; empty when it is fine. */
export type Problem = { kind: 'no-answer' | '5xx' | 'undocumented' | 'unexpected-200' | 'unexpected-code' | 'leak'; detail: string };

/** The registry code of an error answer ({error:{code}} for v1, {error, code} for KServe), or undefined. */
export function errorCodeOf(answer: Answer): string | undefined {
  try {
    const body = JSON.parse(answer.body.toString('utf8')) as { error?: unknown; code?: unknown };
    if (typeof body.error === 'object' && body.error !== null && typeof (body.error as { code?: unknown }).code === 'string') {
      return (body.error as { code: string }).code;
    }
    if (typeof body.error === 'string' && typeof body.code === 'string') return body.code;
  } catch {
    // not JSON: no code
  }
  return undefined;
}

/**
 * The leak patterns found in an answer's headers and (textual) body. `echo` (the request path, which a 404
 * message repeats on purpose) is removed first so a request for /node_modules/x is not its own leak.
 */
export function leaksIn(answer: Answer, echo = ''): string[] {
  const type = answer.headers['content-type'] ?? '';
  // Binary 200 answers (PNG masks, depth maps) and the bundled Swagger UI assets are not scanned.
  const scanBody = answer.status !== 200 || /json/.test(type);
  let text = `${Object.entries(answer.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n${scanBody ? answer.body.toString('utf8') : ''}`;
  if (echo.length > 1) text = text.split(echo.split('?')[0]!.slice(0, 200)).join('');
  return LEAK_PATTERNS.filter((p) => p.test(text)).map((p) => p.source);
}

/** Checks one answer against the expectation and the error contract. */
export function judgeAnswer(answer: Answer, expect: Expectation, echo = '', head = false): Problem[] {
  const problems: Problem[] = [];
  const leaks = leaksIn(answer, echo);
  if (leaks.length > 0) problems.push({ kind: 'leak', detail: `${leaks.join(', ')} in: ${answer.body.toString('utf8').slice(0, 300)}` });
  if (answer.status >= 200 && answer.status < 400) {
    if (!expect.ok200) problems.push({ kind: 'unexpected-200', detail: `status ${answer.status}` });
    return problems;
  }
  const code = errorCodeOf(answer);
  if (head && answer.body.length === 0) {
    // A HEAD answer has no body to carry the code: its status must still be one the registry uses.
    if (answer.status >= 500) problems.push({ kind: '5xx', detail: `HEAD answered ${answer.status}` });
    else if (!Object.values(ERRORS).some((e) => e.status === answer.status)) problems.push({ kind: 'undocumented', detail: `HEAD answered ${answer.status}` });
    return problems;
  }
  const documented = code !== undefined && code in ERRORS && ERRORS[code as ErrorCode].status === answer.status;
  const excusedDeadline = code === 'DEADLINE_EXCEEDED' && expect.tightBudget === true;
  if (answer.status >= 500 && !excusedDeadline) problems.push({ kind: '5xx', detail: `${answer.status} ${code ?? ''}: ${answer.body.toString('utf8').slice(0, 200)}` });
  else if (!documented) problems.push({ kind: 'undocumented', detail: `${answer.status} with body ${answer.body.toString('utf8').slice(0, 200)}` });
  else if (expect.codes !== undefined && !expect.codes.includes(code as ErrorCode)) problems.push({ kind: 'unexpected-code', detail: `${code}, expected one of ${expect.codes.join(', ')}: ${answer.body.toString('utf8').slice(0, 200)}` });
  return problems;
}

/** Checks everything a request got back; no answer at all is a problem. */
export function judge(outcome: Outcome, expect: Expectation, request: { path: string; method: string }): Problem[] {
  if (outcome.answers.length === 0) return [{ kind: 'no-answer', detail: outcome.error ?? 'nothing received' }];
  return outcome.answers.flatMap((answer) => judgeAnswer(answer, expect, request.path, request.method === 'HEAD'));
}
