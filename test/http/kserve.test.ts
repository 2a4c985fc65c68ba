import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import sharp from 'sharp';
import YAML from 'yaml';
import { postJson, startApp, TINY_BUNDLE, type RunningApp } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';
import { item, maxAbsDiff, readReferences } from '../helpers/references.js';

/** The KServe Open Inference Protocol v2 REST document (read by the tests only; nothing is copied into the product). */
const OIP_FILE = path.resolve(import.meta.dirname, '../../../shared/reference/kserve-oip/rest_predict_v2.yaml');
const MODEL = 'tiny-v2';

interface OipDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json': { schema: { $ref: string } } } }> }>>;
  components: unknown;
}

/** Absent when the repository is checked out without ../shared: the protocol tests still run, the schema checks are skipped. */
const oip = existsSync(OIP_FILE) ? (YAML.parse(readFileSync(OIP_FILE, 'utf8')) as OipDocument) : undefined;
const ajv = new Ajv({ strict: false, allErrors: true });
if (oip !== undefined) ajv.addSchema({ components: oip.components }, 'oip');

/** The validator of the documented response schema of `method path` for `status`, if the document gives one. */
function responseValidator(oipPath: string, method: string, status: string): ValidateFunction | undefined {
  if (oip === undefined) return undefined;
  const ref = oip.paths[oipPath]?.[method]?.responses[status]?.content?.['application/json'].schema.$ref;
  return ref === undefined ? undefined : ajv.getSchema(`oip${ref}`)!;
}

function assertConforms(validate: ValidateFunction | undefined, body: unknown, what: string): void {
  if (validate === undefined) return;
  assert.ok(validate(body), `${what}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 300)}`);
}

test('the KServe OIP document is available for schema conformance checks', { skip: oip === undefined ? `${OIP_FILE} is absent: response schemas not checked` : false }, () => {
  assert.ok(oip !== undefined && Object.keys(oip.paths).length > 0);
});

describe('KServe Open Inference Protocol v2 (REST)', () => {
  let s: RunningApp;
  before(async () => {
    s = await startApp(null);
  });
  after(() => s.app.close());

  test('every path of rest_predict_v2.yaml answers 200 with a body valid against the document', { skip: oip === undefined ? 'OIP document absent' : false }, async () => {
    if (oip === undefined) return;
    const png = fixtureImage('scene.png');
    const inferBody = { id: 'oip-1', inputs: [{ name: 'image_bytes', shape: [1], datatype: 'BYTES', data: [png.toString('base64')] }] };
    const checked: string[] = [];
    for (const [oipPath, methods] of Object.entries(oip.paths)) {
      const url = oipPath.replace('${MODEL_NAME}', MODEL).replace('${MODEL_VERSION}', '1');
      for (const method of Object.keys(methods).filter((m) => m === 'get' || m === 'post')) {
        const response = method === 'post' ? await postJson(s.url, url, inferBody) : await fetch(`${s.url}${url}`);
        assert.equal(response.status, 200, `${method.toUpperCase()} ${url}: ${await response.clone().text()}`);
        assertConforms(responseValidator(oipPath, method, '200'), await response.json(), `${method} ${url}`);
        checked.push(`${method} ${url}`);
      }
    }
    assert.equal(checked.length, 6);
    // The unversioned spellings used by most clients.
    for (const url of [`/v2/models/${MODEL}`, `/v2/models/${MODEL}/ready`, '/v2']) assert.equal((await fetch(`${s.url}${url}`)).status, 200, url);
    const infer = await postJson(s.url, `/v2/models/${MODEL}/infer`, inferBody);
    const body = (await infer.json()) as { id: string; model_name: string; parameters: Record<string, unknown>; outputs: { name: string; shape: number[] }[] };
    assertConforms(responseValidator('/v2/models/${MODEL_NAME}/versions/${MODEL_VERSION}/infer', 'post', '200'), body, 'unversioned infer');
    assert.equal(body.id, 'oip-1');
    assert.equal(body.model_name, MODEL);
    assert.deepEqual(body.outputs.map((o) => [o.name, o.shape]), [['classify.logits', [1, 10]]]);
    assert.equal(typeof body.parameters['stitch_id'], 'number');
    assert.ok(infer.headers.get('x-stitch-id') !== null && infer.headers.get('server-timing') !== null);
  });

  test('error answers conform to inference_error_response / metadata_server_error_response', async () => {
    const validate = responseValidator('/v2/models/${MODEL_NAME}/versions/${MODEL_VERSION}/infer', 'post', '400')!;
    const bad = await postJson(s.url, `/v2/models/${MODEL}/infer`, { inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }] });
    assert.equal(bad.status, 400);
    assertConforms(validate, await bad.json(), 'infer 400');
    const unknown = await fetch(`${s.url}/v2/models/other`);
    assertConforms(responseValidator('/v2/', 'get', '400'), await unknown.json(), 'unknown model');
  });

  test('engine outputs equal the PyTorch references within 1e-4 for every fixture case (FP32 input, pinned stitch, batch 1 and each item of batch > 1)', async () => {
    const cases = readReferences(TINY_BUNDLE);
    assert.ok(cases.length >= 8 && cases.some((c) => c.batch > 1));
    let compared = 0;
    for (const reference of cases) {
      const [, , height, width] = reference.inputDims as [number, number, number, number];
      for (let i = 0; i < reference.batch; i++) {
        const response = await postJson(s.url, `/v2/models/${MODEL}/infer`, {
          parameters: { task: reference.task, stitch: reference.stitchId },
          inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 3, height, width], data: Array.from(item(reference.input, reference.batch, i)) }],
        });
        assert.equal(response.status, 200, await response.clone().text());
        const body = (await response.json()) as { parameters: { stitch_id: number }; outputs: { name: string; data: number[] }[] };
        assert.equal(body.parameters.stitch_id, reference.stitchId);
        for (const output of body.outputs) {
          const expected = item(reference.outputs[output.name]!.data, reference.batch, i);
          const diff = maxAbsDiff(output.data, expected);
          assert.ok(diff <= 1e-4, `${reference.task} stitch ${reference.stitchId} item ${i} ${output.name}: max |diff| ${diff}`);
          compared++;
        }
      }
    }
    assert.ok(compared >= cases.length);
  });

  test('a UINT8 HWC tensor and the same pixels as a BYTES-encoded PNG give the same outputs; outputs can be selected', async () => {
    const { data, info } = await sharp(fixtureImage('scene.png')).raw().toBuffer({ resolveWithObject: true });
    const common = { parameters: { task: 'segment', stitch: 0 } };
    const uint8 = await postJson(s.url, `/v2/models/${MODEL}/infer`, { ...common, inputs: [{ name: 'image', datatype: 'UINT8', shape: [info.height, info.width, 3], data: Array.from(data) }] });
    const bytes = await postJson(s.url, `/v2/models/${MODEL}/infer`, { ...common, inputs: [{ name: 'image_bytes', datatype: 'BYTES', shape: [1], data: [fixtureImage('scene.png').toString('base64')] }] });
    const a = (await uint8.json()) as { outputs: { data: number[] }[] };
    const b = (await bytes.json()) as { outputs: { data: number[] }[] };
    assert.ok(maxAbsDiff(a.outputs[0]!.data, b.outputs[0]!.data) < 1e-5);
    const selected = await postJson(s.url, `/v2/models/${MODEL}/infer`, {
      parameters: { task: 'detect', sla_ms: 5000, quality: 'fast' },
      inputs: [{ name: 'image_bytes', datatype: 'BYTES', shape: [1], data: [fixtureImage('scene.jpg').toString('base64')] }],
      outputs: [{ name: 'detect.heatmap' }],
    });
    const body = (await selected.json()) as { outputs: { name: string; shape: number[] }[] };
    assert.deepEqual(body.outputs.map((o) => o.name), ['detect.heatmap']);
    assert.equal(body.outputs[0]!.shape.length, 4);
  });
});
