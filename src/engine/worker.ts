/**
 * The engine worker: the only place that imports onnxruntime-node and calls `run()`. It owns one
 * InferenceSession (the bundle's route graph) and executes run requests one at a time in arrival order, so
 * `computeMs` is the session's own time, not queueing. Protocol: see protocol.ts.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { BackendInfo, FromWorker, InitMessage, RunMessage, ToWorker, WireTensor } from './protocol.js';
import { conditionMask, routeKey } from './route-plan.js';

if (parentPort === null) throw new Error('engine worker must run in a worker thread');
const port = parentPort;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

let session: ort.InferenceSession | null = null;
/** (task:stitchId) → the condition inputs of that route; built once, reused by every run. */
let conditionFeeds = new Map<string, Record<string, ort.Tensor>>();
let inputName = 'pixels';
let taskOutputs: Record<string, string[]> = {};
// Serialises runs: the binding runs synchronously inside setImmediate, so concurrent calls would only queue.
let queue: Promise<void> = Promise.resolve();

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'init':
      queue = queue.then(() => init(message));
      break;
    case 'run':
      queue = queue.then(() => run(message));
      break;
    case 'debug':
      debug(message.action, message.ms ?? 0);
      break;
    case 'close':
      queue = queue.then(async () => {
        await session?.release();
        session = null;
        post({ type: 'closed' });
      });
      break;
  }
});

post({ type: 'hello', ortVersion: ort.env.versions.node ?? ort.env.versions.common, backends: detectBackends() });

function detectBackends(): BackendInfo[] {
  const binDir = path.join(
    path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node')),
    '..', 'bin', 'napi-v6', process.platform, process.arch,
  );
  const libName = (name: string) =>
    process.platform === 'win32' ? `onnxruntime_providers_${name}.dll` : `libonnxruntime_providers_${name}.so`;
  return ort.listSupportedBackends().map((b) => ({
    name: b.name,
    bundled: b.bundled,
    installed: b.bundled || existsSync(path.join(binDir, libName(b.name))),
  }));
}

async function init(message: InitMessage): Promise<void> {
  const started = performance.now();
  let device = message.device;
  try {
    try {
      session = await ort.InferenceSession.create(message.graphPath, message.sessionOptions);
    } catch (err) {
      if (message.fallbackOptions === null) throw err;
      post({ type: 'log', level: 'warn', message: `CUDA session creation failed (${errorText(err)}); falling back to CPU` });
      device = 'cpu';
      session = await ort.InferenceSession.create(message.graphPath, message.fallbackOptions);
    }
    const problems = interfaceProblems(session, message);
    if (problems.length > 0) {
      post({ type: 'initFailed', error: { code: 'BUNDLE_INVALID', message: `invalid bundle: ${problems.join('; ')}` } });
      return;
    }
    buildFeeds(message);
    post({
      type: 'ready',
      device,
      loadMs: performance.now() - started,
      inputNames: [...session.inputNames],
      outputNames: [...session.outputNames],
    });
  } catch (err) {
    post({ type: 'initFailed', error: { code: 'BUNDLE_INVALID', message: `${message.graphPath}: ONNX Runtime cannot load it: ${errorText(err)}` } });
  }
}

/** The graph's declared inputs/outputs (names, types, static dims) must be what the manifest promises. */
function interfaceProblems(s: ort.InferenceSession, { plan, graphPath }: InitMessage): string[] {
  const file = path.basename(graphPath);
  const inputs = new Map(s.inputMetadata.map((m) => [m.name, m]));
  const outputs = new Map(s.outputMetadata.map((m) => [m.name, m]));
  const problems: string[] = [];
  const pixels = inputs.get(plan.input);
  if (pixels === undefined) problems.push(`${file} has no input "${plan.input}" (graph.input)`);
  else problems.push(...pixelsProblems(file, pixels, plan));
  for (const name of plan.conditions) {
    const meta = inputs.get(name);
    if (meta === undefined) problems.push(`${file} has no input "${name}" (graph.conditions)`);
    else if (!meta.isTensor || meta.type !== 'bool' || meta.shape.length !== 0) {
      problems.push(`${file} input "${name}" is ${describe(meta)}, expected a scalar bool`);
    }
  }
  const expected = new Set([plan.input, ...plan.conditions]);
  for (const name of inputs.keys()) if (!expected.has(name)) problems.push(`${file} input "${name}" is not in the manifest`);
  for (const [task, spec] of Object.entries(plan.tasks)) {
    for (const name of spec.outputs) {
      const meta = outputs.get(name);
      if (meta === undefined) problems.push(`${file} has no output "${name}" (tasks.${task}.outputs)`);
      else if (!meta.isTensor || meta.type !== 'float32') problems.push(`${file} output "${name}" is ${describe(meta)}, expected float32`);
    }
  }
  return problems;
}

/** pixels must be float32 [B, 3, H, W]; a static H or W must equal every task's input size. */
function pixelsProblems(file: string, meta: ort.InferenceSession.ValueMetadata, plan: InitMessage['plan']): string[] {
  if (!meta.isTensor || meta.type !== 'float32' || meta.shape.length !== 4 || (typeof meta.shape[1] === 'number' && meta.shape[1] !== 3)) {
    return [`${file} input "${plan.input}" is ${describe(meta)}, expected float32 [B, 3, H, W]`];
  }
  const problems: string[] = [];
  for (const [task, spec] of Object.entries(plan.tasks)) {
    const [, , h, w] = meta.shape;
    if ((typeof h === 'number' && h !== spec.height) || (typeof w === 'number' && w !== spec.width)) {
      problems.push(`${file} input "${plan.input}" is ${describe(meta)} but tasks.${task}.input is ${spec.height}×${spec.width}`);
    }
  }
  return problems;
}

function describe(meta: ort.InferenceSession.ValueMetadata): string {
  return meta.isTensor ? `${meta.type} [${meta.shape.map(String).join(', ')}]` : 'not a tensor';
}

function buildFeeds({ plan }: InitMessage): void {
  const on = new ort.Tensor('bool', new Uint8Array([1]), []);
  const off = new ort.Tensor('bool', new Uint8Array([0]), []);
  inputName = plan.input;
  taskOutputs = Object.fromEntries(Object.entries(plan.tasks).map(([task, spec]) => [task, spec.outputs]));
  conditionFeeds = new Map();
  for (const task of Object.keys(plan.tasks)) {
    for (const stitch of plan.stitches) {
      const mask = conditionMask(plan, task, stitch.id);
      const feeds: Record<string, ort.Tensor> = {};
      plan.conditions.forEach((name, i) => (feeds[name] = mask[i] ? on : off));
      conditionFeeds.set(routeKey(task, stitch.id), feeds);
    }
  }
}

async function run(message: RunMessage): Promise<void> {
  try {
    const conditions = conditionFeeds.get(routeKey(message.task, message.stitchId));
    const outputNames = taskOutputs[message.task];
    if (session === null || conditions === undefined || outputNames === undefined) {
      throw new Error(`no route for task ${message.task} stitch ${message.stitchId} (session ready: ${session !== null})`);
    }
    const feeds = { ...conditions, [inputName]: new ort.Tensor('float32', message.pixels, message.dims) };
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const results = await session.run(feeds, outputNames);
    const computeMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const outputs: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const name of outputNames) {
      const tensor = results[name];
      if (tensor === undefined || tensor.type !== 'float32') {
        throw new Error(`output "${name}" is ${tensor === undefined ? 'missing' : tensor.type}, expected float32`);
      }
      const data = ownedFloat32(tensor.data as Float32Array);
      outputs[name] = { dims: [...tensor.dims], data };
      transfer.push(data.buffer as ArrayBuffer);
    }
    post({ type: 'result', id: message.id, outputs, computeMs, cpuMs: (cpu.user + cpu.system) / 1000 }, transfer);
  } catch (err) {
    post({ type: 'failed', id: message.id, error: { code: 'ENGINE_FAILED', message: errorText(err) } });
  }
}

/** A Float32Array that is the whole of its ArrayBuffer, so the buffer can be transferred without leaking more. */
function ownedFloat32(data: Float32Array): Float32Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer
    ? data
    : data.slice();
}

function debug(action: 'exit' | 'throw' | 'stall', ms: number): void {
  if (action === 'exit') process.exit(70);
  if (action === 'throw') setImmediate(() => { throw new Error('engine worker: debug crash'); });
  if (action === 'stall') {
    // Acknowledged first: this message is handled between runs, so from here until the wait ends no native call
    // is in progress, and a test may terminate the thread safely (terminating it inside an ORT run aborts the
    // whole process: the binding throws a C++ Napi::Error that nothing catches).
    post({ type: 'stalled' });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
