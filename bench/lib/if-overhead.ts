import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import type { LoadedBundle } from '../../src/bundle/load-bundle.js';
import { routePlanFor } from '../../src/engine/route-plan.js';
import { type EngineLogger, WorkerHost } from '../../src/engine/worker-host.js';
import { inside, type ProfileEvent, takeOrtProfile } from './ort-profile.js';
import { table } from './stats.js';

export interface OverheadRow {
  stitchId: number;
  batch: number;
  /** model_run duration, ms. */
  runMs: number;
  ifCount: number;
  /** Ifs whose branch was the pass-through (slots not on the route). */
  skipped: number;
  /** Median cost of one If around its branch (skipped Ifs minus their Identity), µs. */
  dispatchUs: number;
  /** Σ skipped Ifs + taken Ifs × dispatch, ms. */
  ifOverheadMs: number;
  /** Of which pass-through Identity copies in skipped slots, ms. */
  identityMs: number;
  fraction: number;
}

/**
 * The cost of the route graph's machinery measured inside one run, so that machine load scales numerator and
 * denominator alike (ORT profiling on): every skipped slot's If (dispatch + pass-through Identity copy) plus,
 * for every taken slot, the median dispatch cost of an If. Fraction = that / the whole run. One untimed run
 * per shape, then one profiled. Profiling itself adds a little per node, so this is an upper bound.
 */
export async function measureIfOverhead(args: {
  bundle: LoadedBundle;
  task: string;
  stitches: number[];
  batches: number[];
  sessionOptions: InferenceSession.SessionOptions;
  outDir: string;
  logger: EngineLogger;
}): Promise<{ rows: OverheadRow[]; lines: string[] }> {
  const prefix = path.join(args.outDir, `route-graph-profile-${process.pid}`);
  const { bundle } = args;
  const spec = bundle.manifest.tasks[args.task as 'classify']!;
  const { host } = await WorkerHost.start(
    () => ({
      type: 'init', graphPath: bundle.graphPath, device: 'cpu', fallbackOptions: null, plan: routePlanFor(bundle.manifest),
      sessionOptions: { ...args.sessionOptions, enableProfiling: true, profileFilePrefix: prefix },
    }),
    args.logger,
  );
  const order: { stitchId: number; batch: number }[] = [];
  try {
    for (const stitchId of args.stitches) {
      for (const batch of args.batches) {
        for (let rep = 0; rep < 2; rep++) {
          const dims = [batch, 3, spec.input.height, spec.input.width];
          await host.run(args.task, stitchId, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)));
          order.push({ stitchId, batch });
        }
      }
    }
  } finally {
    await host.close(); // ORT writes the profile when the session is released
  }
  const { runs, nodes } = await takeOrtProfile(prefix);
  const rows = runs
    .map((run, i) => ({ run, shape: order[i]! }))
    .filter((_, i) => i % 2 === 1)
    .map(({ run, shape }) => overheadOf(run, nodes, shape));
  const lines = [
    'route-graph machinery inside one profiled run (ORT profiling; load scales both sides alike)',
    table(
      ['stitch', 'batch', 'run ms', 'Ifs', 'skipped', 'If dispatch µs', 'Identity ms', 'machinery ms', 'share'],
      rows.map((r) => [
        String(r.stitchId), String(r.batch), r.runMs.toFixed(1), String(r.ifCount), String(r.skipped), r.dispatchUs.toFixed(0),
        r.identityMs.toFixed(2), r.ifOverheadMs.toFixed(2), `${(100 * r.fraction).toFixed(2)} %`,
      ]),
    ),
  ];
  return { rows, lines };
}

function overheadOf(run: ProfileEvent, nodes: readonly ProfileEvent[], shape: { stitchId: number; batch: number }): OverheadRow {
  const inRun = nodes.filter((e) => inside(run, e));
  const ifs = inRun.filter((e) => e.args.op_name === 'If');
  const topIfs = ifs.filter((e) => !ifs.some((outer) => inside(outer, e)));
  const children = new Map(topIfs.map((node) => [node, inRun.filter((e) => inside(node, e) && e.args.op_name !== 'If')]));
  // A skipped slot runs only the pass-through Identity: its whole time is machinery. A taken slot pays the same
  // dispatch (the If minus its Identity, median over skipped slots) around real compute; the idle gaps between
  // the compute nodes of a taken branch exist in the monolithic graph as well and are not counted.
  const skipped = topIfs.filter((node) => children.get(node)!.every((e) => e.args.op_name === 'Identity'));
  const identityUs = skipped.reduce((sum, node) => sum + children.get(node)!.reduce((s, e) => s + e.dur, 0), 0);
  const skippedUs = skipped.reduce((sum, node) => sum + node.dur, 0);
  const dispatch = skipped.map((node) => node.dur - children.get(node)!.reduce((s, e) => s + e.dur, 0)).sort((a, b) => a - b);
  const dispatchUs = dispatch.length > 0 ? dispatch[dispatch.length >> 1]! : 0;
  const overheadUs = skippedUs + (topIfs.length - skipped.length) * dispatchUs;
  return {
    ...shape, runMs: run.dur / 1000, ifCount: topIfs.length, skipped: skipped.length, dispatchUs,
    ifOverheadMs: overheadUs / 1000, identityMs: identityUs / 1000, fraction: overheadUs / run.dur,
  };
}
