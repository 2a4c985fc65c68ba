import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import type { PreprocessSpec } from '../../src/bundle/manifest.js';
import { ServiceError, type ErrorCode } from '../../src/errors.js';
import { fitGeometry, Preprocessor, toPlanarTensor, toSource } from '../../src/preprocess/index.js';
import { fixtureImage, SCENE } from '../helpers/images.js';

const RGB: PreprocessSpec = { fit: 'fill', kernel: 'linear', grayscale: false, invert: false, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
const SIZE = { height: 16, width: 24 };
const preprocessor = new Preprocessor(25_000_000);

const encoded = (name: string) => ({ kind: 'encoded' as const, bytes: fixtureImage(name) });

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ServiceError, `expected ServiceError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.status >= 400 && err.status < 500);
    return err;
  }
  assert.fail(`expected ${code}`);
}

test('toPlanarTensor: ((v/255) − mean)/std per channel, interleaved → planar', () => {
  const pixels = Uint8Array.from([0, 255, 51, 255, 0, 102]); // two RGB pixels
  const out = toPlanarTensor(pixels, 3, { mean: [0, 0.5, 0.2], std: [1, 0.5, 0.1] }, new Float32Array(6));
  const expected = [0, 1, (1 - 0.5) / 0.5, (0 - 0.5) / 0.5, (0.2 - 0.2) / 0.1, (0.4 - 0.2) / 0.1];
  expected.forEach((value, i) => assert.ok(Math.abs(out[i]! - value) < 1e-6, `index ${i}: ${out[i]} vs ${value}`));
});

test('toPlanarTensor: one luminance channel is replicated to R, G and B; refuses a short buffer', () => {
  const out = toPlanarTensor(Uint8Array.from([255, 0]), 1, { mean: [0, 0, 0], std: [1, 1, 1] }, new Float32Array(6));
  assert.deepEqual(Array.from(out), [1, 0, 1, 0, 1, 0]);
  assert.throws(() => toPlanarTensor(Uint8Array.from([1, 2, 3]), 3, RGB, new Float32Array(2)), RangeError);
});

test('every accepted format decodes to (nearly) the same tensor as the lossless PNG', async () => {
  const reference = await preprocessor.run(encoded('scene.png'), RGB, SIZE);
  assert.equal(reference.pixels.length, 3 * SIZE.height * SIZE.width);
  assert.deepEqual(reference.original, SCENE);
  // Lossy codecs at high quality stay close on average; compare the mean error, edges may differ more.
  for (const name of ['scene.jpg', 'scene.webp', 'scene.avif', 'scene.tiff', 'scene.gif']) {
    const result = await preprocessor.run(encoded(name), RGB, SIZE);
    assert.deepEqual(result.original, SCENE, name);
    let sum = 0;
    for (let i = 0; i < result.pixels.length; i++) sum += Math.abs(result.pixels[i]! - reference.pixels[i]!);
    assert.ok(sum / result.pixels.length < 0.05, `${name}: mean |diff| ${sum / result.pixels.length}`);
    assert.ok(result.ms >= 0);
  }
});

test('EXIF orientation is honoured: the rotated JPEG shows and preprocesses as the scene', async () => {
  const rotated = await preprocessor.run(encoded('scene-exif-rot90.jpg'), RGB, SIZE);
  const upright = await preprocessor.run(encoded('scene.jpg'), RGB, SIZE);
  assert.deepEqual(rotated.original, SCENE);
  assert.ok(maxAbsDiff(rotated.pixels, upright.pixels) < 0.1, 'same content after orientation');
});

test('grayscale replicates luminance; invert flips it; 16-bit grayscale input is scaled, not clipped', async () => {
  const gray: PreprocessSpec = { ...RGB, grayscale: true, mean: [0, 0, 0], std: [1, 1, 1] };
  const result = await preprocessor.run(encoded('scene.png'), gray, SIZE);
  const plane = SIZE.height * SIZE.width;
  for (let i = 0; i < plane; i++) {
    assert.equal(result.pixels[i], result.pixels[plane + i]);
    assert.equal(result.pixels[i], result.pixels[2 * plane + i]);
  }
  const inverted = await preprocessor.run(encoded('scene.png'), { ...gray, invert: true }, SIZE);
  for (let i = 0; i < plane; i++) assert.ok(Math.abs(inverted.pixels[i]! - (1 - result.pixels[i]!)) < 1e-6);
  const sixteen = await preprocessor.run(encoded('scene-gray16.png'), gray, SIZE);
  assert.ok(maxAbsDiff(sixteen.pixels, result.pixels) < 0.02, 'grey16 PNG matches the 8-bit scene');
});

test('alpha is flattened onto black; contain pads with black; cover crops the centre', async () => {
  const plain: PreprocessSpec = { ...RGB, mean: [0, 0, 0], std: [1, 1, 1] };
  const rgba = await preprocessor.run(encoded('scene-rgba.png'), plain, SIZE);
  const opaque = await preprocessor.run(encoded('scene.png'), plain, SIZE);
  // 50 % alpha over black halves every value (±1/255 rounding).
  for (let i = 0; i < rgba.pixels.length; i++) assert.ok(Math.abs(rgba.pixels[i]! - opaque.pixels[i]! / 2) < 0.01);
  const square = { height: 24, width: 24 };
  const contain = await preprocessor.run(encoded('scene.png'), { ...plain, fit: 'contain' }, square);
  // The 96×64 scene fits as 24×16 centred: rows 0-3 and 20-23 are padding.
  for (const row of [0, 3, 20, 23]) for (let x = 0; x < 24; x++) assert.equal(contain.pixels[row * 24 + x], 0);
  const cover = await preprocessor.run(encoded('scene.png'), { ...plain, fit: 'cover' }, square);
  assert.ok(cover.pixels.some((v) => v > 0) && cover.pixels[0]! > 0, 'cover leaves no padding');
});

test('raw UINT8 HWC pixels go through the same pipeline as encoded images', async () => {
  const { data, info } = await sharp(fixtureImage('scene.png')).raw().toBuffer({ resolveWithObject: true });
  const raw = await preprocessor.run({ kind: 'raw', data, width: info.width, height: info.height, channels: 3 }, RGB, SIZE);
  const png = await preprocessor.run(encoded('scene.png'), RGB, SIZE);
  assert.ok(maxAbsDiff(raw.pixels, png.pixels) < 1e-6);
  await rejectsWith(preprocessor.run({ kind: 'raw', data: data.subarray(1), width: 96, height: 64, channels: 3 }, RGB, SIZE), 'INVALID_TENSOR');
});

test('broken, foreign and oversized images are 4xx ServiceErrors with stable codes', async () => {
  const cases: [string, ErrorCode][] = [
    ['truncated.jpg', 'CORRUPT_IMAGE'],
    ['truncated.png', 'CORRUPT_IMAGE'],
    ['truncated.webp', 'CORRUPT_IMAGE'],
    ['truncated.gif', 'CORRUPT_IMAGE'],
    ['corrupt-idat.png', 'CORRUPT_IMAGE'],
    ['corrupt-header.jpg', 'CORRUPT_IMAGE'],
    ['header-only.png', 'CORRUPT_IMAGE'],
    ['not-an-image.jpg', 'UNSUPPORTED_IMAGE'],
    ['vector.svg', 'UNSUPPORTED_IMAGE'],
    ['bomb-60000x60000.png', 'IMAGE_TOO_LARGE'],
  ];
  for (const [name, code] of cases) {
    const err = await rejectsWith(preprocessor.run(encoded(name), RGB, SIZE), code);
    assert.doesNotMatch(err.message, /vips|libpng|\/work\//i, `${name}: no decoder internals in the message`);
  }
  await rejectsWith(preprocessor.run({ kind: 'encoded', bytes: Buffer.alloc(0) }, RGB, SIZE), 'EMPTY_BODY');
});

test('the pixel limit is checked from the header (configurable)', async () => {
  const small = new Preprocessor(SCENE.width * SCENE.height - 1);
  const err = await rejectsWith(small.run(encoded('scene.jpg'), RGB, SIZE), 'IMAGE_TOO_LARGE');
  assert.match(err.message, /96×64 = 6144 pixels; the limit is 6143/);
  const exact = new Preprocessor(SCENE.width * SCENE.height);
  await exact.run(encoded('scene.jpg'), RGB, SIZE);
});

test('fitGeometry matches where sharp actually places the image (contain letterbox, cover crop)', async () => {
  const white = sharp({ create: { width: 96, height: 64, channels: 3, background: '#ffffff' } }).png();
  const png = await white.toBuffer();
  for (const [fit, width, height] of [['contain', 28, 28], ['contain', 33, 7], ['contain', 10, 30], ['cover', 24, 24]] as ['contain' | 'cover', number, number][]) {
    const { data } = await sharp(png).resize(width, height, { fit, background: '#000000' }).raw().toBuffer({ resolveWithObject: true });
    let left = width;
    let top = height;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (data[(y * width + x) * 3]! > 128) [left, top] = [Math.min(left, x), Math.min(top, y)];
    const geometry = fitGeometry(fit, { width: 96, height: 64 }, { width, height });
    const [u, v] = [Math.max(0, geometry.offsetX), Math.max(0, geometry.offsetY)];
    assert.deepEqual([u, v], [left, top], `${fit} ${width}×${height}`);
    const [x, y] = toSource(geometry, geometry.offsetX, geometry.offsetY);
    assert.deepEqual([x, y], [0, 0]);
  }
});
