import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import {
  classColour,
  classIndexPng,
  depthColourPng,
  depthMap,
  depthPng16,
  depthSummary,
  describeSegments,
  encodeRle,
  labelMap,
  overlayPng,
  rampColour,
  resamplePlane,
} from '../../src/postprocess/index.js';
import { fitGeometry, openImage } from '../../src/preprocess/index.js';
import { fixtureImage, SCENE } from '../helpers/images.js';

async function decodeGray(png: Buffer, depth: 'uchar' | 'ushort'): Promise<{ values: number[]; width: number; height: number; channels: number }> {
  const { channels } = await sharp(png).metadata();
  const { data, info } = await sharp(png).toColourspace(depth === 'ushort' ? 'grey16' : 'b-w').raw({ depth }).toBuffer({ resolveWithObject: true });
  const values = depth === 'ushort' ? Array.from(new Uint16Array(data.buffer, data.byteOffset, data.length / 2)) : Array.from(data);
  return { values, width: info.width, height: info.height, channels };
}

test('resamplePlane: same size is the identity; a constant stays constant when upsampled', () => {
  const plane = Float32Array.from({ length: 12 }, (_, i) => i);
  const same = fitGeometry('fill', { width: 4, height: 3 }, { width: 4, height: 3 });
  assert.deepEqual(Array.from(resamplePlane(plane, 0, same)), Array.from(plane));
  const up = fitGeometry('fill', { width: 40, height: 30 }, { width: 4, height: 3 });
  const constant = resamplePlane(new Float32Array(12).fill(2.5), 0, up);
  assert.equal(constant.length, 1200);
  assert.ok(constant.every((v) => v === 2.5));
  const ramp = resamplePlane(Float32Array.from([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]), 0, up);
  for (let x = 1; x < 40; x++) assert.ok(ramp[x]! >= ramp[x - 1]!, 'a ramp stays monotone');
});

test('labelMap: upsampled argmax of logits, bilinear path and nearest (large image) path agree on halves', () => {
  // 2 classes on a 4×2 grid: class 1 wins on the left half.
  const logits = Float32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0]);
  for (const source of [{ width: 40, height: 20 }, { width: 4000, height: 2100 }]) {
    const map = labelMap(logits, 2, fitGeometry('fill', source, { width: 4, height: 2 }));
    assert.equal(map.labels.length, source.width * source.height);
    const row = Math.floor(source.height / 2) * source.width;
    assert.equal(map.labels[row + 1], 1, 'left is class 1');
    assert.equal(map.labels[row + source.width - 2], 0, 'right is class 0');
  }
  assert.throws(() => labelMap(new Float32Array(3), 2, fitGeometry('fill', { width: 4, height: 2 }, { width: 4, height: 2 })), RangeError);
});

test('RLE is COCO order (column-major, zeros first) and describeSegments reports areas', () => {
  // 3×2 map, row-major: [1 0 1 / 1 1 0]  → column-major: 1 1 | 0 1 | 1 0
  const map = { width: 3, height: 2, classes: 3, labels: Uint16Array.from([1, 0, 1, 1, 1, 0]) };
  assert.deepEqual(encodeRle(map, 1), { size: [2, 3], counts: [0, 2, 1, 2, 1] });
  assert.deepEqual(encodeRle(map, 0), { size: [2, 3], counts: [2, 1, 2, 1] });
  const segments = describeSegments(map, ['background', 'shirt', 'unused']);
  assert.deepEqual(segments.map((s) => [s.label, s.area, s.fraction]), [['shirt', 4, 4 / 6], ['background', 2, 2 / 6]]);
});

test('class-index PNG decodes back to the labels; overlay keeps background pixels and tints the rest', async () => {
  const width = SCENE.width;
  const height = SCENE.height;
  const labels = new Uint16Array(width * height);
  for (let i = 0; i < labels.length; i++) labels[i] = i % width < width / 2 ? 0 : 2;
  const map = { width, height, classes: 3, labels };
  const decoded = await decodeGray(await classIndexPng(map), 'uchar');
  assert.deepEqual([decoded.width, decoded.height, decoded.channels], [width, height, 1]);
  assert.deepEqual(decoded.values, Array.from(labels));

  const image = await openImage({ kind: 'encoded', bytes: fixtureImage('scene.png') }, 1e6);
  const overlay = await sharp(await overlayPng(map, image)).raw().toBuffer({ resolveWithObject: true });
  const photo = await sharp(fixtureImage('scene.png')).raw().toBuffer();
  assert.deepEqual([overlay.info.width, overlay.info.height, overlay.info.channels], [width, height, 3]);
  const left = 10 * width * 3 + 3;
  assert.equal(overlay.data[left], photo[left], 'background untouched');
  const right = (10 * width + width - 3) * 3;
  const green = classColour(2)[1];
  assert.equal(overlay.data[right + 1], Math.round(photo[right + 1]! * 0.5 + green * 0.5), 'class 2 blended at 50 %');
});

test('depth: 16-bit PNG in millimetres, colourised PNG, stats and downsampled array', async () => {
  const geometry = fitGeometry('fill', { width: 100, height: 50 }, { width: 4, height: 2 });
  const map = depthMap(new Float32Array(8).fill(1.25), geometry);
  assert.equal(map.metres.length, 5000);
  const png = await decodeGray(await depthPng16(map), 'ushort');
  assert.deepEqual([png.width, png.height, png.channels], [100, 50, 1]);
  assert.ok(png.values.every((v) => v === 1250));
  const colour = await sharp(await depthColourPng(map, [0.5, 2])).metadata();
  assert.deepEqual([colour.width, colour.height, colour.channels], [100, 50, 3]);
  const ramp = depthMap(Float32Array.from([1, 2, 3, 4, 1, 2, 3, 4]), fitGeometry('fill', { width: 4, height: 2 }, { width: 4, height: 2 }));
  const summary = depthSummary(ramp, 2);
  assert.deepEqual([summary.min, summary.max, summary.mean, summary.median], [1, 4, 2.5, 2.5]);
  assert.deepEqual(summary.downsampled, { width: 2, height: 1, data: [[1.5, 3.5]] });
  assert.equal(depthSummary(map).downsampled.width, 64);
});

test('colour helpers: VOC palette and ramp ends', () => {
  assert.deepEqual(classColour(0), [0, 0, 0]);
  assert.deepEqual(classColour(1), [128, 0, 0]);
  assert.deepEqual(classColour(2), [0, 128, 0]);
  assert.deepEqual(classColour(15), [192, 128, 128]);
  assert.deepEqual(rampColour(-1), [68, 1, 84]);
  assert.deepEqual(rampColour(2), [253, 231, 37]);
});
