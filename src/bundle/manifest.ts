/**
 * TypeScript view of a bundle's manifest.json (format "stitchserve-bundle", formatVersion 1).
 * The JSON Schema in models/bundle.schema.json is the source of truth for structure; these types mirror it and
 * docs/contracts.md §1. A manifest only has these types after `loadBundle` validated it.
 */

/** The four task heads a family may carry. */
export const TASK_NAMES = ['classify', 'segment', 'depth', 'detect'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export function isTaskName(value: unknown): value is TaskName {
  return typeof value === 'string' && (TASK_NAMES as readonly string[]).includes(value);
}

/** Kinds of stitch: a plain anchor, the SN-Netv2 two-way kinds, and SN-Net v1 stitches. */
export type StitchKind = 'anchor' | 's2l' | 'l2s' | 'lsl' | 'sls' | 'v1';

export interface AnchorSpec {
  id: number;
  name: string;
  flavour: 'deit3' | 'deit';
  /** Embedding width. */
  dim: number;
  /** Number of transformer blocks. */
  depth: number;
  heads: number;
  mlpRatio: number;
  /** Patch size in input pixels. */
  patch: number;
  /** Native input size (pixels) of the position-embedding grid, when the toolchain records it. */
  imgSize?: number;
  params: number;
}

export interface PreprocessSpec {
  fit: 'fill' | 'cover' | 'contain';
  kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3';
  grayscale?: boolean;
  invert?: boolean;
  /** Per-channel RGB mean applied to rgb/255. */
  mean: [number, number, number];
  std: [number, number, number];
}

export interface MetricSpec {
  name: string;
  higherIsBetter: boolean;
}

export interface TaskSpec {
  /** Name of the scalar bool graph input (one of graph.conditions) set true when running this task. */
  condition: string;
  /** The graph input `pixels` is float32 [B, 3, height, width] for this task. */
  input: { height: number; width: number };
  preprocess: PreprocessSpec;
  /** Graph output names of this task, in this order. */
  outputs: string[];
  labels?: string[];
  metric: MetricSpec;
  /** depth only: [min, max] metres. */
  depthRange?: [number, number];
  /** detect only: output cell size in input pixels. */
  stride?: number;
}

export interface StitchSpec {
  /** Upstream stitch id (excluded ids are absent, so ids are not necessarily contiguous). */
  id: number;
  kind: StitchKind;
  /** Anchor sequence of the route. */
  anchors: number[];
  /** Inclusive [first, last] block range per segment. */
  route: [number, number][];
  /** Stitching-layer id after each segment (-1 = none). */
  stitchLayers: number[];
  /** Indices into graph.conditions that are set true for this stitch (backbone blocks, stitch layers, taps). */
  slots: number[];
  params: number;
  /** fvcore-style MACs per task at that task's input size, batch 1. */
  flops: Partial<Record<TaskName, number>>;
  /** Known quality per task, metric name → fraction. */
  metrics?: Partial<Record<TaskName, Record<string, number>>>;
}

export interface GraphSpec {
  /** The route graph file, relative to the bundle directory. */
  file: string;
  /** Optional external-data file (64 KiB aligned), relative to the bundle directory. */
  externalData: string | null;
  opset: number;
  /** Name of the float32 [B,3,H,W] input. */
  input: string;
  /** One scalar bool graph input per entry, in slot order. */
  conditions: string[];
  /** Dense tasks: tapped block indices per anchor (small, large). */
  taps?: number[][];
}

export interface FileEntry {
  /** Relative to the bundle directory; never absolute, never escaping it. */
  path: string;
  /** Lower-case hex sha256 of the file's bytes. */
  sha256: string;
  bytes: number;
}

export interface Manifest {
  format: 'stitchserve-bundle';
  formatVersion: 1;
  name: string;
  description?: string;
  space: { kind: 'snnetv2' | 'snnetv1'; excluded: number[] };
  anchors: AnchorSpec[];
  tasks: Partial<Record<TaskName, TaskSpec>>;
  stitches: StitchSpec[];
  graph: GraphSpec;
  files: FileEntry[];
  provenance: { toolchain: string; created: string; seed?: number | null; notes?: string };
}

/** The task names a manifest actually carries, in the canonical TASK_NAMES order. */
export function manifestTasks(manifest: Manifest): TaskName[] {
  return TASK_NAMES.filter((task) => manifest.tasks[task] !== undefined);
}
