import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { Manifest } from '../../src/bundle/manifest.js';
import { softmax } from '../../src/postprocess/index.js';
import { postImage, postJson, startApp, TEST_BUDGET_MS, TINY_BUNDLE, type RunningApp } from '../helpers/app.js';
import { fixtureImage, SCENE } from '../helpers/images.js';
import { patternPixels, patternPng } from '../helpers/pixels.js';
import { maxAbsDiff } from '../helpers/references.js';

const manifest = JSON.parse(readFileSync(path.join(TINY_BUNDLE, 'manifest.json'), 'utf8')) as Manifest;
const PINNED = manifest.stitches[manifest.stitches.length - 1]!.id;

interface Envelope {
  requestId: string;
  task: string;
  result: Record<string, unknown>;
  stitch: { id: number; kind: string; gflops: number; expected: { metric: string; value: number | null } };
  batchSize: number;
  budgetMs: number;
  deadlineMet: boolean;
  timing: Record<string, number>;
}

describe('v1 task endpoints over HTTP (real engine, tiny-v2 bundle)', () => {
  let server: RunningApp;
  before(async () => {
    server = await startApp(null);
  });
  after(() => server.app.close());

  /** Raw outputs of the engine for the pattern image at the task's input size, through KServe FP32 input. */
  async function rawOutputs(task: 'classify' | 'segment' | 'depth' | 'detect'): Promise<Record<string, { shape: number[]; data: number[] }>> {
    const { height, width } = manifest.tasks[task]!.input;
    const pixels = patternPixels(width, height, manifest.tasks[task]!.preprocess);
    const response = await postJson(server.url, `/v2/models/${manifest.name}/infer`, {
      parameters: { task, stitch: PINNED },
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 3, height, width], data: Array.from(pixels) }],
    });
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as { outputs: { name: string; shape: number[]; data: number[] }[] };
    return Object.fromEntries(body.outputs.map((o) => [o.name, o]));
  }

  async function patternAnswer(task: string, query: string, headers: Record<string, string> = {}): Promise<Response> {
    const { height, width } = manifest.tasks[task as 'classify']!.input;
    return postImage(server.url, `/v1/${task}?stitch=${PINNED}${query}`, await patternPng(width, height), 'image/png', headers);
  }

  test('classify: probabilities equal softmax of the engine logits for the same pixels; envelope, headers, logs', async () => {
    const response = await patternAnswer('classify', '&top_k=3', { 'x-request-id': 'req-classify-1' });
    assert.equal(response.status, 200);
    const body = (await response.json()) as Envelope;
    const logits = (await rawOutputs('classify'))['classify.logits']!.data;
    const expected = softmax(logits);
    const predictions = body.result['predictions'] as { index: number; label: string; probability: number }[];
    assert.equal(predictions.length, 3);
    const order = Array.from(expected.keys()).sort((a, b) => expected[b]! - expected[a]!);
    assert.deepEqual(predictions.map((p) => p.index), order.slice(0, 3));
    for (const p of predictions) {
      assert.ok(Math.abs(p.probability - expected[p.index]!) < 1e-5, `class ${p.index}`);
      assert.equal(p.label, manifest.tasks.classify!.labels![p.index]);
    }
    assert.equal(body.stitch.id, PINNED);
    assert.equal(body.requestId, 'req-classify-1');
    assert.equal(response.headers.get('x-request-id'), 'req-classify-1');
    assert.equal(response.headers.get('x-stitch-id'), String(PINNED));
    assert.match(response.headers.get('server-timing')!, /^preprocess;dur=[\d.]+, queue;dur=[\d.]+, inference;dur=[\d.]+, postprocess;dur=[\d.]+, total;dur=[\d.]+$/);
    for (const key of ['preprocessMs', 'queueMs', 'inferenceMs', 'postprocessMs', 'totalMs']) assert.ok(body.timing[key]! >= 0, key);
    assert.equal(body.budgetMs, TEST_BUDGET_MS);
    assert.equal(typeof body.deadlineMet, 'boolean');
    assert.equal(body.stitch.expected.metric, 'top1');
    const line = server.logs.find((l) => l['msg'] === 'inference answered' && l['reqId'] === 'req-classify-1');
    assert.ok(line !== undefined, 'one log line per answer');
    assert.deepEqual([line['task'], line['stitch'], line['batchSize']], ['classify', PINNED, 1]);
  });

  test('classify: every accepted format, raw body and multipart, gives the same answer', async () => {
    const reference = (await (await postImage(server.url, `/v1/classify?stitch=${PINNED}`, fixtureImage('scene.png'), 'image/png')).json()) as Envelope;
    const top = (reference.result['predictions'] as { index: number }[])[0]!.index;
    const types: Record<string, string> = { jpg: 'image/jpeg', webp: 'image/webp', avif: 'image/avif', tiff: 'image/tiff', gif: 'image/gif' };
    for (const [extension, type] of Object.entries(types)) {
      const response = await postImage(server.url, `/v1/classify?stitch=${PINNED}`, fixtureImage(`scene.${extension}`), type);
      assert.equal(response.status, 200, `${extension}: ${await response.clone().text()}`);
      const body = (await response.json()) as Envelope;
      assert.equal((body.result['predictions'] as { index: number }[])[0]!.index, top, extension);
    }
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(fixtureImage('scene.png'))], { type: 'image/png' }), 'scene.png');
    const multipart = await fetch(`${server.url}/v1/classify?stitch=${PINNED}`, { method: 'POST', body: form });
    assert.equal(multipart.status, 200);
    assert.deepEqual(((await multipart.json()) as Envelope).result, reference.result);
    const octet = await postImage(server.url, `/v1/classify?stitch=${PINNED}`, fixtureImage('scene.png'), 'application/octet-stream');
    assert.deepEqual(((await octet.json()) as Envelope).result, reference.result);
  });

  test('segment JSON: areas and RLE masks equal the per-pixel argmax of the engine logits', async () => {
    const response = await patternAnswer('segment', '');
    assert.equal(response.status, 200);
    const body = (await response.json()) as Envelope;
    const { height, width } = manifest.tasks.segment!.input;
    const logits = (await rawOutputs('segment'))['segment.logits']!;
    const classes = logits.shape[1]!;
    const plane = height * width;
    const argmax = Array.from({ length: plane }, (_, i) => {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits.data[c * plane + i]! > logits.data[best * plane + i]!) best = c;
      return best;
    });
    const result = body.result as { width: number; height: number; classes: { index: number; label: string; area: number; mask: { size: number[]; counts: number[] } }[] };
    assert.deepEqual([result.width, result.height], [width, height]);
    for (const cls of result.classes) {
      assert.equal(cls.area, argmax.filter((a) => a === cls.index).length, `area of ${cls.label}`);
      assert.equal(cls.label, manifest.tasks.segment!.labels![cls.index]);
      // Decode the column-major RLE and compare with the argmax map.
      const decoded = new Array<number>(plane).fill(0);
      let position = 0;
      cls.mask.counts.forEach((run, k) => {
        for (let j = 0; j < run; j++, position++) if (k % 2 === 1) decoded[(position % height) * width + Math.floor(position / height)] = 1;
      });
      assert.deepEqual(decoded, argmax.map((a) => (a === cls.index ? 1 : 0)), `mask of ${cls.label}`);
    }
    assert.equal(result.classes.reduce((s, c) => s + c.area, 0), plane);
  });

  test('segment PNG formats: class indices and overlay at the displayed input size; Accept negotiation', async () => {
    const png = await postImage(server.url, '/v1/segment?format=png', fixtureImage('scene-exif-rot90.jpg'));
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    const indices = Buffer.from(await png.arrayBuffer());
    const meta = await sharp(indices).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels], [SCENE.width, SCENE.height, 1], 'EXIF-rotated input: mask in displayed orientation');
    const values = await sharp(indices).toColourspace('b-w').raw().toBuffer();
    assert.ok(values.every((v) => v < manifest.tasks.segment!.labels!.length));

    const overlay = await postImage(server.url, '/v1/segment?format=overlay', fixtureImage('scene.jpg'));
    const overlayMeta = await sharp(Buffer.from(await overlay.arrayBuffer())).metadata();
    assert.deepEqual([overlayMeta.width, overlayMeta.height, overlayMeta.channels], [SCENE.width, SCENE.height, 3]);

    const negotiated = await postImage(server.url, '/v1/segment', fixtureImage('scene.jpg'), 'image/jpeg', { accept: 'image/png' });
    assert.equal(negotiated.headers.get('content-type'), 'image/png');
    assert.ok(negotiated.headers.get('x-stitch-id') !== null && negotiated.headers.get('server-timing') !== null);
    const json = await postImage(server.url, '/v1/segment', fixtureImage('scene.jpg'), 'image/jpeg', { accept: 'image/png;q=0.5, application/json' });
    assert.match(json.headers.get('content-type')!, /^application\/json/);
  });

  test('depth: JSON stats match the engine map; 16-bit PNG in millimetres; colourised PNG; resized to the input', async () => {
    const response = await patternAnswer('depth', '&format=json');
    const body = (await response.json()) as Envelope;
    const depth = (await rawOutputs('depth'))['depth.depth']!.data;
    const result = body.result as { min: number; max: number; mean: number; width: number; height: number; unit: string };
    assert.equal(result.unit, 'm');
    assert.ok(Math.abs(result.min - Math.min(...depth)) < 1e-3 && Math.abs(result.max - Math.max(...depth)) < 1e-3);
    assert.ok(Math.abs(result.mean - depth.reduce((a, b) => a + b, 0) / depth.length) < 1e-3);

    const png16 = await patternAnswer('depth', '&format=png');
    assert.equal(png16.headers.get('x-depth-unit-metres'), '0.001');
    const bytes = Buffer.from(await png16.arrayBuffer());
    const { data } = await sharp(bytes).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const millimetres = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    assert.ok(maxAbsDiff(millimetres, depth.map((d) => Math.round(d * 1000))) <= 1, 'same-size map: PNG = round(depth·1000)');

    const colour = await postImage(server.url, '/v1/depth?format=colormap', fixtureImage('scene.jpg'));
    const meta = await sharp(Buffer.from(await colour.arrayBuffer())).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels], [SCENE.width, SCENE.height, 3]);
    const resized = (await (await postImage(server.url, '/v1/depth', fixtureImage('scene.jpg'))).json()) as Envelope;
    assert.deepEqual([resized.result['width'], resized.result['height']], [SCENE.width, SCENE.height]);
  });

  test('detect: each box is a 3×3 heatmap peak of the engine output, in input-image pixels', async () => {
    const response = await patternAnswer('detect', '&score_threshold=0&max_detections=5');
    const detections = ((await response.json()) as Envelope).result['detections'] as { index: number; score: number; box: Record<string, number> }[];
    assert.equal(detections.length, 5);
    const heatmap = (await rawOutputs('detect'))['detect.heatmap']!;
    const scores = new Set(heatmap.data.map((v) => Math.fround(v)));
    for (const d of detections) assert.ok(scores.has(Math.fround(d.score)), 'score is a heatmap value');
    assert.ok(detections.every((d, i) => i === 0 || detections[i - 1]!.score >= d.score), 'sorted by score');
    const scene = (await (await postImage(server.url, '/v1/detect?score_threshold=0', fixtureImage('scene.jpg'))).json()) as Envelope;
    for (const d of scene.result['detections'] as { box: Record<string, number> }[]) {
      assert.ok(d.box['xMin']! >= 0 && d.box['xMax']! <= SCENE.width && d.box['yMin']! >= 0 && d.box['yMax']! <= SCENE.height);
    }
    const none = (await (await postImage(server.url, '/v1/detect?score_threshold=1', fixtureImage('scene.jpg'))).json()) as Envelope;
    assert.ok((none.result['detections'] as unknown[]).length <= 1);
  });

  test('controller options: stitch pin, quality hint, deadline header and sla_ms reach the answer', async () => {
    const fastest = (await (await fetch(`${server.url}/v1/stitches?task=classify`)).json()) as { stitches: { id: number }[] };
    const fast = (await (await postImage(server.url, '/v1/classify?quality=fast', fixtureImage('scene.jpg'))).json()) as Envelope;
    assert.equal(fast.stitch.id, fastest.stitches[0]!.id, 'fast = the cheapest frontier stitch when idle');
    const header = (await (await postImage(server.url, '/v1/classify', fixtureImage('scene.jpg'), 'image/jpeg', { 'x-latency-budget-ms': '5000' })).json()) as Envelope;
    assert.equal(header.budgetMs, 5000);
    const query = (await (await postImage(server.url, '/v1/classify?sla_ms=4000', fixtureImage('scene.jpg'))).json()) as Envelope;
    assert.equal(query.budgetMs, 4000);
    const both = (await (await postImage(server.url, '/v1/classify?sla_ms=4000', fixtureImage('scene.jpg'), 'image/jpeg', { 'x-latency-budget-ms': '3000' })).json()) as Envelope;
    assert.equal(both.budgetMs, 3000, 'the header wins');
    const smallest = Math.min(...manifest.stitches.map((s) => s.flops.classify!)) / 1e9;
    const constrained = (await (await postImage(server.url, `/v1/classify?max_gflops=${smallest}`, fixtureImage('scene.jpg'))).json()) as Envelope;
    assert.ok(Math.abs(constrained.stitch.gflops - smallest) < 1e-12, 'max_gflops leaves only the smallest stitch');
  });
});
