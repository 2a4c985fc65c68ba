import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TINY_BUNDLE } from '../../helpers/app.js';

/** A scratch model root in the temp dir holding a copy of the tiny bundle (without references) at `<root>/tiny-v2`. */
export interface ScratchBundle {
  root: string;
  dir: string;
  /** Rewrites manifest.json through `edit`. */
  editManifest(edit: (manifest: any) => void): Promise<void>;
  remove(): Promise<void>;
}

export async function scratchBundle(): Promise<ScratchBundle> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'stitchserve-bundles-'));
  const dir = path.join(root, 'tiny-v2');
  await mkdir(dir);
  for (const file of ['manifest.json', 'family.onnx']) await cp(path.join(TINY_BUNDLE, file), path.join(dir, file));
  return {
    root,
    dir,
    async editManifest(edit) {
      const file = path.join(dir, 'manifest.json');
      const manifest = JSON.parse(await readFile(file, 'utf8'));
      edit(manifest);
      await writeFile(file, JSON.stringify(manifest, null, 2));
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
