import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { ServiceError } from '../errors.js';

/** An image as the client sent it: encoded bytes, or raw interleaved 8-bit pixels (KServe UINT8 HWC tensors). */
export type ImageInput =
  | { kind: 'encoded'; bytes: Buffer }
  | { kind: 'raw'; data: Buffer; width: number; height: number; channels: 1 | 3 | 4 };

/** A decodable image whose header passed the format and pixel checks; nothing has been fully decoded yet. */
export interface OpenedImage {
  /** A fresh sharp pipeline that honours EXIF orientation; clone it for each use. */
  pipeline: Sharp;
  /** Size as displayed (after EXIF orientation), in pixels. */
  width: number;
  height: number;
  /** Decoder name (jpeg, png, webp, heif, tiff, gif) or 'raw'. */
  format: string;
}

/** Decoders accepted from clients; everything else (SVG, PDF, HEVC-HEIF, ...) is refused before decoding. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'heif', 'tiff', 'gif']);

/**
 * Maps a sharp/libvips failure on client bytes to a registry error. Input-side failures are always the client's
 * image, so they become 4xx; the libvips text is kept out of the message (it can name internal details).
 */
export function imageErrorFromSharp(err: unknown, pixelLimit: number): ServiceError {
  const text = err instanceof Error ? err.message : String(err);
  if (/exceeds pixel limit/i.test(text)) {
    return new ServiceError('IMAGE_TOO_LARGE', `The image has more than ${pixelLimit} pixels; send a smaller image.`);
  }
  if (/unsupported image format/i.test(text)) {
    return new ServiceError('UNSUPPORTED_IMAGE', 'The body is not a JPEG, PNG, WebP, AVIF, TIFF or GIF image.');
  }
  return new ServiceError('CORRUPT_IMAGE', 'The image is truncated or corrupt and cannot be decoded; re-encode it and retry.');
}

function sharpOptions(pixelLimit: number): SharpOptions {
  // failOn 'error' aborts on truncated or invalid pixel data (a libjpeg "premature end", a libpng CRC error);
  // pages 1 decodes only the first frame of an animation.
  return { failOn: 'error', limitInputPixels: pixelLimit, pages: 1, sequentialRead: true };
}

function checkPixels(width: number, height: number, pixelLimit: number): void {
  if (width * height > pixelLimit) {
    throw new ServiceError('IMAGE_TOO_LARGE', `The image is ${width}×${height} = ${width * height} pixels; the limit is ${pixelLimit}.`);
  }
}

async function openEncoded(bytes: Buffer, pixelLimit: number): Promise<OpenedImage> {
  if (bytes.length === 0) throw new ServiceError('EMPTY_BODY', 'The request carries no image bytes; send an image.');
  let metadata: Metadata;
  try {
    // Reads the header only (format, claimed size, EXIF orientation); no pixel is decoded, so sharp's own pixel
    // limit is lifted here and checkPixels reports the size; the decoding pipeline keeps the limit.
    metadata = await sharp(bytes, { ...sharpOptions(pixelLimit), limitInputPixels: false }).metadata();
  } catch (err) {
    throw imageErrorFromSharp(err, pixelLimit);
  }
  const avif = metadata.format === 'heif' ? metadata.compression === 'av1' : true;
  if (!ACCEPTED_FORMATS.has(metadata.format) || !avif) {
    throw new ServiceError('UNSUPPORTED_IMAGE', `Images of format '${metadata.format}' are not accepted; send JPEG, PNG, WebP, AVIF, TIFF or GIF.`);
  }
  checkPixels(metadata.width, metadata.height, pixelLimit);
  const width = metadata.autoOrient?.width ?? metadata.width;
  const height = metadata.autoOrient?.height ?? metadata.height;
  return { pipeline: sharp(bytes, sharpOptions(pixelLimit)).rotate(), width, height, format: metadata.format };
}

function openRaw(input: Extract<ImageInput, { kind: 'raw' }>, pixelLimit: number): OpenedImage {
  const { data, width, height, channels } = input;
  checkPixels(width, height, pixelLimit);
  if (data.length !== width * height * channels) {
    throw new ServiceError('INVALID_TENSOR', `A ${height}×${width}×${channels} UINT8 tensor needs ${width * height * channels} values, got ${data.length}.`);
  }
  const pipeline = sharp(data, { raw: { width, height, channels }, limitInputPixels: pixelLimit });
  return { pipeline, width, height, format: 'raw' };
}

/**
 * Checks an image's header (format, pixel count) without decoding the pixels and returns a ready pipeline.
 * Throws ServiceError EMPTY_BODY, UNSUPPORTED_IMAGE, CORRUPT_IMAGE, IMAGE_TOO_LARGE or INVALID_TENSOR.
 */
export async function openImage(input: ImageInput, pixelLimit: number): Promise<OpenedImage> {
  return input.kind === 'encoded' ? openEncoded(input.bytes, pixelLimit) : openRaw(input, pixelLimit);
}
