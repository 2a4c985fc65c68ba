import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceError } from '../../src/errors.js';
import { parseRequestOptions } from '../../src/inference/index.js';
import { negotiateFormat } from '../../routes/v1/negotiate.js';

const FORMATS = { json: 'application/json', png: 'image/png', overlay: 'image/png' } as const;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ServiceError);
    return err.code;
  }
  return 'no error';
}

test('negotiateFormat: explicit format wins unless Accept excludes it; else the best-ranked media type', () => {
  assert.equal(negotiateFormat(FORMATS, undefined, undefined), 'json');
  assert.equal(negotiateFormat(FORMATS, undefined, '*/*'), 'json');
  assert.equal(negotiateFormat(FORMATS, undefined, 'image/png'), 'png');
  assert.equal(negotiateFormat(FORMATS, undefined, 'image/*'), 'png');
  assert.equal(negotiateFormat(FORMATS, undefined, 'image/png;q=0.4, application/json;q=0.9'), 'json');
  assert.equal(negotiateFormat(FORMATS, undefined, 'application/json;q=0.2, image/png'), 'png');
  assert.equal(negotiateFormat(FORMATS, 'overlay', 'image/*'), 'overlay');
  assert.equal(negotiateFormat(FORMATS, 'overlay', undefined), 'overlay');
  assert.equal(negotiateFormat(FORMATS, undefined, 'text/html, */*;q=0.1'), 'json', 'browsers get JSON');
  assert.equal(code(() => negotiateFormat(FORMATS, 'png', 'application/json')), 'NOT_ACCEPTABLE');
  assert.equal(code(() => negotiateFormat(FORMATS, undefined, 'text/html')), 'NOT_ACCEPTABLE');
  assert.equal(code(() => negotiateFormat({ json: 'application/json' }, undefined, 'image/png, image/*;q=0')), 'NOT_ACCEPTABLE');
  assert.equal(code(() => negotiateFormat(FORMATS, undefined, 'application/json;q=0')), 'NOT_ACCEPTABLE', 'q=0 excludes');
  assert.equal(negotiateFormat(FORMATS, undefined, 'application/json;q=0, */*'), 'png', 'the most specific range wins');
});

const BOUNDS = { defaultMs: 200, minMs: 10, maxMs: 5000 };

test('parseRequestOptions: deadline from header, else query, else the task default; bounds enforced', () => {
  assert.equal(parseRequestOptions({}, BOUNDS).budgetMs, 200);
  assert.equal(parseRequestOptions({ slaMs: 50 }, BOUNDS).budgetMs, 50);
  assert.equal(parseRequestOptions({ slaMs: 50, budgetHeader: '75' }, BOUNDS).budgetMs, 75);
  assert.equal(parseRequestOptions({ budgetHeader: ' 12.5 ' }, BOUNDS).budgetMs, 12.5);
  for (const raw of [{ budgetHeader: '' }, { budgetHeader: 'abc' }, { budgetHeader: '9' }, { slaMs: 5001 }, { budgetHeader: 'Infinity' }]) {
    assert.equal(code(() => parseRequestOptions(raw, BOUNDS)), 'INVALID_PARAMETER', JSON.stringify(raw));
  }
});

test('parseRequestOptions: quality hints and expert constraints', () => {
  assert.equal(parseRequestOptions({}, BOUNDS).hint, undefined);
  assert.equal(parseRequestOptions({ quality: 'fast' }, BOUNDS).hint, 'fast');
  assert.equal(parseRequestOptions({ quality: '0.25' }, BOUNDS).hint, 0.25);
  assert.equal(code(() => parseRequestOptions({ quality: '1.5' }, BOUNDS)), 'INVALID_PARAMETER');
  assert.equal(code(() => parseRequestOptions({ quality: 'best' }, BOUNDS)), 'INVALID_PARAMETER');
  assert.deepEqual(parseRequestOptions({ stitch: 3, minAccuracy: 0.7, maxGflops: 2 }, BOUNDS).constraints, { stitch: 3, minAccuracy: 0.7, maxGflops: 2 });
  assert.deepEqual(parseRequestOptions({}, BOUNDS).constraints, {});
});
