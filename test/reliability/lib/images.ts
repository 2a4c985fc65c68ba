import { crc32, deflateSync } from 'node:zlib';
import { fixtureImage } from '../../helpers/images.js';
import type { FuzzRng } from './rng.js';

/** Real, valid images the mutators start from (test/fixtures/images), with their media type. */
export const SEED_IMAGES = [
  { name: 'scene.jpg', type: 'image/jpeg' },
  { name: 'sample.jpg', type: 'image/jpeg' },
  { name: 'scene-exif-rot90.jpg', type: 'image/jpeg' },
  { name: 'scene.png', type: 'image/png' },
  { name: 'scene-rgba.png', type: 'image/png' },
  { name: 'scene-gray16.png', type: 'image/png' },
  { name: 'fmnist-0-9-boot.png', type: 'image/png' },
  { name: 'scene.webp', type: 'image/webp' },
  { name: 'scene.gif', type: 'image/gif' },
  { name: 'scene.tiff', type: 'image/tiff' },
  { name: 'scene.avif', type: 'image/avif' },
] as const;

export type SeedImage = { name: string; type: string; bytes: Buffer };

let seeds: SeedImage[] | undefined;

/** The seed images, read once. */
export function seedImages(): SeedImage[] {
  seeds ??= SEED_IMAGES.map((s) => ({ ...s, bytes: fixtureImage(s.name) }));
  return seeds;
}

/** Byte-level mutations of an encoded image; each returns a new buffer. */
const MUTATORS = {
  /** Flips 1–32 random bits anywhere. */
  bitFlip(rng: FuzzRng, b: Buffer): Buffer {
    const out = Buffer.from(b);
    for (let n = rng.int(1, 32); n > 0; n--) out[rng.int(0, out.length - 1)]! ^= 1 << rng.int(0, 7);
    return out;
  },
  /** Cuts the file at a random length (possibly 0 or inside the header). */
  truncate(rng: FuzzRng, b: Buffer): Buffer {
    return Buffer.from(b.subarray(0, rng.int(0, b.length - 1)));
  },
  /** Overwrites 1–16 bytes of the first 64 (magic, header fields, first chunk). */
  header(rng: FuzzRng, b: Buffer): Buffer {
    const out = Buffer.from(b);
    for (let n = rng.int(1, 16); n > 0; n--) out[rng.int(0, Math.min(63, out.length - 1))] = rng.int(0, 255);
    return out;
  },
  /** Writes an extreme value (0, 0xff.., 0x7f..) into a 2- or 4-byte field in the first 512 bytes (lengths, sizes). */
  field(rng: FuzzRng, b: Buffer): Buffer {
    const out = Buffer.from(b);
    const width = rng.pick([2, 4]);
    const at = rng.int(0, Math.max(0, Math.min(511, out.length - width)));
    const value = rng.pick([0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0xfffe]);
    if (at + width <= out.length) {
      if (width === 2) out.writeUInt16BE(value & 0xffff, at);
      else out.writeUInt32BE(value >>> 0, at);
    }
    return out;
  },
  /** Copies a random segment over another position (repeated markers, duplicated chunks). */
  splice(rng: FuzzRng, b: Buffer): Buffer {
    const from = rng.int(0, b.length - 1);
    const segment = b.subarray(from, from + rng.int(1, 256));
    const to = rng.int(0, b.length - 1);
    return Buffer.concat([b.subarray(0, to), segment, b.subarray(to)]);
  },
  /** Removes a random segment. */
  cut(rng: FuzzRng, b: Buffer): Buffer {
    const from = rng.int(0, b.length - 1);
    return Buffer.concat([b.subarray(0, from), b.subarray(from + rng.int(1, 512))]);
  },
  /** Appends random bytes after the end marker. */
  append(rng: FuzzRng, b: Buffer): Buffer {
    return Buffer.concat([b, rng.bytes(rng.int(1, 4096))]);
  },
  /** Puts another format's magic in front of this body (a PNG signature on JPEG data, ...). */
  magic(rng: FuzzRng, b: Buffer): Buffer {
    const magics = ['89504e470d0a1a0a', 'ffd8ffe0', '474946383961', '52494646000000005745425056503820', '49492a00', '4d4d002a', '3c3f786d6c', '25504446'];
    const m = Buffer.from(rng.pick(magics), 'hex');
    return Buffer.concat([m, b.subarray(rng.chance(0.5) ? m.length : 0)]);
  },
  /** Zeroes a random range (a lost disk block). */
  zero(rng: FuzzRng, b: Buffer): Buffer {
    const out = Buffer.from(b);
    const from = rng.int(0, out.length - 1);
    out.fill(0, from, Math.min(out.length, from + rng.int(1, 1024)));
    return out;
  },
} satisfies Record<string, (rng: FuzzRng, b: Buffer) => Buffer>;

export type MutatorName = keyof typeof MUTATORS;
export const MUTATOR_NAMES = Object.keys(MUTATORS) as MutatorName[];

/** Applies 1–3 random mutators to a random seed image; `label` names what was done (for failure reports). */
export function mutatedImage(rng: FuzzRng): { bytes: Buffer; type: string; label: string } {
  const seed = rng.pick(seedImages());
  let bytes = seed.bytes;
  const applied: string[] = [];
  for (let n = rng.int(1, 3); n > 0 && bytes.length > 0; n--) {
    const name = rng.pick(MUTATOR_NAMES);
    bytes = MUTATORS[name](rng, bytes);
    applied.push(name);
  }
  return { bytes, type: seed.type, label: `${seed.name}:${applied.join('+')}` };
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG whose IHDR claims width × height (correct CRC) followed by a few bytes of real data. */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width >>> 0, 0);
  ihdr.writeUInt32BE(height >>> 0, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  const signature = Buffer.from('89504e470d0a1a0a', 'hex');
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(4096))), pngChunk('IEND', Buffer.alloc(0))]);
}

const realBombs = new Map<string, Buffer>();

/**
 * A real decompression bomb within the pixel limit: a valid all-black RGB PNG of width × height whose file is
 * tiny (~1000:1) but decodes to 3·w·h bytes. The server must decode it within bounded memory.
 */
export function pngBomb(width: number, height: number): Buffer {
  const key = `${width}x${height}`;
  let png = realBombs.get(key);
  if (png === undefined) {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const scanlines = Buffer.alloc(height * (1 + 3 * width)); // filter byte 0 + black pixels per row
    const signature = Buffer.from('89504e470d0a1a0a', 'hex');
    png = Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(scanlines, { level: 1 })), pngChunk('IEND', Buffer.alloc(0))]);
    realBombs.set(key, png);
  }
  return png;
}

/** The seed image `name` with its header's dimensions rewritten to claim width × height (format-specific). */
function claiming(name: string, width: number, height: number): Buffer {
  const out = Buffer.from(fixtureImage(name));
  if (name.endsWith('.jpg')) {
    const sof = out.indexOf(Buffer.from([0xff, 0xc0]));
    out.writeUInt16BE(height & 0xffff, sof + 5);
    out.writeUInt16BE(width & 0xffff, sof + 7);
  } else if (name.endsWith('.gif')) {
    out.writeUInt16LE(width & 0xffff, 6); // logical screen
    out.writeUInt16LE(height & 0xffff, 8);
    // The frame's own size is what decoders allocate: find the first image descriptor after the global colour
    // table and any extension blocks.
    const flags = out[10]!;
    let at = 13 + (flags & 0x80 ? 3 * (1 << ((flags & 7) + 1)) : 0);
    while (out[at] === 0x21) {
      at += 2;
      while (out[at]! !== 0) at += out[at]! + 1;
      at += 1;
    }
    if (out[at] === 0x2c) {
      out.writeUInt16LE(width & 0xffff, at + 5);
      out.writeUInt16LE(height & 0xffff, at + 7);
    }
  } else if (name.endsWith('.webp')) {
    const start = out.indexOf(Buffer.from([0x9d, 0x01, 0x2a])); // VP8 key frame start code, then 14-bit dims
    out.writeUInt16LE(width & 0x3fff, start + 3);
    out.writeUInt16LE(height & 0x3fff, start + 5);
  } else if (name.endsWith('.tiff')) {
    const ifd = out.readUInt32LE(4);
    const entries = out.readUInt16LE(ifd);
    for (let i = 0; i < entries; i++) {
      const at = ifd + 2 + 12 * i;
      const tag = out.readUInt16LE(at);
      const type = out.readUInt16LE(at + 2);
      if (tag !== 256 && tag !== 257) continue;
      const value = tag === 256 ? width : height;
      if (type === 3) out.writeUInt16LE(Math.min(value, 0xffff), at + 8);
      else out.writeUInt32LE(value >>> 0, at + 8);
    }
  }
  return out;
}

/** A tiny file claiming a huge size: IMAGE_TOO_LARGE expected (or a 4xx for a header the decoder rejects). */
export function claimedBomb(rng: FuzzRng): { bytes: Buffer; type: string; label: string } {
  const kind = rng.pick(['png', 'png', 'jpg', 'gif', 'webp', 'tiff'] as const);
  const big = () => rng.pick([16_383, 30_000, 65_535, 100_000, 1 << 20, 0x7fffffff]);
  let width = big();
  let height = big();
  // 1 × 2³¹−1: the area is over the limit although one side is tiny (only PNG headers hold 31-bit sides).
  if (kind === 'png' && rng.chance(0.2)) width = 1;
  if (kind === 'png') return { bytes: pngClaiming(width, height), type: 'image/png', label: `claims ${width}x${height} png` };
  const cap = kind === 'webp' ? 16_383 : 65_535;
  width = Math.max(Math.min(width, cap), 8000);
  height = Math.max(Math.min(height, cap), 8000);
  const name = { jpg: 'scene.jpg', gif: 'scene.gif', webp: 'scene.webp', tiff: 'scene.tiff' }[kind];
  const type = { jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', tiff: 'image/tiff' }[kind];
  return { bytes: claiming(name, width, height), type, label: `claims ${width}x${height} ${kind}` };
}
