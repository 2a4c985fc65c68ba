import { profileKey, type ProfileShape } from './profile-plan.js';

/** Runs one shape with fresh zero pixels and resolves to the worker-measured compute time in ms. */
export type ShapeRunner = (shape: ProfileShape) => Promise<number>;

/**
 * Times every shape: one untimed run (first-run allocations, lazy kernel set-up), then `runs` timed runs;
 * keeps the median. Sequential, so the measurements do not disturb each other.
 */
export async function measureShapes(
  shapes: readonly ProfileShape[],
  runShape: ShapeRunner,
  runs: number,
): Promise<Map<string, number>> {
  const measured = new Map<string, number>();
  for (const shape of shapes) {
    await runShape(shape);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await runShape(shape));
    measured.set(profileKey(shape.task, shape.stitchId, shape.batch), median(times));
  }
  return measured;
}

/** Runs every shape once without timing (warm-up when the profile came from the cache). */
export async function warmShapes(shapes: readonly ProfileShape[], runShape: ShapeRunner): Promise<void> {
  for (const shape of shapes) await runShape(shape);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
