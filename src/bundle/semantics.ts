import { type Manifest, TASK_NAMES } from './manifest.js';

/**
 * Cross-field checks the JSON Schema cannot express. Assumes the manifest already passed the schema.
 * Returns every problem found, each prefixed "manifest.json: " and naming the field and value.
 */
export function semanticProblems(manifest: Manifest): string[] {
  const problems: string[] = [];
  const report = (text: string) => problems.push(`manifest.json: ${text}`);
  const conditions = manifest.graph.conditions;

  duplicates(conditions).forEach((name) => report(`graph.conditions has "${name}" more than once`));
  duplicates(manifest.anchors.map((a) => a.id)).forEach((id) => report(`anchors has id ${id} more than once`));
  duplicates(manifest.stitches.map((s) => s.id)).forEach((id) => report(`stitches has id ${id} more than once`));
  duplicates(manifest.files.map((f) => f.path)).forEach((p) => report(`files lists "${p}" more than once`));
  if (manifest.stitches.length === 0) report('stitches is empty');

  const taskConditionIndex = new Map<number, string>();
  const outputOwner = new Map<string, string>();
  for (const task of TASK_NAMES) {
    const spec = manifest.tasks[task];
    if (spec === undefined) continue;
    const index = conditions.indexOf(spec.condition);
    if (index < 0) report(`tasks.${task}.condition = "${spec.condition}" is not in graph.conditions`);
    else taskConditionIndex.set(index, task);
    spec.outputs.forEach((name, i) => {
      const owner = outputOwner.get(name);
      if (owner !== undefined) report(`tasks.${task}.outputs[${i}] = "${name}" is already an output of tasks.${owner}`);
      else outputOwner.set(name, task);
    });
  }
  if (TASK_NAMES.every((t) => manifest.tasks[t] === undefined)) report('tasks has no task head');
  if (outputOwner.has(manifest.graph.input)) report(`graph.input = "${manifest.graph.input}" is also a task output`);
  if (conditions.includes(manifest.graph.input)) report(`graph.input = "${manifest.graph.input}" is also a condition`);

  const anchors = new Map(manifest.anchors.map((a) => [a.id, a]));
  const excluded = new Set(manifest.space.excluded);
  manifest.stitches.forEach((stitch, si) => {
    const at = `stitches[${si}]`;
    if (excluded.has(stitch.id)) report(`${at}.id = ${stitch.id} is listed in space.excluded`);
    stitch.slots.forEach((slot, k) => {
      if (!Number.isInteger(slot) || slot < 0 || slot >= conditions.length) {
        report(`${at}.slots[${k}] = ${slot} is out of range (graph has ${conditions.length} conditions)`);
      } else if (taskConditionIndex.has(slot)) {
        report(`${at}.slots[${k}] = ${slot} is the condition of task ${taskConditionIndex.get(slot)}; stitches may not select a task`);
      }
    });
    duplicates(stitch.slots).forEach((slot) => report(`${at}.slots has ${slot} more than once`));
    if (stitch.route.length !== stitch.anchors.length) {
      report(`${at}.route has ${stitch.route.length} segments but anchors has ${stitch.anchors.length}`);
    }
    if (stitch.stitchLayers.length !== stitch.route.length) {
      report(`${at}.stitchLayers has ${stitch.stitchLayers.length} entries but route has ${stitch.route.length} segments`);
    }
    stitch.anchors.forEach((anchorId, k) => {
      const anchor = anchors.get(anchorId);
      if (anchor === undefined) {
        report(`${at}.anchors[${k}] = ${anchorId} is not an anchor id`);
        return;
      }
      const range = stitch.route[k];
      if (range === undefined) return;
      const [first, last] = range;
      if (first > last || first < 0 || last >= anchor.depth) {
        report(`${at}.route[${k}] = [${first}, ${last}] is not a block range of anchor ${anchorId} (depth ${anchor.depth})`);
      }
    });
  });

  for (const [field, file] of [['graph.file', manifest.graph.file], ['graph.externalData', manifest.graph.externalData]] as const) {
    if (file !== null && !manifest.files.some((f) => f.path === file)) report(`${field} = "${file}" is not listed in files`);
  }
  return problems;
}

function duplicates<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const repeated = new Set<T>();
  for (const v of values) (seen.has(v) ? repeated : seen).add(v);
  return [...repeated];
}
