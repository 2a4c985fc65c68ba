import { claimedBomb, mutatedImage, seedImages } from './images.js';
import { multipartBody, multipartType } from './multipart.js';
import type { FuzzRng } from './rng.js';
import { ANY, type FuzzContext, type Generated } from './fuzz-types.js';

/** A KServe v2 infer body; `data` is spliced in verbatim so it can be any JSON text (or not JSON at all). */
function inferBody(input: { name?: string; shape: string; datatype: string; data: string }, parameters = '{}'): string {
  return `{"id":"fuzz","parameters":${parameters},"inputs":[{"name":${JSON.stringify(input.name ?? 'image')},"shape":${input.shape},"datatype":${JSON.stringify(input.datatype)},"data":${input.data}}]}`;
}

function uint8Values(rng: FuzzRng, count: number): string {
  return `[${Array.from({ length: count }, () => rng.int(0, 255)).join(',')}]`;
}

/** Malformed (and a few valid) KServe v2 inference requests. */
export function kserveCase(rng: FuzzRng, ctx: FuzzContext): Generated {
  const h = rng.int(1, 12);
  const w = rng.int(1, 12);
  const variant = rng.pick([
    'valid-uint8', 'shape-mismatch', 'bad-dims', 'huge-dims', 'bad-values', 'fp32-wrong-shape', 'fp32-junk', 'bytes-garbage',
    'bytes-mutated', 'bytes-bomb', 'bad-datatype', 'deep-nesting', 'no-inputs', 'two-inputs', 'bad-json', 'proto', 'bad-task',
    'bad-output', 'wrong-model', 'wrong-version', 'params-junk',
  ] as const);
  const b64 = (bytes: Buffer) => JSON.stringify([bytes.toString('base64')]);
  let body: string;
  switch (variant) {
    case 'valid-uint8': body = inferBody({ shape: `[${h},${w},3]`, datatype: 'UINT8', data: uint8Values(rng, h * w * 3) }, `{"task":${JSON.stringify(rng.pick(ctx.tasks))}}`); break;
    case 'shape-mismatch': body = inferBody({ shape: `[${h},${w},3]`, datatype: 'UINT8', data: uint8Values(rng, h * w * 3 + rng.pick([-1, 1, 7])) }); break;
    case 'bad-dims': body = inferBody({ shape: rng.pick(['[0,4,3]', '[-1,4,3]', '[4,4,2]', '[4,4]', '[]', '[1,1,1,1,1,1,1,1]', '[4.5,4,3]', '[2,2,3,1]']), datatype: 'UINT8', data: uint8Values(rng, 48) }); break;
    case 'huge-dims': body = inferBody({ shape: rng.pick(['[100000,100000,3]', '[1,9007199254740991,3]', '[1,65536,65536,3]', '[5000,5001,3]', '[2147483647,2,3]']), datatype: 'UINT8', data: uint8Values(rng, 12) }); break;
    case 'bad-values': body = inferBody({ shape: '[2,2,3]', datatype: 'UINT8', data: rng.pick(['[1,2,3,4,5,6,7,8,9,10,11,256]', '[-1,0,0,0,0,0,0,0,0,0,0,0]', '[0.5,0,0,0,0,0,0,0,0,0,0,0]', '["1",0,0,0,0,0,0,0,0,0,0,0]', '[null,0,0,0,0,0,0,0,0,0,0,0]', '[{},[],0,0,0,0,0,0,0,0,0,0]', '[1e400,0,0,0,0,0,0,0,0,0,0,0]']) }); break;
    case 'fp32-wrong-shape': body = inferBody({ name: 'pixels', shape: rng.pick(['[1,3,16,15]', '[2,3,16,16]', '[1,1,16,16]', '[3,16,16]', '[1,3,32,32]']), datatype: 'FP32', data: `[${Array(768).fill(0).join(',')}]` }); break;
    case 'fp32-junk': {
      const junk = rng.pick(['1e308', '-1e308', '3e38', 'null', '"x"', '1e400', 'true', '-0', '1e-45']);
      const all = rng.chance(0.3);
      body = inferBody({ name: 'pixels', shape: '[1,3,16,16]', datatype: 'FP32', data: `[${Array.from({ length: 768 }, (_, i) => (all || i === 7 ? junk : '0')).join(',')}]` }, '{"task":"classify"}');
      break;
    }
    case 'bytes-garbage': body = inferBody({ shape: '[1]', datatype: 'BYTES', data: JSON.stringify([rng.pick(['', '!!!!', '====', 'AAAA', 'not base64 at all', 'A'.repeat(rng.int(1, 5000))])]) }); break;
    case 'bytes-mutated': body = inferBody({ shape: '[1]', datatype: 'BYTES', data: b64(mutatedImage(rng).bytes) }); break;
    case 'bytes-bomb': body = inferBody({ shape: '[1]', datatype: 'BYTES', data: b64(claimedBomb(rng).bytes) }); break;
    case 'bad-datatype': body = inferBody({ shape: '[2,2,3]', datatype: rng.pick(['INT8', 'FP64', 'uint8', '', 'BOOL', 'FP16', 'X'.repeat(16)]), data: uint8Values(rng, 12) }); break;
    case 'deep-nesting': {
      // Deep arrays reach the tensor decoder; depths above the JS stack are the interesting ones.
      const depth = rng.chance(0.3) ? rng.int(10_000, 100_000) : rng.int(2, 64);
      body = inferBody({ shape: rng.pick(['[1,1,3]', '[1]']), datatype: rng.pick(['UINT8', 'BYTES']), data: `${'['.repeat(depth)}1${']'.repeat(depth)}` });
      break;
    }
    case 'no-inputs': body = rng.pick(['{}', '{"inputs":[]}', '{"inputs":null}', '{"inputs":{}}', '[]', 'null', '1', '"x"']); break;
    case 'two-inputs': body = `{"inputs":[${Array(rng.int(2, 4)).fill('{"name":"a","shape":[1],"datatype":"BYTES","data":["AAAA"]}').join(',')}]}`; break;
    case 'bad-json': {
      const valid = inferBody({ shape: '[1,1,3]', datatype: 'UINT8', data: '[1,2,3]' });
      body = rng.pick([valid.slice(0, rng.int(0, valid.length - 1)), valid.replace(/,/g, ';'), `${valid}}`, `\uFEFF${valid}`, valid.replace('"UINT8"', "'UINT8'")]);
      break;
    }
    case 'proto': body = rng.pick(['{"__proto__":{"polluted":1},"inputs":[]}', '{"constructor":{"prototype":{"polluted":1}},"inputs":[{"name":"i","shape":[1],"datatype":"BYTES","data":["AAAA"]}]}']); break;
    case 'bad-task': body = inferBody({ shape: '[1,1,3]', datatype: 'UINT8', data: '[1,2,3]' }, `{"task":${rng.pick(['"pose"', '""', '5', 'null', '["classify"]', '"CLASSIFY"'])}}`); break;
    case 'bad-output': body = inferBody({ shape: '[1,1,3]', datatype: 'UINT8', data: '[1,2,3]' }).replace(/}$/, `,"outputs":[{"name":${JSON.stringify(rng.pick(['x', '', 'classify.logits ', 'segment.logits']))}}]}`); break;
    case 'params-junk': body = inferBody({ shape: '[1,1,3]', datatype: 'UINT8', data: '[1,2,3]' }, rng.pick(['{"sla_ms":0}', '{"sla_ms":-1}', '{"quality":"x"}', '{"quality":7}', '{"stitch":-1}', '{"stitch":1.5}', '{"stitch":99999}', '{"min_accuracy":2}', '{"max_gflops":0}', '"x"', '[]', 'null', '{"sla_ms":1e400}'])); break;
    default: body = inferBody({ shape: '[1,1,3]', datatype: 'UINT8', data: '[1,2,3]' });
  }
  const model = variant === 'wrong-model' ? rng.pick(['other', 'tiny-v2x', '..', '%2e%2e', 'a'.repeat(300)]) : ctx.modelName;
  const version = variant === 'wrong-version' ? `/versions/${rng.pick(['2', '0', '-1', 'latest', '1.0'])}` : rng.chance(0.2) ? '/versions/1' : '';
  const path = `/v2/models/${model}${version}/infer`;
  return { label: `kserve ${variant} (${body.length} bytes)`, shot: { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: Buffer.from(body), transport: 'keepalive' }, expect: ANY };
}

const RAW_REQUESTS: readonly ((rng: FuzzRng) => string)[] = [
  () => 'GARBAGE\r\n\r\n',
  () => 'GET /healthz\r\n\r\n',
  () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  () => 'GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n',
  () => 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n',
  () => 'POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
  () => 'POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde',
  () => 'POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  () => 'POST /v1/classify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: image/jpeg\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  () => 'POST /v1/classify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: image/jpeg\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n',
  () => 'POST /v1/classify HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: gzip, chunked\r\nContent-Type: image/jpeg\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  (rng) => `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(rng.int(17_000, 70_000))}\r\n\r\n`,
  (rng) => `GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${Array.from({ length: rng.int(2_001, 4_000) }, (_, i) => `X-${i}: 1`).join('\r\n')}\r\n\r\n`,
  () => 'GET /healthz HTTP/1.1\r\n\r\n',
  () => 'GET /healthz HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n',
  () => 'GET /healthz HTTP/1.0\r\n\r\n',
  () => 'FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
  () => 'GET /he\u0001althz HTTP/1.1\r\nHost: x\r\n\r\n',
  (rng) => `POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\n${rng.bytes(40).toString('latin1')}`,
];

const PATHS = [
  '/', '/v1', '/v1/', '/v1/pose', '/v1/classify/', '/v1/../../etc/passwd', '/v1/%2e%2e/%2e%2e/etc/passwd', '/%2e%2e/%2e%2e/etc/passwd',
  '/docs/static/../../../../etc/passwd', '/docs/static/%2e%2e/%2e%2e/%2e%2e/package.json', '/docs/static/..%2f..%2f..%2fpackage.json',
  '//etc/passwd', '/v2/models/..%2f..%2fetc/infer', '/v2/models/%00/ready', '/metrics/../package.json', '/healthz?x=%zz', '/readyz',
  '/v2', '/v2/models/x', '/v2/health/live', '/favicon.ico', '/.env', '/package.json', '/src/server.ts', '/node_modules/fastify/package.json',
];

/** Unknown routes, traversal attempts, odd methods and malformed HTTP on raw sockets. */
export function httpCase(rng: FuzzRng): Generated {
  if (rng.chance(0.4)) {
    const i = rng.int(0, RAW_REQUESTS.length - 1);
    const raw = RAW_REQUESTS[i]!(rng);
    return { label: `raw #${i}: ${JSON.stringify(raw.slice(0, 60))}`, shot: { method: 'RAW', path: '', headers: {}, transport: 'raw', raw: Buffer.from(raw, 'latin1') }, expect: ANY };
  }
  const path = rng.chance(0.8) ? rng.pick(PATHS) : `/${Array.from({ length: rng.int(1, 2000) }, () => rng.pick([...'abc/._-%2e~'])).join('')}`;
  const method = rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
  const body = method === 'GET' || method === 'HEAD' ? undefined : rng.pick(seedImages()).bytes;
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'image/jpeg' };
  if (rng.chance(0.2)) headers['x-request-id'] = rng.pick(['../../etc', 'a'.repeat(500), '<script>', 'ok-id-1']);
  return { label: `${method} ${path.slice(0, 80)}`, shot: { method, path, headers, ...(body === undefined ? {} : { body }), transport: 'keepalive' }, expect: ANY };
}

let fillerBytes = Buffer.alloc(0);

/** A shared buffer of at least `n` 0xff bytes (oversized bodies are views into it, not fresh megabytes per case). */
function filler(n: number): Buffer {
  if (fillerBytes.length < n) fillerBytes = Buffer.alloc(n, 0xff);
  return fillerBytes;
}

/** Bodies over the byte limit: declared, actual (with and without Content-Length), multipart and JSON. */
export function oversizedCase(rng: FuzzRng, ctx: FuzzContext): Generated {
  const limit = ctx.limits.bodyBytes;
  const over = filler(limit + 65_536).subarray(0, limit + rng.int(1, 65_536));
  const variant = rng.pick(['declared', 'actual', 'chunked', 'multipart', 'kserve'] as const);
  const expect = { ok200: false, codes: ['BODY_TOO_LARGE'] } as const;
  const path = `/v1/${rng.pick(ctx.tasks)}`;
  switch (variant) {
    case 'declared': {
      const declared = rng.pick([limit + 1, 10 * limit, 2 ** 40, Number.MAX_SAFE_INTEGER]);
      // Refused from the declared length alone, before the body timeout can matter, even though this client
      // stalls after 100 bytes (R9: it used to get 408 when the body was read before answering).
      return { label: `declares ${declared} bytes`, shot: { method: 'POST', path, headers: { 'content-type': 'image/jpeg', 'content-length': String(declared) }, body: seedImages()[0]!.bytes, transport: 'stall', sendBytes: 100 }, expect };
    }
    case 'actual': return { label: `sends ${over.length} bytes`, shot: { method: 'POST', path, headers: { 'content-type': 'image/png' }, body: over, transport: 'fresh' }, expect };
    case 'chunked': return { label: `chunked ${over.length} bytes`, shot: { method: 'POST', path, headers: { 'content-type': 'image/png', 'transfer-encoding': 'chunked' }, body: over, transport: 'fresh' }, expect };
    case 'multipart': {
      const boundary = 'big';
      const body = multipartBody([{ name: 'image', filename: 'big.png', contentType: 'image/png', data: over }], boundary);
      return { label: `multipart file of ${over.length} bytes`, shot: { method: 'POST', path, headers: { 'content-type': multipartType(boundary) }, body, transport: 'fresh' }, expect };
    }
    case 'kserve': {
      const body = Buffer.from(`{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["${over.toString('base64')}"]}]}`);
      return { label: `kserve body of ${body.length} bytes`, shot: { method: 'POST', path: `/v2/models/${ctx.modelName}/infer`, headers: { 'content-type': 'application/json' }, body, transport: 'fresh' }, expect };
    }
  }
}

/** A body (or header block) that stops arriving: the server's body timeout must answer 408. */
export function slowCase(rng: FuzzRng, ctx: FuzzContext): Generated {
  const image = seedImages()[0]!.bytes;
  const expect = { ok200: false, codes: ['REQUEST_TIMEOUT'] } as const;
  if (rng.chance(0.5)) {
    const raw = `POST /v1/${rng.pick(ctx.tasks)} HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nX-Slow: `;
    return { label: 'slow headers (never finished)', shot: { method: 'RAW', path: '', headers: {}, transport: 'raw', raw: Buffer.from(raw) }, expect };
  }
  const sendBytes = rng.int(0, image.length - 1);
  return {
    label: `slow body (${sendBytes} of ${image.length} bytes, then silence)`,
    shot: { method: 'POST', path: `/v1/${rng.pick(ctx.tasks)}`, headers: { 'content-type': 'image/jpeg', 'content-length': String(image.length) }, body: image, transport: 'stall', sendBytes },
    expect,
  };
}
