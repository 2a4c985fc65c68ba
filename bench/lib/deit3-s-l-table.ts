import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flopsDerivedMs, FLOPS_DERIVED_COST, profileFromJson, profileKey } from '../../src/controller/latency-profile.js';
import type { StitchPoint } from '../../src/controller/catalog.js';
import type { SimTable } from '../../src/simulator/table.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the official per-stitch ImageNet results are read from, first found wins. */
export const ACCURACY_SOURCES = [
  resolve(repo, 'models/toolchain/stitchkit/data_files/snnetv2_imagenet_s_l.json'),
  resolve(repo, '../shared/reference/snnetv2/imagenet_s_l_results.jsonl'),
];

interface Record_ {
  cfg_id: number;
  acc1: number;
  flops: number;
}

/** The official SN-Netv2 DeiT3-S/L results (134 stitches): id, top-1 (%), fvcore FLOPs. */
export function loadOfficialResults(): { source: string; records: Record_[] } {
  const source = ACCURACY_SOURCES.find((p) => existsSync(p));
  if (source === undefined) throw new Error(`official S-L results not found in ${ACCURACY_SOURCES.join(' or ')}`);
  const text = readFileSync(source, 'utf8');
  const records: Record_[] = source.endsWith('.jsonl')
    ? text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record_)
    : (JSON.parse(text) as { records: Record_[] }).records;
  return { source, records };
}

/**
 * The real-size deit3-s-l table for task classify: official accuracy per stitch, and latencies either from an
 * engine profile (`task:stitch:batch` → ms JSON, measured on this machine) or FLOPs-derived from the DeiT-S
 * facts (90 ms at b=1, 400 ms at b=8 on 2 threads) at `batches`.
 */
export function deit3SLTable(options: { profilePath?: string; batches: readonly number[]; preprocessMs: number }): {
  table: SimTable;
  accuracySource: string;
} {
  const { source, records } = loadOfficialResults();
  const stitches = new Map<number, StitchPoint>(
    records.map((r) => [r.cfg_id, { id: r.cfg_id, gflops: r.flops / 1e9, accuracy: r.acc1 / 100 }]),
  );
  const catalog = new Map([['classify' as const, { task: 'classify' as const, metric: 'top1', stitches }]]);
  let profile: Map<string, number>;
  let latencySource: string;
  if (options.profilePath !== undefined) {
    profile = profileFromJson(JSON.parse(readFileSync(options.profilePath, 'utf8')));
    latencySource = `measured (engine profile ${options.profilePath})`;
  } else {
    profile = new Map();
    for (const p of stitches.values()) for (const b of options.batches) profile.set(profileKey('classify', p.id, b), flopsDerivedMs(p.gflops, b));
    const c = FLOPS_DERIVED_COST;
    latencySource =
      `FLOPs-derived: ms = GFLOPs × (${c.perBatchMsPerGflop.toFixed(2)} + ${c.perItemMsPerGflop.toFixed(2)} × batch), ` +
      'fitted to DeiT-S 90 ms @ b=1 and 400 ms @ b=8 on 2 threads (not measured per stitch)';
  }
  return { table: { name: 'deit3-s-l', latencySource, catalog, profile, preprocessMs: { classify: options.preprocessMs } }, accuracySource: source };
}
