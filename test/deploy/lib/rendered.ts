/**
 * The rendered k8s/ kustomizations and typed accessors over them, shared by the deploy tests. Everything is
 * read from the built manifests (never from hand-copied numbers), so a test fails when k8s/ changes shape.
 */
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildKustomization } from './kustomize.js';
import type { Manifest } from './kustomize-lite.js';

export const REPO = path.resolve(import.meta.dirname, '../../..');
export const K8S = path.join(REPO, 'k8s');
/** The deployable overlays and the autoscaler each one carries. */
export const OVERLAYS = { cpu: 'HorizontalPodAutoscaler', gpu: 'HorizontalPodAutoscaler', 'cpu-keda': 'ScaledObject' } as const;
export type OverlayName = keyof typeof OVERLAYS;

const cache = new Map<string, Manifest[]>();

/** Builds `k8s/<relative>` once per process (kubectl kustomize when present, else kustomize-lite). */
export function render(relative: string): Manifest[] {
  if (!cache.has(relative)) cache.set(relative, buildKustomization(path.join(K8S, relative)).manifests);
  return cache.get(relative)!;
}

/** The one object of `kind` (and `name`, when given); throws if there is not exactly one. */
export function findOne(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

// Manifests are untyped YAML here (`any`); k8s-schemas.ts and strict-fields.test.ts check their types.
/** The Deployment's pod spec. */
export function podSpec(manifests: Manifest[]): any {
  return (findOne(manifests, 'Deployment')['spec'] as any).template.spec;
}

/** The stitchserve container of the Deployment. */
export function appContainer(manifests: Manifest[]): any {
  const container = podSpec(manifests).containers.find((c: { name: string }) => c.name === 'stitchserve');
  if (container === undefined) throw new Error('no container named stitchserve');
  return container;
}

/** The service configuration carried by the ConfigMap the container mounts (parsed JSON). */
export function serviceConfig(manifests: Manifest[]): any {
  const spec = podSpec(manifests);
  const configVolume = spec.volumes.find((v: any) => v.configMap !== undefined);
  const configMap = findOne(manifests, 'ConfigMap', configVolume.configMap.name) as any;
  return JSON.parse(configMap.data['config.json']);
}

/** A Kubernetes quantity ("500m", "2", "1Gi", "64Mi") as a plain number (cores, bytes, or the count). */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = /^([0-9.]+)(m|k|M|G|Ki|Mi|Gi|Ti)?$/.exec(quantity);
  if (match === null) throw new Error(`not a quantity: ${quantity}`);
  const scale: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(match[1]) * (match[2] === undefined ? 1 : scale[match[2]]!);
}

/** One prometheus-adapter rule (the fields this project uses). */
export interface AdapterRule {
  seriesQuery: string;
  resources: { overrides: Record<string, { resource: string }> };
  name: { matches: string; as: string };
  metricsQuery: string;
}

/** The rules of k8s/prometheus-adapter's adapter-config ConfigMap. */
export function adapterRules(): AdapterRule[] {
  const configMap = findOne(render('prometheus-adapter'), 'ConfigMap') as any;
  const config = parseYaml(configMap.data['config.yaml']) as { rules?: AdapterRule[] };
  if (!Array.isArray(config.rules) || config.rules.length === 0) throw new Error('adapter config has no rules');
  return config.rules;
}

/** Every `stitchserve_*` metric name a PromQL (or adapter series) expression mentions. */
export function metricNamesIn(expression: string): string[] {
  return [...new Set(expression.match(/\bstitchserve_[a-z0-9_]+\b/g) ?? [])];
}

/** Metric names the HPA, the adapter rules and the KEDA triggers depend on, across all overlays. */
export function autoscalingMetricNames(): string[] {
  const names = new Set<string>();
  for (const rule of adapterRules()) {
    for (const text of [rule.seriesQuery, rule.metricsQuery, rule.name.as]) metricNamesIn(text).forEach((n) => names.add(n));
  }
  for (const overlay of Object.keys(OVERLAYS) as OverlayName[]) {
    for (const m of render(`overlays/${overlay}`) as any[]) {
      if (m.kind === 'HorizontalPodAutoscaler') for (const metric of m.spec.metrics) names.add(metric.pods.metric.name);
      if (m.kind === 'ScaledObject') for (const t of m.spec.triggers) metricNamesIn(t.metadata.query).forEach((n) => names.add(n));
    }
  }
  return [...names].sort();
}
