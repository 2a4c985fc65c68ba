/**
 * Strategic merge patch, the subset that kustomize applies to built-in Kubernetes kinds and that k8s/ uses:
 * maps merge recursively, `null` deletes a key, lists named in {@link MERGE_KEYS} merge item by item on their
 * key, every other list is replaced whole. Patch directives (`$patch`, `$retainKeys`, `$setElementOrder`,
 * `$deleteFromPrimitiveList`) are outside the subset and rejected, so a k8s/ change that needs them fails the
 * tests loudly instead of being mis-built.
 */

/** A parsed YAML/JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * Lists that Kubernetes declares with `patchStrategy: merge`, by field name, with their `patchMergeKey`
 * (from the core/v1 and apps/v1 API types). Lists absent here (tolerations, HPA metrics, args, …) are replaced.
 */
export const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
};

/** True for a plain (non-array, non-null) object. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectDirectives(patch: Json, where: string): void {
  if (Array.isArray(patch)) patch.forEach((item, i) => rejectDirectives(item, `${where}[${i}]`));
  if (!isObject(patch)) return;
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new Error(`strategic merge: directive "${key}" at ${where} is outside the supported subset`);
    rejectDirectives(value, `${where}.${key}`);
  }
}

// Order as kustomize (kyaml) produces it: the patch's items first, in patch order (merged into their base
// counterparts), then the base items the patch does not name, in base order.
function mergeList(base: Json[], patch: Json[], key: string, where: string): Json[] {
  const patchKeys = new Set<Json>();
  const merged: Json[] = [];
  for (const item of patch) {
    if (!isObject(item) || item[key] === undefined) {
      throw new Error(`strategic merge: every item of ${where} must be an object with "${key}"`);
    }
    patchKeys.add(item[key]!);
    const counterpart = base.find((existing) => isObject(existing) && existing[key] === item[key]);
    merged.push(counterpart === undefined
      ? structuredClone(item)
      : mergeObject(counterpart as JsonObject, item, `${where}[${key}=${String(item[key])}]`));
  }
  for (const item of base) {
    if (!(isObject(item) && patchKeys.has(item[key]!))) merged.push(structuredClone(item));
  }
  return merged;
}

function mergeObject(base: JsonObject, patch: JsonObject, where: string): JsonObject {
  const result: JsonObject = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    const path = `${where}.${key}`;
    const current = result[key];
    if (value === null) delete result[key];
    else if (isObject(value) && isObject(current)) result[key] = mergeObject(current, value, path);
    else if (Array.isArray(value) && Array.isArray(current) && MERGE_KEYS[key] !== undefined) {
      result[key] = mergeList(current, value, MERGE_KEYS[key], path);
    } else result[key] = structuredClone(value);
  }
  return result;
}

/** Applies `patch` to `base` with strategic-merge semantics (see module doc); neither input is modified. */
export function strategicMerge(base: JsonObject, patch: JsonObject): JsonObject {
  rejectDirectives(patch, '');
  return mergeObject(base, patch, '');
}
