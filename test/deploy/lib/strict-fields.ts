/**
 * Unknown-field detection for manifests, like `kubectl apply --validate=strict` but offline: the JSON schemas
 * behind k8s-schemas.ts allow extra properties, so a misspelt `readinesProbe` would pass them. Here every
 * manifest becomes an object literal typed with its kubernetes-models interface, and TypeScript's
 * excess-property check reports any field the Kubernetes (or CRD) type does not have.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import type { Manifest } from './kustomize-lite.js';

/** Where the kubernetes-models type of a manifest lives: `{ module, type }`, or undefined if unknown. */
export function typeLocation(manifest: Manifest): { module: string; type: string } | undefined {
  const [group, version] = manifest.apiVersion.includes('/') ? manifest.apiVersion.split('/') : ['', manifest.apiVersion];
  const type = `I${manifest.kind}`;
  if (group === 'keda.sh') return { module: `@kubernetes-models/keda/keda.sh/${version}/${manifest.kind}`, type };
  if (group === 'monitoring.coreos.com') {
    return { module: `@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}/${manifest.kind}`, type };
  }
  if (group === '' || !group!.includes('.') || group!.endsWith('.k8s.io')) {
    return { module: `kubernetes-models/${group === '' ? '' : `${group}/`}${version}/${manifest.kind}`, type };
  }
  return undefined;
}

/** One unknown or mistyped field: which manifest, and TypeScript's message. */
export interface FieldProblem { manifest: string; message: string }

/**
 * Type-checks `manifests` against their kubernetes-models interfaces; returns every problem found (empty when
 * all fields are known and well typed). `scratchRoot` must sit inside the repository so that `node_modules`
 * resolves; a temporary directory is created and removed under it.
 */
export function unknownFields(manifests: Manifest[], scratchRoot: string): FieldProblem[] {
  mkdirSync(scratchRoot, { recursive: true });
  const dir = mkdtempSync(path.join(scratchRoot, 'strict-fields-'));
  try {
    let text = '';
    const starts: { offset: number; name: string }[] = [];
    manifests.forEach((manifest, i) => {
      const location = typeLocation(manifest);
      if (location === undefined) throw new Error(`no kubernetes-models type for ${manifest.apiVersion} ${manifest.kind}`);
      starts.push({ offset: text.length, name: `${manifest.kind}/${manifest.metadata.name}` });
      text += `import type { ${location.type} as T${i} } from '${location.module}';\n`;
      text += `export const m${i}: T${i} = ${JSON.stringify(manifest, null, 1)};\n`;
    });
    const file = path.join(dir, 'manifests.ts');
    writeFileSync(file, text);
    const program = ts.createProgram([file], {
      strict: true, noEmit: true, skipLibCheck: true, types: [],
      module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const owner = starts.filter((s) => s.offset <= (d.start ?? 0)).at(-1);
      return { manifest: owner?.name ?? '?', message: ts.flattenDiagnosticMessageText(d.messageText, ' ') };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
