import { catalogFromManifest, type ManifestView, type StitchCatalog, type StitchPoint, type TaskCatalog } from '../controller/catalog.js';
import { profileFromJson, profileKey } from '../controller/latency-profile.js';
import type { TaskName } from '../controller/types.js';

/**
 * The simulator's input: a latency/accuracy table (docs/controller.md "Latency table format").
 *
 * ```jsonc
 * { "format": "stitchserve-latency-table", "version": 1, "name": "deit3-s-l",
 *   "latencySource": "FLOPs-derived (...)" | "measured (...)",        // free text, carried into reports
 *   "tasks": { "classify": { "metric": "top1", "preprocessMs": 6.5,
 *       "stitches": [ { "id": 0, "gflops": 4.61, "accuracy": 0.829,   // accuracy: fraction, optional
 *                       "latencyMs": { "1": 90, "8": 400 } } ] } } }  // batch → ms, any subset of batches
 * ```
 */
export interface LatencyTableJson {
  format: 'stitchserve-latency-table';
  version: 1;
  name: string;
  latencySource: string;
  tasks: Partial<Record<TaskName, { metric: string; preprocessMs?: number; stitches: Array<StitchRow> }>>;
}

export interface StitchRow {
  id: number;
  gflops: number;
  accuracy?: number;
  latencyMs: Record<string, number>;
}

/** A loaded table: what the latency model, frontier and simulator are built from. */
export interface SimTable {
  readonly name: string;
  readonly latencySource: string;
  readonly catalog: StitchCatalog;
  /** Engine-style profile, `task:stitch:batch` → ms. */
  readonly profile: ReadonlyMap<string, number>;
  readonly preprocessMs: Partial<Record<TaskName, number>>;
}

const TASKS: readonly TaskName[] = ['classify', 'segment', 'depth', 'detect'];

/** Validates and loads a table; every problem is reported in one Error. */
export function loadLatencyTable(value: unknown): SimTable {
  const problems: string[] = [];
  const json = value as Partial<LatencyTableJson>;
  if (typeof value !== 'object' || value === null) throw new Error('latency table: expected a JSON object');
  if (json.format !== 'stitchserve-latency-table' || json.version !== 1) problems.push('format must be "stitchserve-latency-table", version 1');
  if (typeof json.tasks !== 'object' || json.tasks === null) problems.push('tasks must be an object');
  const catalog = new Map<TaskName, TaskCatalog>();
  const profile = new Map<string, number>();
  const preprocessMs: Partial<Record<TaskName, number>> = {};
  for (const [task, spec] of Object.entries(json.tasks ?? {})) {
    if (!TASKS.includes(task as TaskName)) {
      problems.push(`tasks.${task}: unknown task`);
      continue;
    }
    const t = task as TaskName;
    if (!Array.isArray(spec?.stitches) || spec.stitches.length === 0) {
      problems.push(`tasks.${task}.stitches must be a non-empty array`);
      continue;
    }
    if (spec.preprocessMs !== undefined) preprocessMs[t] = spec.preprocessMs;
    const stitches = new Map<number, StitchPoint>();
    spec.stitches.forEach((row, i) => {
      const where = `tasks.${task}.stitches[${i}]`;
      if (!Number.isInteger(row?.id) || row.id < 0 || stitches.has(row.id)) return problems.push(`${where}.id must be a unique non-negative integer`);
      if (!(row.gflops > 0)) problems.push(`${where}.gflops must be positive`);
      if (row.accuracy !== undefined && !(row.accuracy >= 0 && row.accuracy <= 1)) problems.push(`${where}.accuracy must be a fraction`);
      stitches.set(row.id, { id: row.id, gflops: row.gflops, accuracy: row.accuracy });
      for (const [batch, ms] of Object.entries(row.latencyMs ?? {})) {
        if (!/^[1-9]\d*$/.test(batch) || !(ms > 0)) problems.push(`${where}.latencyMs["${batch}"] must be batch → positive ms`);
        else profile.set(profileKey(t, row.id, Number(batch)), ms);
      }
    });
    catalog.set(t, { task: t, metric: spec.metric ?? 'accuracy', stitches });
  }
  if (catalog.size === 0 && problems.length === 0) problems.push('no task');
  if (problems.length > 0) throw new Error(`latency table: ${problems.join('; ')}`);
  return { name: json.name ?? 'unnamed', latencySource: json.latencySource ?? 'unknown', catalog, profile, preprocessMs };
}

/** A table from a bundle manifest plus an engine profile (`engine.profile()` saved as a JSON object). */
export function tableFromBundle(manifest: ManifestView & { name?: string }, profileJson: unknown): SimTable {
  return {
    name: manifest.name ?? 'bundle',
    latencySource: 'measured (engine profile)',
    catalog: catalogFromManifest(manifest),
    profile: profileFromJson(profileJson),
    preprocessMs: {},
  };
}

/** Serialises a catalog and profile back into the table format. */
export function toLatencyTableJson(table: SimTable): LatencyTableJson {
  const tasks: LatencyTableJson['tasks'] = {};
  for (const [task, tc] of table.catalog) {
    const stitches = [...tc.stitches.values()].map((p) => {
      const latencyMs: Record<string, number> = {};
      for (const [key, ms] of table.profile) {
        const [t, id, batch] = key.split(':');
        if (t === task && Number(id) === p.id) latencyMs[batch!] = Math.round(ms * 1000) / 1000;
      }
      return { id: p.id, gflops: p.gflops, ...(p.accuracy === undefined ? {} : { accuracy: p.accuracy }), latencyMs };
    });
    tasks[task] = { metric: tc.metric, ...(table.preprocessMs[task] === undefined ? {} : { preprocessMs: table.preprocessMs[task] }), stitches };
  }
  return { format: 'stitchserve-latency-table', version: 1, name: table.name, latencySource: table.latencySource, tasks };
}
