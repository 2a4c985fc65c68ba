/**
 * Builds a kustomization with the real `kubectl kustomize` when it is installed, else with kustomize-lite.
 * Both paths return parsed objects; the caller never needs to know which one ran (but may, via `builder`).
 */
import { spawnSync } from 'node:child_process';
import { kustomizeLite, parseManifests, type Manifest } from './kustomize-lite.js';

export type Builder = 'kubectl' | 'kustomize-lite';

let kubectlKnown: boolean | undefined;

/** True when `kubectl kustomize` runs here (checked once per process). */
export function hasKubectlKustomize(): boolean {
  if (kubectlKnown === undefined) {
    const probe = spawnSync('kubectl', ['kustomize', '--help'], { encoding: 'utf8', timeout: 10_000 });
    kubectlKnown = probe.status === 0;
  }
  return kubectlKnown;
}

/** Runs `kubectl kustomize <dir>` and parses its output; throws with kubectl's message on failure. */
export function kubectlKustomize(dir: string): Manifest[] {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr || run.error?.message}`);
  return parseManifests(run.stdout, `kubectl kustomize ${dir}`);
}

/** Builds `dir` with kubectl when available, otherwise with kustomize-lite. */
export function buildKustomization(dir: string): { manifests: Manifest[]; builder: Builder } {
  return hasKubectlKustomize()
    ? { manifests: kubectlKustomize(dir), builder: 'kubectl' }
    : { manifests: kustomizeLite(dir), builder: 'kustomize-lite' };
}
