/**
 * Validates rendered manifests against Kubernetes JSON schemas: the built-in kinds of `kubernetes-models`
 * (Kubernetes 1.27 OpenAPI), KEDA's CRDs and prometheus-operator's CRDs, all through the validators those
 * packages generate (`new Model(data).validate()`, which throws listing every schema violation).
 */
import * as builtIn from 'kubernetes-models';
import * as keda from '@kubernetes-models/keda';
import * as prometheusOperator from '@kubernetes-models/prometheus-operator';
import type { Manifest } from './kustomize-lite.js';

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: object): { validate(): void };
}

function isModelClass(value: unknown): value is ModelClass {
  return typeof value === 'function'
    && typeof (value as Partial<ModelClass>).apiVersion === 'string'
    && typeof (value as Partial<ModelClass>).kind === 'string';
}

/** Every model class of a package's export tree: package → group → version → class. */
function collect(tree: object, into: Map<string, ModelClass>, depth = 0): void {
  for (const value of Object.values(tree)) {
    if (isModelClass(value)) into.set(`${value.apiVersion}/${value.kind}`, value);
    else if (value !== null && typeof value === 'object' && depth < 3) collect(value, into, depth + 1);
  }
}

const MODELS = new Map<string, ModelClass>();
collect(builtIn, MODELS);
collect(keda, MODELS);
collect(prometheusOperator, MODELS);

/** True when a schema for `apiVersion`/`kind` is known. */
export function hasSchema(apiVersion: string, kind: string): boolean {
  return MODELS.has(`${apiVersion}/${kind}`);
}

/**
 * Throws if `manifest` violates its kind's schema, or if no schema is known for its kind (an unknown
 * apiVersion is itself a likely mistake, e.g. autoscaling/v2beta2 on a current cluster).
 */
export function validateManifest(manifest: Manifest): void {
  const Model = MODELS.get(`${manifest.apiVersion}/${manifest.kind}`);
  const id = `${manifest.apiVersion} ${manifest.kind}/${manifest.metadata.name}`;
  if (Model === undefined) throw new Error(`${id}: no schema known for this apiVersion/kind`);
  try {
    new Model(manifest).validate();
  } catch (err) {
    const errors = (err as { errors?: { instancePath: string; message?: string }[] }).errors ?? [];
    const details = errors.map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
    throw new Error(`${id} fails its schema: ${details || (err as Error).message}`);
  }
}
