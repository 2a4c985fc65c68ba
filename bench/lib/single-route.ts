import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Path of the monolithic single-route ONNX of one stitch/task of a bundle, exporting it with the toolchain
 * (stitchkit.single_route.export_route: the route graph specialised to one stitch, no `If`, same weights)
 * when it does not exist yet. Files live in `<bundle>/routes/stitch-<id>.<task>.onnx` (bundles are build output).
 */
export async function ensureSingleRoute(repoRoot: string, bundleDir: string, stitchId: number, task: string): Promise<string> {
  const out = path.join(bundleDir, 'routes', `stitch-${stitchId}.${task}.onnx`);
  if (existsSync(out)) return out;
  const script =
    'import sys\nfrom stitchkit.single_route import export_route\n' +
    'export_route(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])';
  // The export once failed in onnx.checker on a tensor that is fine on a rerun; one retry keeps the bench going.
  await exportOnce(script, repoRoot, bundleDir, stitchId, task, out).catch(() => exportOnce(script, repoRoot, bundleDir, stitchId, task, out));
  return out;
}

function exportOnce(script: string, repoRoot: string, bundleDir: string, stitchId: number, task: string, out: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('nice', ['-n', '10', '/usr/bin/python3', '-c', script, bundleDir, String(stitchId), task, out], {
      env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'models', 'toolchain') },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`export_route for stitch ${stitchId} exited with ${code}`))));
  });
}
