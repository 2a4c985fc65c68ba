/**
 * Every kustomization in k8s/ builds, every object passes its Kubernetes (or CRD) schema, and the invariants
 * that tie the manifests to each other and to the service's code hold: security context, probes and ports,
 * the termination timeline, the config against the app's own validator, and the wiring of the autoscalers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateConfig } from '../../src/config/index.js';
import { validateManifest } from './lib/k8s-schemas.js';
import {
  OVERLAYS, adapterRules, appContainer, findOne, parseQuantity, podSpec, render, serviceConfig, type OverlayName,
} from './lib/rendered.js';

const overlays = Object.keys(OVERLAYS) as OverlayName[];
const labelsMatch = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('every kustomization builds and passes its schemas', () => {
  for (const k of ['base', ...overlays.map((o) => `overlays/${o}`), 'prometheus-adapter']) {
    test(`k8s/${k}`, () => {
      const manifests = render(k);
      assert.ok(manifests.length > 0);
      for (const m of manifests) validateManifest(m);
    });
  }
});

for (const overlay of overlays) {
  describe(`overlay ${overlay}`, () => {
    const manifests = render(`overlays/${overlay}`);
    const deployment = findOne(manifests, 'Deployment') as any;
    const pod = podSpec(manifests);
    const container = appContainer(manifests);
    const config = validateConfig(serviceConfig(manifests), `${overlay} ConfigMap`);

    test('holds the expected objects, one autoscaler', () => {
      const kinds = manifests.map((m) => m.kind).sort();
      assert.deepEqual(kinds, ['ConfigMap', 'Deployment', 'Namespace', 'PodDisruptionBudget', 'Service', 'ServiceMonitor', OVERLAYS[overlay]].sort());
      assert.equal(deployment.spec.replicas, undefined, 'the autoscaler owns spec.replicas');
      const namespace = findOne(manifests, 'Namespace').metadata.name;
      for (const m of manifests) if (m.kind !== 'Namespace') assert.equal(m.metadata['namespace'], namespace, `${m.kind} namespace`);
    });

    test('security context: non-root numeric user, read-only root fs, no privilege, seccomp RuntimeDefault', () => {
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(Number.isInteger(pod.securityContext.runAsUser) && pod.securityContext.runAsUser > 0);
      assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
      assert.equal(pod.automountServiceAccountToken, false);
      for (const hostField of ['hostNetwork', 'hostPID', 'hostIPC']) assert.notEqual(pod[hostField], true, hostField);
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const sc = c.securityContext;
        assert.equal(sc.runAsNonRoot, true, `${c.name} runAsNonRoot`);
        assert.equal(sc.readOnlyRootFilesystem, true, `${c.name} readOnlyRootFilesystem`);
        assert.equal(sc.allowPrivilegeEscalation, false, `${c.name} allowPrivilegeEscalation`);
        assert.notEqual(sc.privileged, true, `${c.name} privileged`);
        assert.deepEqual(sc.capabilities.drop, ['ALL'], `${c.name} drops ALL`);
        assert.equal(sc.capabilities.add, undefined, `${c.name} adds no capability`);
        assert.equal((sc.seccompProfile ?? pod.securityContext.seccompProfile).type, 'RuntimeDefault');
        if (sc.runAsUser !== undefined) assert.equal(sc.runAsUser, pod.securityContext.runAsUser);
      }
    });

    test('Pod Security "restricted": only configMap/emptyDir/secret/projected/PVC volumes; namespace enforces it', () => {
      const allowed = ['configMap', 'emptyDir', 'secret', 'projected', 'persistentVolumeClaim', 'downwardAPI', 'csi', 'ephemeral'];
      for (const v of pod.volumes) {
        const type = Object.keys(v).find((k) => k !== 'name')!;
        assert.ok(allowed.includes(type), `volume ${v.name} is ${type}`);
      }
      const namespace = findOne(manifests, 'Namespace') as any;
      assert.equal(namespace.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
    });

    test('the read-only root fs has emptyDirs for every path the process writes', () => {
      const mounts = new Map<string, any>(container.volumeMounts.map((m: any) => [m.mountPath, m]));
      assert.equal(typeof config.engine.profileCacheDir, 'string', 'the profile cache is kept (warm restarts)');
      for (const writable of ['/tmp', config.engine.profileCacheDir!]) {
        const mount = mounts.get(writable);
        assert.ok(mount, `${writable} is mounted`);
        const volume = pod.volumes.find((v: any) => v.name === mount.name);
        assert.ok(volume.emptyDir && volume.emptyDir.sizeLimit, `${writable} is a size-limited emptyDir`);
      }
    });

    test('probes: startup and readiness on /readyz, liveness on /healthz, all on the config port', () => {
      const port = container.ports.find((p: any) => p.name === 'http');
      assert.equal(port.containerPort, config.server.port, 'container port = server.port');
      assert.equal(container.startupProbe.httpGet.path, '/readyz');
      assert.equal(container.readinessProbe.httpGet.path, '/readyz');
      assert.equal(container.livenessProbe.httpGet.path, '/healthz');
      for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
        assert.equal(probe.httpGet.port, 'http');
      }
      const startupBudgetS = container.startupProbe.periodSeconds * container.startupProbe.failureThreshold;
      assert.ok(startupBudgetS >= 600, `startup allows ${startupBudgetS} s for bundle load + warm-up`);
      assert.ok(container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold >= 30, 'liveness tolerates 30 s');
    });

    test('termination: grace period > preStop sleep + drain, and the drain covers every deadline', () => {
      const command: string[] = container.lifecycle.preStop.exec.command;
      assert.equal(command[0], 'sleep');
      const preStopS = Number(command[1]);
      const drainS = config.server.shutdownGraceMs / 1000;
      assert.ok(preStopS >= 3, 'preStop gives endpoints time to drop the pod');
      assert.ok(pod.terminationGracePeriodSeconds > preStopS + drainS,
        `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} > ${preStopS} + ${drainS}`);
      const longestDeadlineMs = Math.max(...Object.values(config.controller.deadlines).map((d) => d.maxMs));
      assert.ok(config.server.shutdownGraceMs >= longestDeadlineMs, 'an accepted request can finish during the drain');
    });

    test('config: mounted where STITCHSERVE_CONFIG points, threads fit the CPU request', () => {
      const env = new Map<string, string>(container.env.map((e: any) => [e.name, e.value]));
      const configMount = container.volumeMounts.find((m: any) =>
        pod.volumes.find((v: any) => v.name === m.name).configMap !== undefined);
      assert.equal(env.get('STITCHSERVE_CONFIG'), `${configMount.mountPath}/config.json`);
      assert.equal(configMount.readOnly, true);
      assert.ok(config.engine.threads <= parseQuantity(container.resources.requests.cpu), 'ORT threads ≤ CPU request');
      assert.ok(config.engine.bundle.startsWith('/app/models/') || config.engine.bundle.startsWith('/models/'));
      assert.equal(config.server.host, '0.0.0.0', 'reachable from the kubelet and the Service');
    });

    test('resources: requests and limits for CPU and memory, Guaranteed QoS', () => {
      for (const resource of ['cpu', 'memory']) {
        assert.ok(container.resources.requests[resource], `request ${resource}`);
        assert.equal(container.resources.limits[resource], container.resources.requests[resource], `limit ${resource} = request`);
      }
    });

    test('Service, ServiceMonitor and PodDisruptionBudget select these pods through port "http"', () => {
      const labels = deployment.spec.template.metadata.labels;
      assert.ok(labelsMatch(deployment.spec.selector.matchLabels, labels), 'Deployment selector');
      const service = findOne(manifests, 'Service') as any;
      assert.ok(labelsMatch(service.spec.selector, labels), 'Service selector');
      assert.equal(service.spec.ports[0].targetPort, 'http');
      const monitor = findOne(manifests, 'ServiceMonitor') as any;
      assert.ok(labelsMatch(monitor.spec.selector.matchLabels, service.metadata.labels), 'ServiceMonitor selects the Service');
      assert.deepEqual(monitor.spec.endpoints.map((e: any) => [e.port, e.path]), [[service.spec.ports[0].name, '/metrics']]);
      const pdb = findOne(manifests, 'PodDisruptionBudget') as any;
      assert.ok(labelsMatch(pdb.spec.selector.matchLabels, labels), 'PDB selector');
    });

    test('GPU only in the gpu overlay: nvidia.com/gpu limit, toleration, node selector, device cuda', () => {
      const gpus = container.resources.limits['nvidia.com/gpu'];
      if (overlay === 'gpu') {
        assert.equal(gpus, '1');
        assert.equal(config.engine.device, 'cuda');
        assert.ok(pod.tolerations.some((t: any) => t.key === 'nvidia.com/gpu'));
        assert.ok(pod.nodeSelector && Object.keys(pod.nodeSelector).some((k) => k.startsWith('nvidia.com/')));
        assert.match(container.image, /gpu/);
      } else {
        assert.equal(gpus, undefined);
        assert.notEqual(config.engine.device, 'cuda');
        assert.match(container.image, /cpu/);
      }
    });
  });
}

describe('autoscaling', () => {
  const hpaOf = (o: OverlayName) => findOne(render(`overlays/${o}`), 'HorizontalPodAutoscaler') as any;
  const keda = findOne(render('overlays/cpu-keda'), 'ScaledObject') as any;

  for (const o of ['cpu', 'gpu'] as const) {
    test(`${o} HPA: per-pod custom metrics, min ≥ 2 > PDB maxUnavailable, fast up, slow down`, () => {
      const hpa = hpaOf(o);
      const manifests = render(`overlays/${o}`);
      assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: findOne(manifests, 'Deployment').metadata.name });
      const pdb = findOne(manifests, 'PodDisruptionBudget') as any;
      assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.minReplicas > pdb.spec.maxUnavailable);
      assert.ok(hpa.spec.maxReplicas > hpa.spec.minReplicas);
      assert.ok(hpa.spec.metrics.length >= 1 && hpa.spec.metrics.every((m: any) => m.type === 'Pods' && m.pods.target.type === 'AverageValue'));
      assert.ok(!hpa.spec.metrics.some((m: any) => m.type === 'Resource'), 'not CPU');
      assert.equal(hpa.spec.behavior.scaleUp.stabilizationWindowSeconds, 0);
      assert.ok(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds >= 300);
      const maxUp = Math.max(...hpa.spec.behavior.scaleUp.policies.filter((p: any) => p.type === 'Percent').map((p: any) => p.value / p.periodSeconds));
      const maxDown = Math.max(...hpa.spec.behavior.scaleDown.policies.filter((p: any) => p.type === 'Percent').map((p: any) => p.value / p.periodSeconds));
      assert.ok(maxUp >= 10 * maxDown, `scale-up ${maxUp} %/s ≥ 10 × scale-down ${maxDown} %/s`);
    });
  }

  test('every HPA metric is served by a prometheus-adapter rule, one pod series per rule', () => {
    const served = new Set(adapterRules().map((r) => r.name.as));
    for (const o of ['cpu', 'gpu'] as const) {
      for (const m of hpaOf(o).spec.metrics) assert.ok(served.has(m.pods.metric.name), `${o}: ${m.pods.metric.name}`);
    }
    for (const rule of adapterRules()) {
      assert.deepEqual(rule.resources.overrides, { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } });
      assert.match(rule.metricsQuery, /<<\.Series>>\{<<\.LabelMatchers>>\}/);
      assert.match(rule.metricsQuery, /by \(<<\.GroupBy>>\)/);
      assert.ok(new RegExp(rule.name.matches).test(rule.name.as));
    }
  });

  test('the KEDA ScaledObject mirrors the cpu HPA: bounds, behaviour, one trigger per metric with its target', () => {
    const hpa = hpaOf('cpu');
    assert.equal(keda.spec.scaleTargetRef.name, hpa.spec.scaleTargetRef.name);
    assert.equal(keda.spec.minReplicaCount, hpa.spec.minReplicas);
    assert.equal(keda.spec.maxReplicaCount, hpa.spec.maxReplicas);
    assert.deepEqual(keda.spec.advanced.horizontalPodAutoscalerConfig.behavior, hpa.spec.behavior);
    const namespace = keda.metadata.namespace;
    assert.equal(keda.spec.triggers.length, hpa.spec.metrics.length);
    for (const metric of hpa.spec.metrics) {
      const trigger = keda.spec.triggers.find((t: any) => t.metadata.query.includes(`${metric.pods.metric.name}{`));
      assert.ok(trigger, `a trigger for ${metric.pods.metric.name}`);
      assert.equal(trigger.metricType, 'AverageValue');
      assert.equal(Number(trigger.metadata.threshold), parseQuantity(metric.pods.target.averageValue));
      assert.match(trigger.metadata.query, new RegExp(`namespace="${namespace}"`), 'query scoped to the deployed namespace');
    }
  });
});
