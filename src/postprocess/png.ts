import sharp from 'sharp';

/** PNG of one 8-bit channel (class indices < 256, or gray levels), width × height row-major. */
export function grayPng8(values: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(values, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

/** 16-bit grayscale PNG, width × height row-major. */
export function grayPng16(values: Uint16Array, width: number, height: number): Promise<Buffer> {
  return sharp(values, { raw: { width, height, channels: 1 } }).toColourspace('grey16').png().toBuffer();
}

/** 8-bit RGB PNG from interleaved RGB values, width × height row-major. */
export function rgbPng(values: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(values, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
