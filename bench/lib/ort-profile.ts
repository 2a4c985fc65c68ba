import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

/** One event of an ONNX Runtime profile (chrome trace format); ts and dur in µs. */
export interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args: { op_name?: string };
}

/** True when `e` lies within `outer` in time (and is not `outer` itself). */
export function inside(outer: ProfileEvent, e: ProfileEvent): boolean {
  return e !== outer && e.ts >= outer.ts && e.ts + e.dur <= outer.ts + outer.dur;
}

/**
 * Reads and deletes the profile ORT wrote for `prefix` (`SessionOptions.profileFilePrefix`; written when the
 * session is released) and returns its `model_run` events in time order and its Node events.
 */
export async function takeOrtProfile(prefix: string): Promise<{ runs: ProfileEvent[]; nodes: ProfileEvent[] }> {
  const dir = path.dirname(prefix);
  const file = (await readdir(dir)).find((f) => f.startsWith(path.basename(prefix)));
  if (file === undefined) throw new Error(`no ORT profile written with prefix ${prefix}`);
  const events = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as ProfileEvent[];
  await rm(path.join(dir, file));
  return {
    runs: events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts),
    nodes: events.filter((e) => e.cat === 'Node'),
  };
}
