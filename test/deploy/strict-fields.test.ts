/**
 * No manifest carries a field its Kubernetes (or CRD) type does not define — the offline counterpart of the
 * API server's strict field validation — checked with TypeScript against the kubernetes-models interfaces.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { OVERLAYS, REPO, render } from './lib/rendered.js';
import { unknownFields } from './lib/strict-fields.js';

const SCRATCH = path.join(REPO, 'node_modules/.cache');

describe('strict fields', () => {
  test('every rendered manifest uses only fields its type defines (and a misspelt one is caught)', () => {
    const manifests = [...Object.keys(OVERLAYS).flatMap((o) => render(`overlays/${o}`)), ...render('prometheus-adapter')];
    // Negative control in the same (single, ~5 s) compilation: proves the check is not vacuous.
    const misspelt = structuredClone(manifests.find((m) => m.kind === 'Deployment')!) as any;
    misspelt.metadata.name = 'misspelt';
    misspelt.spec.template.spec.containers[0].readinesProbe = misspelt.spec.template.spec.containers[0].readinessProbe;
    const problems = unknownFields([...manifests, misspelt], SCRATCH);
    assert.equal(problems.length, 1, JSON.stringify(problems, null, 1));
    assert.equal(problems[0]!.manifest, 'Deployment/misspelt');
    assert.match(problems[0]!.message, /readinesProbe/);
  });
});
