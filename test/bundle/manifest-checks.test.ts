import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Manifest } from '../../src/bundle/manifest.js';
import { lexicalPathProblem } from '../../src/bundle/safe-paths.js';
import { jsonPointerToPath } from '../../src/bundle/schema.js';
import { semanticProblems } from '../../src/bundle/semantics.js';

function manifest(): Manifest {
  const preprocess = { fit: 'fill', kernel: 'linear', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } as const;
  return {
    format: 'stitchserve-bundle', formatVersion: 1, name: 'unit', space: { kind: 'snnetv2', excluded: [3] },
    anchors: [
      { id: 0, name: 'S', flavour: 'deit3', dim: 8, depth: 2, heads: 2, mlpRatio: 4, patch: 2, params: 10 },
      { id: 1, name: 'L', flavour: 'deit3', dim: 16, depth: 2, heads: 2, mlpRatio: 4, patch: 2, params: 20 },
    ],
    tasks: {
      classify: { condition: 'task.classify', input: { height: 4, width: 4 }, preprocess: { ...preprocess, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, outputs: ['classify.logits'], metric: { name: 'top1', higherIsBetter: true } },
    },
    stitches: [
      { id: 0, kind: 'anchor', anchors: [0], route: [[0, 1]], stitchLayers: [-1], slots: [1, 2], params: 10, flops: { classify: 5 } },
      { id: 1, kind: 's2l', anchors: [0, 1], route: [[0, 0], [1, 1]], stitchLayers: [0, -1], slots: [1, 3], params: 15, flops: { classify: 7 } },
    ],
    graph: { file: 'family.onnx', externalData: null, opset: 17, input: 'pixels', conditions: ['task.classify', 'a0.b0', 'a0.b1', 's2l.0'] },
    files: [{ path: 'family.onnx', sha256: 'a'.repeat(64), bytes: 1 }],
    provenance: { toolchain: 'unit', created: '2026-11-28' },
  };
}

test('a consistent manifest has no semantic problems', () => {
  assert.deepEqual(semanticProblems(manifest()), []);
});

test('slot out of range is named with the graph condition count', () => {
  const m = manifest();
  m.stitches[1]!.slots = [1, 99];
  assert.deepEqual(semanticProblems(m), ['manifest.json: stitches[1].slots[1] = 99 is out of range (graph has 4 conditions)']);
});

test('every cross-field problem is reported, each naming its field', () => {
  const m = manifest();
  m.stitches[1]!.id = 0;
  m.stitches[0]!.slots = [0];
  m.stitches[0]!.route = [[0, 5]];
  m.stitches.push({ ...m.stitches[0]!, id: 3, slots: [], anchors: [7], stitchLayers: [-1, -1] });
  m.tasks.classify!.condition = 'task.nothing';
  m.graph.externalData = 'family.weights';
  const problems = semanticProblems(m);
  assert.deepEqual(problems, [
    'manifest.json: stitches has id 0 more than once',
    'manifest.json: tasks.classify.condition = "task.nothing" is not in graph.conditions',
    'manifest.json: stitches[0].route[0] = [0, 5] is not a block range of anchor 0 (depth 2)',
    'manifest.json: stitches[2].id = 3 is listed in space.excluded',
    'manifest.json: stitches[2].stitchLayers has 2 entries but route has 1 segments',
    'manifest.json: stitches[2].anchors[0] = 7 is not an anchor id',
    'manifest.json: graph.externalData = "family.weights" is not listed in files',
  ]);
});

test('a stitch may not switch on a task head', () => {
  const m = manifest();
  m.stitches[0]!.slots = [0, 1];
  assert.match(semanticProblems(m)[0]!, /stitches\[0\]\.slots\[0\] = 0 is the condition of task classify/);
});

test('lexical path rules: relative, no "..", no absolute, no backslash', () => {
  assert.equal(lexicalPathProblem('family.onnx'), null);
  assert.equal(lexicalPathProblem('sub/family.weights'), null);
  assert.match(lexicalPathProblem('../etc/passwd')!, /contains "\.\."/);
  assert.match(lexicalPathProblem('a/../../b')!, /contains "\.\."/);
  assert.match(lexicalPathProblem('/etc/passwd')!, /is absolute/);
  assert.match(lexicalPathProblem('C:/x')!, /is absolute/);
  assert.match(lexicalPathProblem('a\\b')!, /backslash/);
  assert.match(lexicalPathProblem('a//b')!, /empty or "\." segment/);
  assert.match(lexicalPathProblem('')!, /is empty/);
});

test('JSON pointers become field paths', () => {
  assert.equal(jsonPointerToPath('/stitches/3/slots/2'), 'stitches[3].slots[2]');
  assert.equal(jsonPointerToPath('/tasks/classify/preprocess/mean/0'), 'tasks.classify.preprocess.mean[0]');
  assert.equal(jsonPointerToPath('/flops/a~1b'), 'flops["a/b"]');
  assert.equal(jsonPointerToPath(''), '(root)');
});
