import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERRORS, ServiceError, type ErrorCode } from '../src/errors.js';
import { readmeTable } from './helpers/readme.js';

test('the README Errors table lists exactly the registry, with the same statuses and meanings', () => {
  const rows = readmeTable('Errors');
  assert.deepEqual(
    rows.map(([code]) => code),
    Object.keys(ERRORS),
    'same codes in the same order',
  );
  for (const [code, status, meaning] of rows) {
    const entry = ERRORS[code as ErrorCode];
    assert.equal(Number(status), entry.status, code);
    assert.equal(meaning, entry.title, code);
  }
});

test('every code maps to an error status; codes are stable identifiers', () => {
  for (const [code, { status, title }] of Object.entries(ERRORS)) {
    assert.match(code, /^[A-Z][A-Z_]+$/);
    assert.ok(status >= 400 && status < 600, `${code} → ${status}`);
    assert.ok(title.endsWith('.'), `${code}: a sentence`);
  }
});

test('ServiceError: status from the registry, Retry-After hint, worker round trip by {code, message}', () => {
  const err = new ServiceError('QUEUE_FULL', 'busy', { retryAfterSeconds: 3 });
  assert.equal(err.status, 429);
  assert.equal(err.retryAfterSeconds, 3);
  const back = ServiceError.fromJSON(JSON.parse(JSON.stringify(err)) as { code: string; message: string });
  assert.deepEqual([back.code, back.message, back.status], ['QUEUE_FULL', 'busy', 429]);
  assert.equal(ServiceError.fromJSON({ code: 'NO_SUCH_CODE', message: 'x' }).code, 'INTERNAL');
  assert.equal(new ServiceError('NOT_READY').message, ERRORS.NOT_READY.title);
});
