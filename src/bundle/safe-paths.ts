import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** True when `child` is `parent` or lies beneath it (both absolute and normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Checks the spelling of a manifest path without touching the disk: relative, POSIX separators, no `..`
 * segment, no empty or `.` segments, no NUL. Returns a problem description or null.
 */
export function lexicalPathProblem(relPath: string): string | null {
  if (relPath.length === 0) return 'is empty';
  if (relPath.includes('\0')) return 'contains a NUL byte';
  if (relPath.includes('\\')) return 'contains a backslash (use "/" separators)';
  if (path.posix.isAbsolute(relPath) || /^[A-Za-z]:/.test(relPath)) return 'is absolute (paths must be relative to the bundle)';
  const segments = relPath.split('/');
  if (segments.includes('..')) return 'contains ".." (paths must stay inside the bundle)';
  if (segments.some((s) => s === '' || s === '.')) return 'has an empty or "." segment';
  return null;
}

/**
 * Resolves a manifest path to a real file path inside `bundleDir` (itself a real path), following symlinks,
 * and refuses anything that escapes the bundle. Returns either the real path or a problem description.
 */
export async function resolveInsideBundle(
  bundleDir: string,
  relPath: string,
): Promise<{ ok: true; path: string } | { ok: false; problem: string }> {
  const lexical = lexicalPathProblem(relPath);
  if (lexical !== null) return { ok: false, problem: lexical };
  let real: string;
  try {
    real = await realpath(path.join(bundleDir, relPath));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, problem: code === 'ENOENT' ? 'does not exist' : `cannot be resolved (${code ?? String(err)})` };
  }
  // A symlink inside the bundle may point anywhere; only its target counts.
  if (!isInside(bundleDir, real)) return { ok: false, problem: `resolves to ${real}, outside the bundle directory` };
  return { ok: true, path: real };
}
