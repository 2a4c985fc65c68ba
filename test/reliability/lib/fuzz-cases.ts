import { claimedBomb, mutatedImage, pngBomb, seedImages } from './images.js';
import { multipartBody, multipartType, type Part } from './multipart.js';
import { caseRng, type FuzzRng } from './rng.js';
import { ANY, type CaseFamily, type FuzzCase, type FuzzContext, type Generated } from './fuzz-types.js';
import { httpCase, kserveCase, oversizedCase, slowCase } from './fuzz-cases-protocol.js';

const TASK_FORMATS: Record<string, readonly string[]> = { segment: ['json', 'png', 'overlay'], depth: ['json', 'png', 'colormap'] };

/**
 * A task endpoint path, sometimes with a valid `format`. Classification gets 70 % of the traffic: input handling
 * is the same on every endpoint, and the dense tasks' post-processing of a decodable image costs the server
 * several times more (resampling, PNG encoding) without exercising more of the input path.
 */
export function taskPath(rng: FuzzRng, ctx: FuzzContext, query = ''): string {
  const task = ctx.tasks.includes('classify') && rng.chance(0.7) ? 'classify' : rng.pick(ctx.tasks);
  const formats = TASK_FORMATS[task];
  const format = formats !== undefined && rng.chance(0.3) ? `format=${rng.pick(formats)}` : '';
  const q = [format, query].filter((s) => s !== '').join('&');
  return `/v1/${task}${q === '' ? '' : `?${q}`}`;
}

/** A POST of `bytes` as a raw body (`type`) or as the multipart file field `image`. */
export function imagePost(rng: FuzzRng, path: string, bytes: Buffer, type: string): Generated['shot'] {
  if (rng.chance(0.25)) {
    const boundary = `----fuzz${rng.int(0, 1e9)}`;
    const body = multipartBody([{ name: 'image', filename: 'x.bin', contentType: type, data: bytes }], boundary);
    return { method: 'POST', path, headers: { 'content-type': multipartType(boundary) }, body, transport: 'keepalive' };
  }
  const contentType = rng.chance(0.15) ? rng.pick(['application/octet-stream', 'image/jpeg', 'image/png', 'image/webp', 'image/gif']) : type;
  return { method: 'POST', path, headers: { 'content-type': contentType }, body: bytes, transport: 'keepalive' };
}

function mutatedImageCase(rng: FuzzRng, ctx: FuzzContext): Generated {
  const image = mutatedImage(rng);
  return { label: image.label, shot: imagePost(rng, taskPath(rng, ctx), image.bytes, image.type), expect: ANY };
}

function claimedBombCase(rng: FuzzRng, ctx: FuzzContext): Generated {
  const bomb = claimedBomb(rng);
  return {
    label: bomb.label,
    shot: imagePost(rng, taskPath(rng, ctx), bomb.bytes, bomb.type),
    // Admission runs before the header is even read, so a loaded server may refuse first (429).
    expect: { ok200: false, codes: ['IMAGE_TOO_LARGE', 'CORRUPT_IMAGE', 'UNSUPPORTED_IMAGE', 'DEADLINE_UNMEETABLE', 'QUEUE_FULL'] },
  };
}

/** Sizes of the real bombs: up to the pixel limit, square and elongated. */
function realBombSizes(ctx: FuzzContext): readonly (readonly [number, number])[] {
  const side = Math.floor(Math.sqrt(ctx.limits.pixels));
  return [[side, side], [2000, 2000], [4 * side, Math.floor(side / 4)]];
}

/**
 * Builds the expensive inputs (the real bombs: ~75 MB deflated each) before a run, so generating a case never
 * blocks the client's event loop for long in the middle of one.
 */
export function prepareGenerators(ctx: FuzzContext): void {
  for (const [w, h] of realBombSizes(ctx)) pngBomb(w, h);
}

/** Valid all-black PNGs of up to the default pixel limit; decoding them costs 3 bytes per pixel. */
function realBombCase(rng: FuzzRng, ctx: FuzzContext): Generated {
  const [w, h] = rng.pick(realBombSizes(ctx));
  const bytes = pngBomb(w, h);
  return { label: `real bomb ${w}x${h} png (${bytes.length} bytes)`, shot: imagePost(rng, taskPath(rng, ctx), bytes, 'image/png'), expect: ANY };
}

const CONTENT_TYPES = [
  null, 'text/plain', 'application/json', 'application/x-www-form-urlencoded', 'image/svg+xml', 'image/x-icon', 'image/bmp',
  'multipart/form-data', 'multipart/mixed; boundary=abc', 'multipart/form-data; boundary=', 'image/jpeg; charset=utf-8',
  'IMAGE/PNG', 'image/', 'image', '*/*', ';;;', 'application/octet-stream; q=0.5', 'text/html; charset=x-unknown',
  'application/xml', 'video/mp4', 'image/jpeg, image/png', 'x'.repeat(3000),
];

function contentTypeCase(rng: FuzzRng, ctx: FuzzContext): Generated {
  const seed = rng.pick(seedImages());
  const type = rng.pick(CONTENT_TYPES);
  const body = rng.chance(0.2) ? Buffer.from('{"image":"not really"}') : seed.bytes;
  const headers: Record<string, string> = type === null ? {} : { 'content-type': type };
  return { label: `content-type ${JSON.stringify(type?.slice(0, 40) ?? null)}`, shot: { method: 'POST', path: taskPath(rng, ctx), headers, body, transport: 'keepalive' }, expect: ANY };
}

function multipartCase(rng: FuzzRng, ctx: FuzzContext): Generated {
  const image = rng.pick(seedImages());
  const file: Part = { name: 'image', filename: 'x.jpg', contentType: image.type, data: image.bytes };
  const boundary = rng.chance(0.1) ? 'b'.repeat(rng.int(60, 200)) : `fuzz${rng.int(0, 1e9)}`;
  const field = (n: number): Part => ({ name: `f${n}`, data: Buffer.from(String(n)) });
  const variant = rng.pick([
    'many-parts', 'many-files', 'huge-field', 'missing-file', 'wrong-name', 'two-images', 'unterminated', 'wrong-boundary',
    'lf-only', 'garbage-headers', 'empty-file', 'no-disposition', 'nested', 'mutated-file', 'many-headers',
  ] as const);
  let parts: Part[] = [file];
  let options: { close?: boolean; eol?: string } = {};
  let headerBoundary = boundary;
  let expect: Generated['expect'] = ANY;
  switch (variant) {
    case 'many-parts':
      parts = [...Array.from({ length: rng.int(ctx.limits.parts + 1, 400) }, (_, i) => field(i)), file];
      expect = { ok200: false };
      break;
    case 'many-files':
      parts = Array.from({ length: rng.int(3, 50) }, (_, i) => ({ ...file, name: i === 0 ? 'image' : `file${i}` }));
      expect = { ok200: false };
      break;
    case 'huge-field':
      parts = [{ name: 'note', data: Buffer.alloc(rng.int(ctx.limits.fieldBytes + 1, 200_000), 0x41) }, file];
      break;
    case 'missing-file':
      parts = Array.from({ length: rng.int(0, 3) }, (_, i) => field(i));
      expect = { ok200: false, codes: parts.length === 0 ? ['MISSING_IMAGE_FIELD', 'BAD_REQUEST', 'EMPTY_BODY'] : ['MISSING_IMAGE_FIELD'] };
      break;
    case 'wrong-name':
      parts = [{ ...file, name: rng.pick(['file', 'Image', 'image ', '', 'img']) }];
      expect = { ok200: false, codes: ['MISSING_IMAGE_FIELD', 'BAD_REQUEST'] };
      break;
    case 'two-images':
      parts = [file, { ...file, data: mutatedImage(rng).bytes }];
      expect = { ok200: false };
      break;
    case 'unterminated':
      options = { close: false };
      parts = rng.chance(0.5) ? [file] : [{ ...file, data: file.data.subarray(0, rng.int(0, file.data.length)) }];
      break;
    case 'wrong-boundary':
      headerBoundary = `${boundary}x`;
      expect = { ok200: false };
      break;
    case 'lf-only':
      options = { eol: '\n' };
      break;
    case 'garbage-headers':
      parts = [{ ...file, rawHeaders: rng.bytes(rng.int(1, 300)).toString('latin1').replace(/\r\n\r\n/g, '') }];
      break;
    case 'empty-file':
      parts = [{ ...file, data: Buffer.alloc(0) }];
      expect = { ok200: false };
      break;
    case 'no-disposition':
      parts = [{ ...file, rawHeaders: `Content-Type: ${image.type}` }];
      expect = { ok200: false };
      break;
    case 'nested':
      parts = [{ name: 'image', contentType: multipartType('inner'), data: multipartBody([file], 'inner'), filename: 'n.bin' }];
      break;
    case 'mutated-file':
      parts = [{ ...file, data: mutatedImage(rng).bytes }];
      break;
    case 'many-headers':
      parts = [{ ...file, rawHeaders: [`Content-Disposition: form-data; name="image"; filename="x"`, ...Array.from({ length: rng.int(50, 2000) }, (_, i) => `X-H${i}: v`)].join('\r\n') }];
      break;
  }
  const body = multipartBody(parts, boundary, options);
  const shot = { method: 'POST', path: taskPath(rng, ctx), headers: { 'content-type': multipartType(headerBoundary) }, body, transport: 'keepalive' as const };
  return { label: `multipart ${variant} (${parts.length} parts)`, shot, expect };
}

/** Values that are wrong for (nearly) every parameter, plus per-parameter extremes. */
const JUNK = ['', '-1', '0', 'NaN', 'Infinity', '-Infinity', '1e309', '-1e309', '1e-320', '0x10', 'abc', '%00', '%zz', '1,2', '[]', '{}', 'null', 'true', '😀', '9'.repeat(400), ' 5', '5 '];
const PARAMS: Record<string, readonly string[]> = {
  top_k: ['1', '5', '1000', '1001', '2147483648', '1.5'],
  sla_ms: ['60001', '1e12', '-5', '0.5', '30000', '5000'],
  quality: ['fast', 'balanced', 'accurate', 'ultra', '2', '-0.1', '0.5', 'FAST', '1e-400'],
  stitch: ['0', '5', '14', '15', '99999999', '-1', '1.5', '3'],
  min_accuracy: ['0', '1', '1.01', '-0.01', '0.99999'],
  max_gflops: ['0', '-1', '1e-12', '1e308', '0.000001'],
  format: ['json', 'png', 'overlay', 'colormap', 'gif', 'PNG'],
  score_threshold: ['0', '1', '2', '-1'],
  max_detections: ['0', '1', '1001', '1e6'],
};

/** True when `value` is a budget the server accepts but may not meet on a loaded machine (1 ms ≤ x < 1 s). */
function tight(value: string | undefined): boolean {
  const ms = value === undefined || value.trim() === '' ? Number.NaN : Number(value.trim());
  return ms >= 1 && ms < 1000;
}

function paramsCase(rng: FuzzRng, ctx: FuzzContext): Generated {
  const pairs: string[] = [];
  let tightBudget = false;
  for (let n = rng.int(1, 4); n > 0; n--) {
    const name = rng.chance(0.15) ? rng.pick(['unknown', 'top-k', 'SLA_MS', '__proto__', 'constructor', 'a'.repeat(300), 'stitch[]']) : rng.pick(Object.keys(PARAMS));
    const value = rng.chance(0.5) ? rng.pick(JUNK) : rng.pick(PARAMS[name] ?? JUNK);
    if (name === 'sla_ms') tightBudget ||= tight(value);
    pairs.push(`${encodeURIComponent(name)}=${/^%/.test(value) ? value : encodeURIComponent(value)}`);
  }
  const headers: Record<string, string> = { 'content-type': 'image/jpeg' };
  if (rng.chance(0.25)) headers['x-latency-budget-ms'] = rng.pick([...JUNK.filter((v) => !/[^\x20-\x7e]/.test(v)), '10000', '0.001', '6e4']);
  tightBudget ||= tight(headers['x-latency-budget-ms']);
  if (rng.chance(0.1)) headers['accept'] = rng.pick(['image/gif', 'text/html', '*/*', 'application/json;q=0', 'image/png', '']);
  const image = seedImages()[rng.chance(0.5) ? 0 : 1]!;
  return { label: `params ${pairs.join('&').slice(0, 120)}`, shot: { method: 'POST', path: taskPath(rng, ctx, pairs.join('&')), headers, body: image.bytes, transport: 'keepalive' }, expect: { ok200: true, tightBudget } };
}

/** How often each family is drawn (relative weights). */
export const FAMILY_WEIGHTS: Readonly<Record<Exclude<CaseFamily, 'slow'>, number>> = {
  'mutated-image': 42,
  'claimed-bomb': 6,
  'real-bomb': 0.1,
  'content-type': 9,
  multipart: 12,
  params: 12,
  kserve: 10,
  http: 7,
  oversized: 1.2,
};

const GENERATORS: Record<CaseFamily, (rng: FuzzRng, ctx: FuzzContext) => Generated> = {
  'mutated-image': mutatedImageCase,
  'claimed-bomb': claimedBombCase,
  'real-bomb': realBombCase,
  'content-type': contentTypeCase,
  multipart: multipartCase,
  params: paramsCase,
  kserve: kserveCase,
  http: httpCase,
  oversized: oversizedCase,
  slow: slowCase,
};

/**
 * Case `index` of run `seed`: the first `slowCases` indices are slow bodies (they hold a connection for the
 * server's body timeout), the rest are drawn by family weight. Pure: same (seed, index) → same request.
 */
export function fuzzCase(ctx: FuzzContext, seed: number, index: number, slowCases: number): FuzzCase {
  const rng = caseRng(seed, index);
  const family: CaseFamily = index < slowCases ? 'slow' : rng.weighted(FAMILY_WEIGHTS);
  return { seed, index, family, ...GENERATORS[family](rng, ctx) };
}
