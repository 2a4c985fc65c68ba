// Runs stitches of a stitchserve bundle in ONNX Runtime (Node), as the TypeScript engine will.
// Usage: node ort_runner.mjs <bundleDir> <jobs.json> <outDir>
//   jobs.json: [{ "stitchId": 3, "task": "classify", "input": "/abs/in.bin", "dims": [B,3,H,W],
//                 "graph": "/abs/single.onnx" (optional: run this graph instead of the bundle's; only the
//                 inputs it declares are fed) }]
// Writes <outDir>/<jobIndex>.<outputName>.bin (little-endian float32) and prints
// [{ "outputs": { "<name>": { "file", "dims" } } }] as JSON on stdout.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';

const [bundleDir, jobsPath, outDir] = process.argv.slice(2);
if (!bundleDir || !jobsPath || !outDir) {
  console.error('usage: node ort_runner.mjs <bundleDir> <jobs.json> <outDir>');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8'));
const jobs = JSON.parse(readFileSync(jobsPath, 'utf8'));
const sessions = new Map();
async function session(path) {
  if (!sessions.has(path)) {
    sessions.set(path, await ort.InferenceSession.create(path, {
      intraOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    }));
  }
  return sessions.get(path);
}

/** Feeds for one run: pixels plus one scalar bool per condition (task condition + the stitch's slots). */
function feeds(stitch, task, pixels) {
  const on = new Set(stitch.slots.map((i) => manifest.graph.conditions[i]));
  on.add(manifest.tasks[task].condition);
  const out = { [manifest.graph.input]: pixels };
  for (const name of manifest.graph.conditions) out[name] = new ort.Tensor('bool', [on.has(name)], []);
  return out;
}

const results = [];
for (const [k, job] of jobs.entries()) {
  const stitch = manifest.stitches.find((s) => s.id === job.stitchId);
  if (!stitch) throw new Error(`stitch ${job.stitchId} is not in the manifest`);
  const buf = readFileSync(job.input);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const pixels = new ort.Tensor('float32', data, job.dims);
  const sess = await session(job.graph ?? join(bundleDir, manifest.graph.file));
  const all = feeds(stitch, job.task, pixels);
  const out = await sess.run(Object.fromEntries(sess.inputNames.map((n) => [n, all[n]])), manifest.tasks[job.task].outputs);
  const entry = { outputs: {} };
  for (const name of manifest.tasks[job.task].outputs) {
    const file = join(outDir, `${k}.${name}.bin`);
    const t = out[name];
    writeFileSync(file, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    entry.outputs[name] = { file, dims: t.dims.map(Number) };
  }
  results.push(entry);
}
process.stdout.write(JSON.stringify(results));
