/**
 * npm run bench:postprocess -- [--pairs 15] [--reps 20]
 *
 * Main-thread post-processing of a segmentation answer, the product's code next to the straightforward
 * reference it must equal bit for bit (test/postprocess/reference.ts), on the overload test's workload: a
 * 224×224 image, 11 classes at 48×48 model resolution. Per-answer labels (upsampled argmax) and the overlay
 * blend. Timed in alternating ABBA pairs (`reps` calls each) so both sides see the same machine load; the
 * result is the median of the per-pair ratios (reference ÷ product). Writes bench/results/postprocess.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { labelMap } from '../src/postprocess/index.js';
import { blendClasses } from '../src/postprocess/segment-image.js';
import { fitGeometry } from '../src/preprocess/geometry.js';
import { referenceBilinearLabels, referenceBlend } from '../test/postprocess/reference.js';
import { contextLine, finishContext, RESULTS_DIR, rounded, runContext } from './lib/results.js';

const { values: args } = parseArgs({ options: { pairs: { type: 'string', default: '15' }, reps: { type: 'string', default: '20' } } });
const PAIRS = Number(args.pairs);
const REPS = Number(args.reps);

const SOURCE = { width: 224, height: 224 };
const MODEL = { width: 48, height: 48 };
const CLASSES = 11;
const geometry = fitGeometry('fill', SOURCE, MODEL);
let seed = 1;
const next = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const logits = Float32Array.from({ length: CLASSES * MODEL.width * MODEL.height }, () => next() * 10 - 5);
const photo = Uint8Array.from({ length: SOURCE.width * SOURCE.height * 3 }, () => Math.floor(next() * 256));
const labels = labelMap(logits, CLASSES, geometry).labels;

/** ms per call of `run`, over `REPS` calls. */
function time(run: () => unknown): number {
  const start = performance.now();
  for (let i = 0; i < REPS; i++) run();
  return (performance.now() - start) / REPS;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** ABBA pairs of reference (A) and product (B); per pair the mean of A's two windows over B's two. */
function compare(reference: () => unknown, product: () => unknown) {
  for (let i = 0; i < 3; i++) (reference(), product()); // warm both up (JIT)
  const ratios: number[] = [];
  const referenceMs: number[] = [];
  const productMs: number[] = [];
  for (let p = 0; p < PAIRS; p++) {
    const a1 = time(reference);
    const b1 = time(product);
    const b2 = time(product);
    const a2 = time(reference);
    referenceMs.push((a1 + a2) / 2);
    productMs.push((b1 + b2) / 2);
    ratios.push((a1 + a2) / (b1 + b2));
  }
  return { referenceMs: median(referenceMs), productMs: median(productMs), speedup: median(ratios), pairs: PAIRS, callsPerWindow: REPS };
}

const ctx = runContext();
const same = (a: Uint8Array | Uint16Array, b: Uint8Array | Uint16Array) => a.length === b.length && a.every((x, i) => x === b[i]);
if (!same(labels, referenceBilinearLabels(logits, CLASSES, geometry))) throw new Error('labelMap differs from the reference');
if (!same(blendClasses(photo, labels, CLASSES), referenceBlend(photo, labels))) throw new Error('blendClasses differs from the reference');
const results = {
  workload: { source: SOURCE, model: MODEL, classes: CLASSES },
  labels: compare(() => referenceBilinearLabels(logits, CLASSES, geometry), () => labelMap(logits, CLASSES, geometry)),
  overlayBlend: compare(() => referenceBlend(photo, labels), () => blendClasses(photo, labels, CLASSES)),
};
finishContext(ctx);
console.log(contextLine(ctx));
for (const [name, r] of Object.entries({ labels: results.labels, 'overlay blend': results.overlayBlend })) {
  console.log(`${name}: reference ${r.referenceMs.toFixed(2)} ms, product ${r.productMs.toFixed(2)} ms per 224×224 answer (medians); speedup ${r.speedup.toFixed(2)}× (median of ${r.pairs} ABBA pair ratios)`);
}
await mkdir(RESULTS_DIR, { recursive: true });
await writeFile(path.join(RESULTS_DIR, 'postprocess.json'), `${JSON.stringify(rounded({ benchmark: 'postprocess', context: ctx, ...results }), null, 1)}\n`);
