/**
 * kustomize-lite (the fallback builder) against hand-derived expectations, and against the real
 * `kubectl kustomize` on the same inputs wherever kubectl is installed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { hasKubectlKustomize, kubectlKustomize } from './lib/kustomize.js';
import { kustomizeLite, manifestId, type Manifest } from './lib/kustomize-lite.js';
import { strategicMerge } from './lib/strategic-merge.js';

const K8S = path.resolve(import.meta.dirname, '../../k8s');
const KUSTOMIZATIONS = ['base', 'overlays/cpu', 'overlays/gpu', 'overlays/cpu-keda', 'prometheus-adapter'];
const noKubectl = hasKubectlKustomize() ? false : 'kubectl kustomize is not installed here';

function byId(manifests: Manifest[]): Map<string, Manifest> {
  return new Map(manifests.map((m) => [manifestId(m), m]));
}

function assertSameBuild(dir: string): void {
  const lite = byId(kustomizeLite(dir));
  const real = byId(kubectlKustomize(dir));
  assert.deepEqual([...lite.keys()].sort(), [...real.keys()].sort(), `${dir}: same objects`);
  for (const [id, manifest] of lite) assert.deepEqual(manifest, real.get(id), `${dir}: ${id} identical`);
}

// A throw-away kustomization tree that exercises every feature of the subset.
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kustomize-lite-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function write(relative: string, text: string): string {
  const file = path.join(scratch, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return path.dirname(file);
}

const base = write('base/kustomization.yaml', 'resources: [app.yaml]\n');
write('base/app.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: {name: app, labels: {a: "1"}}
spec:
  selector: {matchLabels: {a: "1"}}
  template:
    metadata: {labels: {a: "1"}}
    spec:
      tolerations: [{key: x, operator: Exists}]
      initContainers: [{name: init, image: "busybox:1.36"}]
      containers:
        - name: main
          image: app
          env: [{name: A, value: "1"}, {name: B, value: "2"}]
          volumeMounts: [{name: v, mountPath: /v}]
          resources: {limits: {cpu: "1"}}
        - name: sidecar
          image: "registry.local:5000/side:0.1@sha256:${'a'.repeat(64)}"
      volumes: [{name: v, emptyDir: {}}]
---
apiVersion: v1
kind: Namespace
metadata: {name: placeholder}
`);
const overlay = write('overlay/kustomization.yaml', `namespace: team
resources: [../base]
patches:
  - path: patch.yaml
images:
  - {name: app, newName: reg.example/app, newTag: "2.0"}
  - {name: busybox, newTag: "1.37"}
  - {name: registry.local:5000/side, digest: "sha256:${'b'.repeat(64)}"}
`);
write('overlay/patch.yaml', `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  labels: {a: null, b: "2"}
spec:
  template:
    spec:
      tolerations: [{key: y, operator: Exists}]
      containers:
        - name: main
          env: [{name: B, value: "20"}, {name: C, value: "3"}]
          volumeMounts: [{name: w, mountPath: /w}]
          resources: {limits: {memory: 1Gi}}
      volumes: [{name: w, emptyDir: {}}]
`);

describe('strategic merge (pure)', () => {
  test('maps merge, null deletes, keyed lists merge, other lists are replaced', () => {
    const merged = strategicMerge(
      { a: { keep: 1, drop: 2 }, env: [{ name: 'A', value: '1' }], args: ['x', 'y'] },
      { a: { drop: null, add: 3 }, env: [{ name: 'A', value: '9' }, { name: 'Z', value: '0' }], args: ['z'] },
    );
    assert.deepEqual(merged, { a: { keep: 1, add: 3 }, env: [{ name: 'A', value: '9' }, { name: 'Z', value: '0' }], args: ['z'] });
  });

  test('patch directives are rejected, not silently mis-applied', () => {
    assert.throws(() => strategicMerge({ env: [] }, { env: [{ name: 'A', $patch: 'delete' }] }), /directive "\$patch"/);
  });
});

describe('kustomize-lite', () => {
  test('builds patches, images and namespace as kustomize does', () => {
    const built = byId(kustomizeLite(overlay));
    assert.deepEqual([...built.keys()].sort(), ['Deployment/team/app', 'Namespace/team']);
    const spec = (built.get('Deployment/team/app')!['spec'] as any).template.spec;
    const main = spec.containers[0];
    assert.equal(main.image, 'reg.example/app:2.0');
    // kustomize's order: the patch's items first, then the base items it does not name.
    assert.deepEqual(main.env, [{ name: 'B', value: '20' }, { name: 'C', value: '3' }, { name: 'A', value: '1' }]);
    assert.deepEqual(main.volumeMounts.map((m: { mountPath: string }) => m.mountPath), ['/w', '/v']);
    assert.deepEqual(main.resources, { limits: { cpu: '1', memory: '1Gi' } });
    assert.equal(spec.containers[1].image, `registry.local:5000/side@sha256:${'b'.repeat(64)}`);
    assert.equal(spec.initContainers[0].image, 'busybox:1.37');
    assert.deepEqual(spec.tolerations, [{ key: 'y', operator: 'Exists' }], 'tolerations have no merge key: replaced');
    assert.deepEqual(built.get('Deployment/team/app')!.metadata['labels'], { b: '2' });
  });

  test('fields outside the subset are refused', () => {
    const dir = write('unsupported/kustomization.yaml', 'resources: []\ncommonLabels: {a: b}\n');
    assert.throws(() => kustomizeLite(dir), /outside the kustomize-lite subset: commonLabels/);
  });

  test('a patch that matches nothing is an error', () => {
    const dir = write('orphan/kustomization.yaml', 'resources: [../base]\npatches: [{path: p.yaml}]\n');
    write('orphan/p.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other}\n');
    assert.throws(() => kustomizeLite(dir), /matches 0 resources/);
  });

  test('the same object twice is an error', () => {
    const dir = write('twice/kustomization.yaml', 'resources: [../base, ../base/app.yaml]\n');
    assert.throws(() => kustomizeLite(dir), /defined twice/);
  });

  test('base and overlay build without kubectl', () => {
    assert.equal(kustomizeLite(base).length, 2);
  });
});

describe('kustomize-lite agrees with kubectl kustomize', { skip: noKubectl }, () => {
  test('on the feature fixture', () => assertSameBuild(overlay));
  for (const k of KUSTOMIZATIONS) test(`on k8s/${k}`, () => assertSameBuild(path.join(K8S, k)));
});
