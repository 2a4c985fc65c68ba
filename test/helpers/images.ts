import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/images, absolute. */
export const FIXTURE_IMAGES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/images');

/** Size of the synthetic scene in every scene.* file (as displayed, after EXIF orientation). */
export const SCENE = { width: 96, height: 64 } as const;

/** Reads one committed fixture image by file name. */
export function fixtureImage(name: string): Buffer {
  return readFileSync(path.join(FIXTURE_IMAGES_DIR, name));
}
