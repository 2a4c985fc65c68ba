import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { BundleError, throwIfProblems } from './bundle-error.js';
import { fileIntegrityProblem } from './file-integrity.js';
import type { Manifest } from './manifest.js';
import { isInside, lexicalPathProblem, resolveInsideBundle } from './safe-paths.js';
import { defaultSchemaPath, schemaProblems } from './schema.js';
import { semanticProblems } from './semantics.js';

export interface LoadBundleOptions {
  /** Directory every bundle must live under (symlinks resolved). Bundles outside it are refused. */
  modelRoot: string;
  /** JSON Schema of the manifest; defaults to the repository's models/bundle.schema.json. */
  schemaPath?: string;
}

/** A bundle that passed every check; paths are real (symlink-free) absolute paths inside `dir`. */
export interface LoadedBundle {
  /** Real path of the bundle directory. */
  readonly dir: string;
  /** The validated manifest, deep-frozen. */
  readonly manifest: Readonly<Manifest>;
  /** Real path of the route graph (graph.file). */
  readonly graphPath: string;
  /** Real path of the external weight file, or null when the weights are inline. */
  readonly externalDataPath: string | null;
  /** sha256 of manifest.json's bytes; since the manifest pins every file's sha256, this identifies the bundle. */
  readonly bundleSha256: string;
}

/**
 * Loads and validates a bundle directory before ONNX Runtime sees any of it: the bundle must sit inside
 * `modelRoot`; manifest.json must pass the JSON Schema (every violation reported) and the semantic checks;
 * every `files` entry must stay inside the bundle (no absolute path, no "..", no symlink escaping) and match
 * its byte size and sha256. Throws a BundleError (code BUNDLE_INVALID) listing every problem.
 */
export async function loadBundle(dir: string, options: LoadBundleOptions): Promise<LoadedBundle> {
  const bundleDir = await realDirectory(dir, 'bundle directory');
  const modelRoot = await realDirectory(options.modelRoot, 'model root');
  if (!isInside(modelRoot, bundleDir)) {
    throw new BundleError([`bundle directory ${bundleDir} is outside the model root ${modelRoot}`]);
  }

  const manifestFile = await resolveInsideBundle(bundleDir, 'manifest.json');
  if (!manifestFile.ok) throw new BundleError([`manifest.json ${manifestFile.problem}`]);
  const manifestBytes = await readFile(manifestFile.path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestBytes.toString('utf8'));
  } catch (err) {
    throw new BundleError([`manifest.json is not valid JSON: ${(err as Error).message}`]);
  }
  // Path spelling is checked alongside the schema so a traversal attempt is named as such, not only as a pattern.
  throwIfProblems([
    ...(await schemaProblems(parsed, options.schemaPath ?? defaultSchemaPath())),
    ...lexicalFileProblems(parsed),
  ]);
  const manifest = parsed as Manifest;
  throwIfProblems(semanticProblems(manifest));

  const realFiles = new Map<string, string>();
  const problems: string[] = [];
  for (const [i, entry] of manifest.files.entries()) {
    const label = `files[${i}].path = "${entry.path}"`;
    const resolved = await resolveInsideBundle(bundleDir, entry.path);
    if (!resolved.ok) {
      problems.push(`manifest.json: ${label} ${resolved.problem}`);
      continue;
    }
    const integrity = await fileIntegrityProblem(resolved.path, entry);
    if (integrity !== null) problems.push(`${entry.path} ${integrity}`);
    else realFiles.set(entry.path, resolved.path);
  }
  throwIfProblems(problems);

  return Object.freeze({
    dir: bundleDir,
    manifest: deepFreeze(manifest),
    graphPath: realFiles.get(manifest.graph.file) as string,
    externalDataPath: manifest.graph.externalData === null ? null : (realFiles.get(manifest.graph.externalData) as string),
    bundleSha256: createHash('sha256').update(manifestBytes).digest('hex'),
  });
}

function lexicalFileProblems(manifest: unknown): string[] {
  const files = (manifest as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return [];
  return files.flatMap((entry: unknown, i) => {
    const relPath = (entry as { path?: unknown } | null)?.path;
    if (typeof relPath !== 'string') return [];
    const problem = lexicalPathProblem(relPath);
    return problem === null ? [] : [`manifest.json: files[${i}].path = "${relPath}" ${problem}`];
  });
}

async function realDirectory(dir: string, label: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(path.resolve(dir));
  } catch (err) {
    throw new BundleError([`${label} ${dir} cannot be opened (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  if (!(await stat(real)).isDirectory()) throw new BundleError([`${label} ${dir} is not a directory`]);
  return real;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}
