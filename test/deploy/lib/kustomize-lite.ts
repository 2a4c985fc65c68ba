/**
 * A small kustomize for machines without `kubectl kustomize`: builds the subset of kustomization.yaml that
 * k8s/ uses — `resources` (files and directories), `patches` (strategic merge, by `path`), `images`
 * (`name` → `newName`/`newTag`/`digest`) and `namespace` — the way kustomize v5 does. Any other field is an
 * error, so k8s/ cannot drift outside what this builds. kustomize-lite.test.ts compares it with the real
 * kustomize wherever kubectl is installed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isObject, strategicMerge, type Json, type JsonObject } from './strategic-merge.js';

/** A rendered Kubernetes object (apiVersion, kind, metadata.name at least). */
export type Manifest = JsonObject & { apiVersion: string; kind: string; metadata: JsonObject & { name: string } };

const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images', 'namespace']);
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
/** Kinds without a namespace that the namespace transformer leaves alone (Namespace itself is renamed). */
const CLUSTER_SCOPED = new Set([
  'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass',
  'PriorityClass', 'APIService', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
  'IngressClass', 'RuntimeClass',
]);

interface ImageRule { name: string; newName?: string; newTag?: string; digest?: string }

/** Parses every YAML document of `text` (empty documents skipped); throws on YAML errors, naming `source`. */
export function parseManifests(text: string, source: string): Manifest[] {
  const manifests: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as Json;
    if (value === null) continue;
    if (!isObject(value) || typeof value['apiVersion'] !== 'string' || typeof value['kind'] !== 'string'
      || !isObject(value['metadata']) || typeof value['metadata']['name'] !== 'string') {
      throw new Error(`${source}: every document needs apiVersion, kind and metadata.name`);
    }
    manifests.push(value as Manifest);
  }
  return manifests;
}

/** `kind/name` (with `namespace/` when set): how kustomize identifies an object. */
export function manifestId(m: Manifest): string {
  const ns = typeof m.metadata['namespace'] === 'string' ? `${m.metadata['namespace']}/` : '';
  return `${m.kind}/${ns}${m.metadata.name}`;
}

function readKustomization(dir: string): JsonObject {
  const file = KUSTOMIZATION_FILES.map((name) => path.join(dir, name)).find((f) => existsSync(f));
  if (file === undefined) throw new Error(`${dir}: no kustomization.yaml`);
  const value = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() as Json;
  if (!isObject(value)) throw new Error(`${file}: not a mapping`);
  const unsupported = Object.keys(value).filter((key) => !SUPPORTED_FIELDS.has(key));
  if (unsupported.length > 0) throw new Error(`${file}: fields outside the kustomize-lite subset: ${unsupported.join(', ')}`);
  return value;
}

function stringList(value: Json | undefined, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error(`${where}: must be a list of strings`);
  return value as string[];
}

function applyPatch(resources: Manifest[], patch: Manifest, source: string): void {
  const matches = resources.filter((r) => r.kind === patch.kind && r.metadata.name === patch.metadata.name
    && r.apiVersion.split('/')[0] === patch.apiVersion.split('/')[0]);
  if (matches.length !== 1) throw new Error(`${source}: patch for ${patch.kind}/${patch.metadata.name} matches ${matches.length} resources`);
  const at = resources.indexOf(matches[0]!);
  resources[at] = strategicMerge(matches[0]!, patch) as Manifest;
}

/** Splits `repo/name:tag@digest` into the name kustomize matches on and the rest. */
function imageName(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, lastColon) : withoutDigest;
}

function retag(image: string, rule: ImageRule): string {
  const [beforeDigest, oldDigest] = image.split('@') as [string, string | undefined];
  const name = imageName(image);
  const oldTag = beforeDigest.length > name.length ? beforeDigest.slice(name.length + 1) : undefined;
  const newName = rule.newName ?? name;
  if (rule.digest !== undefined) return `${newName}@${rule.digest}`;
  if (rule.newTag !== undefined) return `${newName}:${rule.newTag}`;
  return `${newName}${oldTag !== undefined ? `:${oldTag}` : ''}${oldDigest !== undefined ? `@${oldDigest}` : ''}`;
}

/** Rewrites `image` in every `containers`/`initContainers` list found anywhere in `node`. */
function applyImages(node: Json, rules: ImageRule[]): void {
  if (Array.isArray(node)) { node.forEach((item) => applyImages(item, rules)); return; }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
      for (const container of value) {
        if (!isObject(container) || typeof container['image'] !== 'string') continue;
        const image = container['image'];
        const rule = rules.find((r) => r.name === imageName(image));
        if (rule !== undefined) container['image'] = retag(image, rule);
      }
    }
    applyImages(value, rules);
  }
}

function imageRules(value: Json | undefined, where: string): ImageRule[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${where}: images must be a list`);
  return value.map((rule) => {
    if (!isObject(rule) || typeof rule['name'] !== 'string') throw new Error(`${where}: every image needs a name`);
    const extra = Object.keys(rule).filter((k) => !['name', 'newName', 'newTag', 'digest'].includes(k));
    if (extra.length > 0) throw new Error(`${where}: unsupported image fields ${extra.join(', ')}`);
    return rule as unknown as ImageRule;
  });
}

function applyNamespace(resources: Manifest[], namespace: string): void {
  for (const r of resources) {
    if (r.kind === 'Namespace' && r.apiVersion === 'v1') r.metadata.name = namespace;
    else if (!CLUSTER_SCOPED.has(r.kind)) r.metadata['namespace'] = namespace;
  }
}

/** Builds the kustomization in `dir` (absolute or relative to the process) into a list of objects. */
export function kustomizeLite(dir: string): Manifest[] {
  const k = readKustomization(dir);
  const where = path.join(dir, 'kustomization.yaml');
  const resources: Manifest[] = [];
  for (const entry of stringList(k['resources'], `${where} resources`)) {
    const target = path.resolve(dir, entry);
    if (!existsSync(target)) throw new Error(`${where}: resource ${entry} does not exist`);
    if (statSync(target).isDirectory()) resources.push(...kustomizeLite(target));
    else resources.push(...parseManifests(readFileSync(target, 'utf8'), target));
  }
  const ids = resources.map(manifestId);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined) throw new Error(`${where}: ${duplicate} is defined twice`);

  const patches = k['patches'] ?? [];
  if (!Array.isArray(patches)) throw new Error(`${where}: patches must be a list`);
  for (const p of patches) {
    if (!isObject(p) || typeof p['path'] !== 'string' || Object.keys(p).length !== 1) {
      throw new Error(`${where}: only \`- path: <file>\` patches are supported`);
    }
    const file = path.resolve(dir, p['path']);
    for (const patch of parseManifests(readFileSync(file, 'utf8'), file)) applyPatch(resources, patch, file);
  }
  applyImages(resources as unknown as Json, imageRules(k['images'], where));
  if (k['namespace'] !== undefined) {
    if (typeof k['namespace'] !== 'string') throw new Error(`${where}: namespace must be a string`);
    applyNamespace(resources, k['namespace']);
  }
  return resources;
}
