import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCenterNet } from '../../src/postprocess/index.js';
import { fitGeometry } from '../../src/preprocess/index.js';

/** A 2-class 4×6 heatmap with one strong object, a weaker neighbour (suppressed) and a weak second class. */
function outputs() {
  const height = 4;
  const width = 6;
  const plane = height * width;
  const heatmap = new Float32Array(2 * plane);
  const size = new Float32Array(2 * plane);
  const offset = new Float32Array(2 * plane);
  heatmap[1 * width + 2] = 0.9; // class 0 at (y=1, x=2)
  heatmap[1 * width + 3] = 0.8; // its neighbour: not a peak
  heatmap[plane + 3 * width + 5] = 0.4; // class 1 at (y=3, x=5)
  size[1 * width + 2] = 8; // width (model px)
  size[plane + 1 * width + 2] = 4; // height
  offset[1 * width + 2] = 0.5; // x offset (cells)
  offset[plane + 1 * width + 2] = 0.25; // y offset
  return { heatmap, size, offset, classes: 2, height, width };
}

test('CenterNet decode: 3×3 peaks, threshold, stride, offsets, sizes, mapping to source pixels', () => {
  // Model input 24×16 (stride 4 → 6×4 heatmap); the source image is twice as large.
  const geometry = fitGeometry('fill', { width: 48, height: 32 }, { width: 24, height: 16 });
  const detections = decodeCenterNet(outputs(), geometry, { scoreThreshold: 0.3, maxDetections: 10, stride: 4, labels: ['cat', 'dog'] });
  assert.equal(detections.length, 2, 'the 0.8 neighbour is suppressed');
  const [first, second] = detections;
  assert.equal(first!.label, 'cat');
  assert.ok(Math.abs(first!.score - 0.9) < 1e-6);
  // centre (2.5·4, 1.25·4) = (10, 5) model px; box ±4 × ±2 → (6,3)-(14,7) model → ×2 in source.
  assert.deepEqual(first!.box, { xMin: 12, yMin: 6, xMax: 28, yMax: 14 });
  assert.equal(second!.label, 'dog');
  assert.deepEqual(second!.box, { xMin: 40, yMin: 24, xMax: 40, yMax: 24 }, 'zero-size box at its centre, clipped inside the image');
});

test('CenterNet decode: threshold and maxDetections cut; mismatched shapes are refused', () => {
  const geometry = fitGeometry('fill', { width: 24, height: 16 }, { width: 24, height: 16 });
  assert.equal(decodeCenterNet(outputs(), geometry, { scoreThreshold: 0.5, maxDetections: 10, stride: 4 }).length, 1);
  assert.equal(decodeCenterNet(outputs(), geometry, { scoreThreshold: 0.1, maxDetections: 1, stride: 4 }).length, 1);
  assert.equal(decodeCenterNet(outputs(), geometry, { scoreThreshold: 0.1, maxDetections: 0, stride: 4 }).length, 0);
  assert.throws(() => decodeCenterNet({ ...outputs(), classes: 3 }, geometry, { scoreThreshold: 0.1, maxDetections: 1, stride: 4 }), RangeError);
});

test('CenterNet decode: a letterboxed input maps boxes back through the padding', () => {
  // 48×16 source letterboxed into 24×24: scale 0.5, 8 px bars top and bottom.
  const geometry = fitGeometry('contain', { width: 48, height: 16 }, { width: 24, height: 24 });
  assert.deepEqual([geometry.scaleX, geometry.scaleY, geometry.offsetX, geometry.offsetY], [0.5, 0.5, 0, 8]);
  const heatmap = new Float32Array(36);
  const size = new Float32Array(72);
  heatmap[3 * 6 + 3] = 0.7; // centre cell (3,3) → (12,12) model px with zero offset
  size[3 * 6 + 3] = 4;
  size[36 + 3 * 6 + 3] = 4;
  const [detection] = decodeCenterNet({ heatmap, size, offset: new Float32Array(72), classes: 1, height: 6, width: 6 }, geometry, {
    scoreThreshold: 0.5,
    maxDetections: 5,
    stride: 4,
  });
  // (10..14, 10..14) model px → x (10..14)/0.5, y (10−8..14−8)/0.5
  assert.deepEqual(detection!.box, { xMin: 20, yMin: 4, xMax: 28, yMax: 12 });
});
