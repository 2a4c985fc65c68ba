/**
 * Stale-metrics guard for the committed demo bundle (models/fmnist-s-l): re-runs a few stitches of family.onnx
 * through the real engine on a fixed subset and checks each primary metric against the manifest's value.
 *
 * Subsets: the first 1000 Fashion-MNIST test images (read from the Debian dataset; skipped if absent) and the
 * 64 committed test scenes. Tolerances come from test/demo-family/fixtures/subset.json: Z standard deviations of
 * the metric on a subset of that size (binomial for top-1, bootstrap over the evaluation scenes for the dense
 * metrics), so a re-trained family with un-updated metrics fails while sampling noise does not.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Manifest } from '../../src/bundle/manifest.js';
import { Engine } from '../../src/engine/engine.js';
import { decodeCenterNet } from '../../src/postprocess/detect.js';
import { fitGeometry } from '../../src/preprocess/geometry.js';
import { BUNDLE_DIR, classifyPixels, hasFashionMnist, readFashionMnistTest, readScenes, readSubsetMeta, scenePixels, type Scene, type SubsetMeta } from './data.js';
import { type Box, Confusion, delta1, type ImageDetections, meanAp } from './metrics.js';

const BATCH = 8;

// Until the first trained bundle is committed there is nothing to re-check.
const bundlePresent = existsSync(path.join(BUNDLE_DIR, 'manifest.json'));

describe('demo family: committed metrics match a re-evaluation on a fixed subset', { skip: !bundlePresent && 'models/fmnist-s-l not built yet' }, () => {
  let engine: Engine;
  let manifest: Manifest;
  let meta: SubsetMeta;
  let scenes: Scene[];

  before(async () => {
    manifest = JSON.parse(readFileSync(path.join(BUNDLE_DIR, 'manifest.json'), 'utf8')) as Manifest;
    meta = readSubsetMeta();
    scenes = readScenes(meta);
    engine = new Engine({
      bundleDir: BUNDLE_DIR,
      modelRoot: path.dirname(BUNDLE_DIR),
      threads: 1,
      maxBatch: BATCH,
      batchSizes: [BATCH],
      servedStitches: meta.stitches,
      warmup: { enabled: false },
      profileCacheDir: null,
    });
    await engine.start();
  });
  after(() => engine?.close());

  const expected = (stitchId: number, task: string, metric: string): number => {
    const stitch = manifest.stitches.find((s) => s.id === stitchId);
    const value = (stitch?.metrics as Record<string, Record<string, number>> | undefined)?.[task]?.[metric];
    assert.equal(typeof value, 'number', `manifest has no ${task}.${metric} for stitch ${stitchId}`);
    return value!;
  };
  const within = (stitchId: number, key: string, actual: number, wanted: number) => {
    const tolerance = meta.tolerances[String(stitchId)]![key]!;
    assert.ok(Math.abs(actual - wanted) <= tolerance,
      `stitch ${stitchId} ${key}: subset ${actual.toFixed(4)} vs manifest ${wanted.toFixed(4)} (tolerance ${tolerance.toFixed(4)})`);
  };

  /** Runs `count` inputs (written by `fill(i, buffer, offset)`) in batches; returns each batch's outputs. */
  async function runAll(task: 'classify' | 'segment' | 'depth' | 'detect', stitchId: number, count: number, side: number,
    fill: (i: number, out: Float32Array, offset: number) => void) {
    const per = 3 * side * side;
    const results = [];
    for (let first = 0; first < count; first += BATCH) {
      const n = Math.min(BATCH, count - first);
      const pixels = new Float32Array(BATCH * per); // padded to the served batch size
      for (let k = 0; k < n; k++) fill(first + k, pixels, k * per);
      results.push({ first, n, outputs: (await engine.run({ task, stitchId, batchSize: BATCH, pixels })).outputs });
    }
    return results;
  }

  test('classification top-1 on the first 1000 test images', { skip: !hasFashionMnist() && 'dataset-fashion-mnist not installed' }, async () => {
    const { images, labels } = readFashionMnistTest(meta.classifyImages);
    const side = manifest.tasks.classify!.input.height;
    for (const stitchId of meta.stitches) {
      let correct = 0;
      for (const { first, n, outputs } of await runAll('classify', stitchId, images.length, side, (i, out, o) => classifyPixels(images[i]!, 28, side, out, o))) {
        const logits = outputs['classify.logits']!;
        const classes = logits.dims[1]!;
        for (let k = 0; k < n; k++) {
          const row = logits.data.subarray(k * classes, (k + 1) * classes);
          if (row.indexOf(Math.max(...row)) === labels[first + k]) correct += 1;
        }
      }
      within(stitchId, 'classify.top1', correct / images.length, expected(stitchId, 'classify', 'top1'));
    }
  });

  test('segmentation mIoU, depth δ1 and detection mAP@0.5 on the 64 committed test scenes', async () => {
    const side = meta.sceneSize;
    const plane = side * side;
    const detect = manifest.tasks.detect!;
    for (const stitchId of meta.stitches) {
      const confusion = new Confusion(manifest.tasks.segment!.labels!.length);
      for (const { first, n, outputs } of await runAll('segment', stitchId, scenes.length, side, (i, out, o) => scenePixels(scenes[i]!.image, side, out, o))) {
        const logits = outputs['segment.logits']!;
        const classes = logits.dims[1]!;
        for (let k = 0; k < n; k++) {
          const pred = new Uint8Array(plane);
          for (let p = 0; p < plane; p++) {
            let best = 0;
            for (let c = 1; c < classes; c++) if (logits.data[(k * classes + c) * plane + p]! > logits.data[(k * classes + best) * plane + p]!) best = c;
            pred[p] = best;
          }
          confusion.add(pred, scenes[first + k]!.segment);
        }
      }
      within(stitchId, 'segment.mIoU', confusion.miou(), expected(stitchId, 'segment', 'mIoU'));

      const deltas: number[] = [];
      for (const { first, n, outputs } of await runAll('depth', stitchId, scenes.length, side, (i, out, o) => scenePixels(scenes[i]!.image, side, out, o))) {
        const depth = outputs['depth.depth']!.data;
        for (let k = 0; k < n; k++) {
          const value = delta1(depth.subarray(k * plane, (k + 1) * plane), scenes[first + k]!.depth, meta.depthRange);
          if (value !== null) deltas.push(value);
        }
      }
      within(stitchId, 'depth.delta1', deltas.reduce((a, b) => a + b, 0) / deltas.length, expected(stitchId, 'depth', 'delta1'));

      const images: ImageDetections[] = [];
      const geometry = fitGeometry('fill', { width: side, height: side }, { width: side, height: side });
      for (const { first, n, outputs } of await runAll('detect', stitchId, scenes.length, side, (i, out, o) => scenePixels(scenes[i]!.image, side, out, o))) {
        const [heatmap, size, offset] = (['detect.heatmap', 'detect.size', 'detect.offset'] as const).map((name) => outputs[name]!);
        const [, classes, h, w] = heatmap!.dims as [number, number, number, number];
        for (let k = 0; k < n; k++) {
          const dets = decodeCenterNet({
            heatmap: heatmap!.data.subarray(k * classes * h * w, (k + 1) * classes * h * w),
            size: size!.data.subarray(k * 2 * h * w, (k + 1) * 2 * h * w),
            offset: offset!.data.subarray(k * 2 * h * w, (k + 1) * 2 * h * w),
            classes, height: h, width: w,
          }, geometry, { scoreThreshold: Number.MIN_VALUE, maxDetections: meta.detectionsPerImage, stride: detect.stride! });
          const scene = scenes[first + k]!;
          images.push({
            boxes: dets.map((d) => [d.box.xMin, d.box.yMin, d.box.xMax, d.box.yMax] as Box),
            scores: dets.map((d) => d.score),
            labels: dets.map((d) => d.index),
            truthBoxes: scene.boxes as Box[],
            truthLabels: scene.labels,
          });
        }
      }
      within(stitchId, 'detect.mAP50', meanAp(images, detect.labels!.length), expected(stitchId, 'detect', 'mAP50'));
    }
  });
});
