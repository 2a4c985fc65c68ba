import type { FuzzCase } from './fuzz-types.js';
import type { Problem } from './verdict.js';

/**
 * Product bugs the fuzzer found that are reported to their owner (.notes/reliability.md, same ids) and not
 * fixed yet. A failure matching one is counted under its id and printed, not failed, so the suite stays
 * usable while the owner fixes it; everything else fails the run. Remove an entry when its bug is fixed
 * (the fuzz test reports entries that no longer match anything).
 */
export interface KnownBug {
  id: string;
  summary: string;
  matches(c: Pick<FuzzCase, 'family' | 'label'>, problem: Problem): boolean;
}

export const KNOWN_BUGS: readonly KnownBug[] = [
  {
    id: 'R1',
    summary: 'KServe v2: deeply nested `data` arrays overflow the stack in the tensor decoder → 500 INTERNAL',
    matches: (c, p) => c.label.startsWith('kserve deep-nesting') && p.kind === '5xx',
  },
  {
    id: 'R2',
    summary: 'KServe v2: FP32 values outside the float32 range (or near it) make NaN outputs → 500 INTERNAL from the serializer',
    matches: (c, p) => c.label.startsWith('kserve fp32-junk') && p.kind === '5xx',
  },
  {
    id: 'R3',
    summary: "malformed %-encoding in the URL / a route parameter over 100 chars → Fastify's own error body (FST_ERR_BAD_URL 400, FST_ERR_MAX_PARAM_LENGTH 414), not a registry code",
    matches: (_c, p) => p.kind === 'undocumented' && /FST_ERR_(?:BAD_URL|MAX_PARAM_LENGTH)/.test(p.detail),
  },
  {
    id: 'R4',
    summary: 'HTTP/1.1 request without a Host header → Node answers 400 with an empty body (no registry code)',
    matches: (c, p) => c.label.includes('"GET /healthz HTTP/1.1\\r\\n\\r\\n"') && p.kind === 'undocumented',
  },
  {
    id: 'R5',
    summary: 'a body refused before it was read (413, 415) gets Connection: close and an immediate close with unread bytes: the kernel resets the connection and the client often sees EPIPE/ECONNRESET instead of the answer (no lingering close)',
    matches: (c, p) => (c.family === 'oversized' || c.family === 'content-type') && p.kind === 'no-answer' && /EPIPE|ECONNRESET/.test(p.detail),
  },
];

/** The id of the known bug a problem belongs to, if any. */
export function knownBugOf(c: Pick<FuzzCase, 'family' | 'label'>, problem: Problem): string | undefined {
  return KNOWN_BUGS.find((bug) => bug.matches(c, problem))?.id;
}
