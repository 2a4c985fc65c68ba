import type { Manifest, StitchSpec, TaskName } from '../../src/bundle/manifest.js';
import { stitchCost } from '../../src/engine/profile-plan.js';

export interface PickedStitch {
  label: 'S→L' | 'L→S' | 'two-way';
  stitch: Readonly<StitchSpec>;
}

/**
 * One stitch per benchmark category: S→L (kind s2l), L→S (kind l2s) and two-way (lsl or sls), each the stitch
 * of median FLOPs in its category, so neither an almost-S nor an almost-L route stands in for the kind.
 */
export function pickStitches(manifest: Readonly<Manifest>, task: TaskName): PickedStitch[] {
  const categories: [PickedStitch['label'], StitchSpec['kind'][]][] = [
    ['S→L', ['s2l']],
    ['L→S', ['l2s']],
    ['two-way', ['lsl', 'sls']],
  ];
  return categories.map(([label, kinds]) => {
    const candidates = manifest.stitches
      .filter((s) => kinds.includes(s.kind))
      .sort((a, b) => stitchCost(a, task) - stitchCost(b, task));
    const stitch = candidates[Math.floor((candidates.length - 1) / 2)];
    if (stitch === undefined) throw new Error(`bundle ${manifest.name} has no ${kinds.join('/')} stitch`);
    return { label, stitch };
  });
}
