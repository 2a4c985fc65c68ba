/**
 * Writes the committed sample images under test/fixtures/images/: one synthetic scene in every accepted format,
 * an EXIF-rotated copy, Fashion-MNIST test images (when Debian's dataset-fashion-mnist is installed), and
 * broken files (truncated, corrupt, a decompression bomb header, non-image bytes).
 * Run: node --import tsx test/helpers/make-fixture-images.ts  (deterministic; re-running rewrites the same files)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { FIXTURE_IMAGES_DIR, SCENE } from './images.js';

const out = (name: string, bytes: Buffer | Uint8Array) => writeFileSync(path.join(FIXTURE_IMAGES_DIR, name), bytes);

/** A 96×64 scene with distinct left/right/top/bottom content so rotations and flips are detectable. */
function sceneSvg(): Buffer {
  const { width, height } = SCENE;
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="g" x1="0" x2="1" y1="0" y2="0"><stop offset="0" stop-color="#203060"/><stop offset="1" stop-color="#c0d0f0"/></linearGradient></defs>
  <rect width="${width}" height="${height}" fill="url(#g)"/>
  <rect x="8" y="8" width="28" height="20" fill="#ffffff"/>
  <circle cx="70" cy="44" r="14" fill="#e02020"/>
  <rect x="40" y="50" width="10" height="10" fill="#20c020"/>
</svg>`);
}

/** Overwrites `count` bytes from `offset` with a fixed pattern (deterministic corruption). */
function scribble(bytes: Buffer, offset: number, count: number): Buffer {
  const copy = Buffer.from(bytes);
  for (let i = 0; i < count && offset + i < copy.length; i++) copy[offset + i] = (i * 37 + 11) & 0xff;
  return copy;
}

function crc32(bytes: Buffer): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** A valid small PNG whose IHDR claims width×height (with a correct CRC): a decompression-bomb header. */
function pngClaiming(png: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(png);
  copy.writeUInt32BE(width, 16);
  copy.writeUInt32BE(height, 20);
  copy.writeUInt32BE(crc32(copy.subarray(12, 29)), 29);
  return copy;
}

async function writeScene(): Promise<Buffer> {
  const png = await sharp(sceneSvg()).removeAlpha().png().toBuffer();
  const scene = sharp(png);
  out('scene.png', png);
  out('scene.jpg', await scene.clone().jpeg({ quality: 95 }).toBuffer());
  out('scene.webp', await scene.clone().webp({ quality: 95 }).toBuffer());
  out('scene.avif', await scene.clone().avif({ quality: 80, effort: 2 }).toBuffer());
  out('scene.tiff', await scene.clone().tiff().toBuffer());
  out('scene.gif', await scene.clone().gif().toBuffer());
  // Stored rotated 90° anticlockwise with EXIF orientation 6 ("rotate 90° clockwise to display"): shows as scene.
  out('scene-exif-rot90.jpg', await scene.clone().rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer());
  out('scene-rgba.png', await scene.clone().joinChannel(Buffer.alloc(SCENE.width * SCENE.height, 128), { raw: { width: SCENE.width, height: SCENE.height, channels: 1 } }).png().toBuffer());
  out('scene-gray16.png', await scene.clone().grayscale().toColourspace('grey16').png().toBuffer());
  return png;
}

async function writeBroken(png: Buffer): Promise<void> {
  const jpeg = readFileSync(path.join(FIXTURE_IMAGES_DIR, 'scene.jpg'));
  const webp = readFileSync(path.join(FIXTURE_IMAGES_DIR, 'scene.webp'));
  const gif = readFileSync(path.join(FIXTURE_IMAGES_DIR, 'scene.gif'));
  out('truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.5)));
  out('truncated.png', png.subarray(0, Math.floor(png.length * 0.6)));
  out('truncated.webp', webp.subarray(0, Math.floor(webp.length * 0.5)));
  out('truncated.gif', gif.subarray(0, Math.floor(gif.length * 0.5)));
  out('corrupt-idat.png', scribble(png, Math.floor(png.length * 0.5), 64));
  out('corrupt-header.jpg', scribble(jpeg, 2, 40));
  out('header-only.png', png.subarray(0, 33));
  out('bomb-60000x60000.png', pngClaiming(png, 60_000, 60_000));
  out('not-an-image.jpg', Buffer.from('This is plain text pretending to be a JPEG.\n'));
  out('vector.svg', sceneSvg());
}

/** Fashion-MNIST test images 0..3 as 28×28 grayscale PNGs named by index and label (white object on black). */
async function writeFashionMnist(): Promise<void> {
  const dir = '/usr/share/datasets/fashion-mnist';
  if (!existsSync(path.join(dir, 't10k-images-idx3-ubyte.gz'))) {
    console.warn(`${dir} missing (apt-get install dataset-fashion-mnist): Fashion-MNIST samples not written`);
    return;
  }
  const images = gunzipSync(readFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz')));
  const names = ['tshirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'];
  for (let i = 0; i < 4; i++) {
    const pixels = images.subarray(16 + i * 784, 16 + (i + 1) * 784);
    const label = labels[8 + i]!;
    const gray = sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } });
    out(`fmnist-${i}-${label}-${names[label]}.png`, await gray.clone().toColourspace('b-w').png().toBuffer());
    // sample.jpg is the README's curl example: an upscaled Fashion-MNIST test image.
    if (i === 0) out('sample.jpg', await gray.clone().resize(224, 224, { kernel: 'cubic' }).jpeg({ quality: 92 }).toBuffer());
  }
}

mkdirSync(FIXTURE_IMAGES_DIR, { recursive: true });
const png = await writeScene();
await writeBroken(png);
await writeFashionMnist();
console.log(`fixture images written to ${FIXTURE_IMAGES_DIR}`);
