import { barChart, type BarPanel } from './svg-bars.js';

/** The part of H3's bench/results/engine.json the chart reads. */
export interface EngineJson {
  date?: string;
  bundle?: string;
  machine?: { cpu?: string; cores?: number; load?: number[] };
  latency?: {
    label: string; kind: string; stitchId: number; batch: number; ratio: number; engineMedianMs: number; monoMedianMs: number;
    pairedCpuRatio?: number; engineCpuMs?: number; monoCpuMs?: number;
  }[];
  memory?: { ratio?: number; loadedRatio?: number; uniqueWeightBytes?: number } | null;
}

/**
 * bench:engine writes JSON and text only; run-all draws its chart: route graph ÷ single-route graph per stitch
 * and batch size, with the 1.03 goal line, and the memory ratio when present.
 */
export function engineChart(json: EngineJson): string {
  const rows = json.latency ?? [];
  const panels: BarPanel[] = [
    {
      title: `${json.bundle ?? '?'}: engine (route graph, every If) ÷ monolithic single-route graph, median wall time`,
      unit: '',
      reference: { value: 1.03, label: 'goal 1.03' },
      bars: rows.map((r) => ({
        label: `${r.label} #${r.stitchId} b${r.batch}`,
        value: r.ratio,
        note: `${r.ratio.toFixed(3)}x (${r.engineMedianMs.toFixed(0)} vs ${r.monoMedianMs.toFixed(0)} ms)`,
      })),
    },
  ];
  const cpuRows = rows.filter((r) => r.pairedCpuRatio !== undefined);
  if (cpuRows.length > 0) {
    panels.push({
      title: 'the same, process CPU time per run (median of per-round ratios): the work, less disturbed by load',
      unit: '',
      reference: { value: 1.03, label: 'goal 1.03' },
      bars: cpuRows.map((r) => ({
        label: `${r.label} #${r.stitchId} b${r.batch}`,
        value: r.pairedCpuRatio!,
        note: `${r.pairedCpuRatio!.toFixed(3)}x (${(r.engineCpuMs ?? NaN).toFixed(0)} vs ${(r.monoCpuMs ?? NaN).toFixed(0)} cpu ms)`,
      })),
    });
  }
  if (json.memory?.ratio !== undefined) {
    panels.push({
      title: 'engine process: (RSS − runtime baseline) ÷ unique weight bytes',
      unit: '',
      reference: { value: 1.1, label: 'goal 1.10' },
      bars: [
        ...(json.memory.loadedRatio === undefined ? [] : [{ label: 'whole family, loaded', value: json.memory.loadedRatio, note: `${json.memory.loadedRatio.toFixed(3)}x` }]),
        { label: 'after b1 + b8 runs', value: json.memory.ratio, note: `${json.memory.ratio.toFixed(3)}x` },
      ],
    });
  }
  const load = json.machine?.load?.map((v) => v.toFixed(1)).join('/') ?? '?';
  return barChart('Stitching overhead: route graph vs single-route graph', `${(json.date ?? '').slice(0, 16)} · ${json.machine?.cpu ?? '?'} × ${json.machine?.cores ?? '?'} · load avg ${load}`, panels);
}
