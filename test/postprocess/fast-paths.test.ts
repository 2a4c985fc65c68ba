import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelMap } from '../../src/postprocess/index.js';
import { blendClasses } from '../../src/postprocess/segment-image.js';
import { fitGeometry } from '../../src/preprocess/geometry.js';
import { referenceBilinearLabels, referenceBlend } from './reference.js';

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('labelMap (bilinear path) equals resampling every class plane and comparing, bit for bit', () => {
  const cases = [
    { fit: 'fill', source: [224, 224], model: [48, 48], classes: 11 },
    { fit: 'fill', source: [37, 91], model: [8, 6], classes: 3 },
    { fit: 'contain', source: [300, 120], model: [32, 32], classes: 21 },
    { fit: 'cover', source: [120, 300], model: [32, 24], classes: 5 },
    { fit: 'fill', source: [5, 7], model: [16, 16], classes: 4 },
    { fit: 'fill', source: [1, 1], model: [4, 4], classes: 2 },
  ] as const;
  for (const [k, c] of cases.entries()) {
    const next = random(k + 1);
    const geometry = fitGeometry(c.fit, { width: c.source[0], height: c.source[1] }, { width: c.model[0], height: c.model[1] });
    const plane = c.model[0] * c.model[1];
    // Coarse values make exact ties between classes common, so the first-class-wins rule is exercised too.
    const logits = Float32Array.from({ length: c.classes * plane }, () => Math.round(next() * 8) / 4 - 1);
    const fast = labelMap(logits, c.classes, geometry).labels;
    assert.deepEqual(fast, referenceBilinearLabels(logits, c.classes, geometry), `case ${k}: ${JSON.stringify(c)}`);
    // And with continuous values.
    const smooth = Float32Array.from({ length: c.classes * plane }, () => next() * 20 - 10);
    assert.deepEqual(labelMap(smooth, c.classes, geometry).labels, referenceBilinearLabels(smooth, c.classes, geometry));
  }
});

test('blendClasses equals blending each pixel with its class colour computed per pixel', () => {
  const next = random(7);
  const classes = 21;
  const pixels = 97 * 61;
  const photo = Uint8Array.from({ length: pixels * 3 }, () => Math.floor(next() * 256));
  const labels = Uint16Array.from({ length: pixels }, () => (next() < 0.4 ? 0 : Math.floor(next() * classes)));
  assert.deepEqual(blendClasses(photo, labels, classes), referenceBlend(photo, labels));
  assert.notEqual(blendClasses(photo, labels, classes), photo, 'a new buffer: the photo is not written');
});
