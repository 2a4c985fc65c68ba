/**
 * The autoscaling signal end to end on real parts: the real server (src/server.ts with the ConfigMap's config,
 * tiny fixture bundle) under load, scraped every second by a real Prometheus (Debian's package) with the labels
 * Kubernetes service discovery attaches; then prometheus-adapter's discovery (seriesQuery) and its metricsQuery,
 * templating filled in as the adapter does for the HPA, and the KEDA queries, are evaluated through
 * Prometheus's HTTP API to sane per-pod values. Skips only where prometheus is not installed.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startLoad } from './lib/load.js';
import { freePort, prometheusBinary, renderAdapterQuery, startPrometheus } from './lib/prometheus.js';
import { REPO, adapterRules, findOne, parseQuantity, render, serviceConfig } from './lib/rendered.js';
import { SERVER_ENTRY, startServer } from './lib/server-process.js';

const binary = prometheusBinary();
const NAMESPACE = 'stitchserve';
const POD = 'stitchserve-7d9f8b6c5-x2x4q';
const CONCURRENCY = 16;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Skipped only without the prometheus binary; a todo (with its reason) until the server entry point exists.
const notRunnable = binary === null
  ? { skip: 'prometheus is not installed (Debian package `prometheus`; .ci/run installs it)' }
  : existsSync(SERVER_ENTRY) ? undefined : { todo: 'src/server.ts (the entry point) has not landed yet' };

test('prometheus-adapter and KEDA queries give sane per-pod values from a real Prometheus scraping the real server',
  { ...notRunnable, timeout: 60_000 },
  async (t) => {
    if (notRunnable !== undefined) return;
    // Server and Prometheus start side by side: Prometheus's ~5 s discovery delay overlaps the warm-up.
    const port = await freePort();
    const [started, scraper] = await Promise.allSettled([
      startServer(serviceConfig(render('overlays/cpu')), port),
      startPrometheus(binary!, [{ address: `127.0.0.1:${port}`, labels: { namespace: NAMESPACE, pod: POD, service: 'stitchserve' } }], 1),
    ]);
    if (started.status === 'rejected' || scraper.status === 'rejected') {
      // Never leave the other process running.
      if (started.status === 'fulfilled') await started.value.terminate('SIGKILL');
      if (scraper.status === 'fulfilled') await scraper.value.stop();
      throw started.status === 'rejected' ? started.reason : (scraper as PromiseRejectedResult).reason;
    }
    const [server, prometheus] = [started.value, scraper.value];
    try {
      await server.waitFor('/readyz', 200, 30_000);
      await prometheus.waitForTargetsUp(20_000);

      const image = readFileSync(path.join(REPO, 'test/fixtures/images/fmnist-0-9-boot.png'));
      const load = startLoad(`${server.url}/v1/classify`, image, 'image/png', CONCURRENCY, 2_000);
      await sleep(6_000); // ≥ 5 scrapes under load
      const at = Date.now() / 1000;
      const values = new Map<string, number>();
      for (const rule of adapterRules()) {
        // Discovery: the series the adapter finds, with the labels its resource overrides map to namespace/pod.
        const series = await prometheus.series(rule.seriesQuery);
        assert.equal(series.length, 1, `${rule.seriesQuery}: one series`);
        assert.equal(series[0]!['namespace'], NAMESPACE);
        assert.equal(series[0]!['pod'], POD);
        assert.ok(new RegExp(rule.name.matches).test(series[0]!['__name__']!));
        const query = renderAdapterQuery(rule.metricsQuery, series[0]!['__name__']!, NAMESPACE, [POD]);
        const result = await prometheus.query(query, at);
        assert.equal(result.length, 1, `${query}: one value per pod`);
        assert.deepEqual(result[0]!.labels, { pod: POD }, 'grouped by pod, as the adapter maps it back');
        assert.ok(Number.isFinite(result[0]!.value) && result[0]!.value >= 0, `${rule.name.as} = ${result[0]!.value}`);
        values.set(rule.name.as, result[0]!.value);
        t.diagnostic(`${rule.name.as} (adapter, 1 min avg under ${CONCURRENCY} clients) = ${result[0]!.value.toFixed(3)}`);
      }
      // KEDA divides the namespace total by the replica count: with one pod it must equal the adapter's value.
      const keda = findOne(render('overlays/cpu-keda'), 'ScaledObject') as any;
      for (const trigger of keda.spec.triggers) {
        const [total] = await prometheus.query(trigger.metadata.query, at);
        const metric = [...values.keys()].find((name) => trigger.metadata.query.includes(`${name}{`))!;
        assert.ok(total !== undefined, `${trigger.metadata.query} has a value`);
        assert.ok(Math.abs(total.value - values.get(metric)!) < 1e-9, `KEDA ${metric} = adapter value`);
      }
      const statuses = await load.stop();
      t.diagnostic(`answers by status: ${JSON.stringify(Object.fromEntries(statuses))}`);
      assert.ok((statuses.get(200) ?? 0) > 0, 'the load was served');

      const inflight = values.get('stitchserve_inflight_requests')!;
      assert.ok(inflight > 0, 'requests were in flight under load');
      assert.ok(inflight <= CONCURRENCY, `in flight ${inflight} ≤ ${CONCURRENCY} clients`);
      const saturation = values.get('stitchserve_controller_saturation')!;
      assert.ok(saturation < 100, `saturation ${saturation} is a plausible budget multiple`);
      // What the cpu HPA would propose for this one pod from these values: ceil(replicas × value / target).
      for (const metric of (findOne(render('overlays/cpu'), 'HorizontalPodAutoscaler') as any).spec.metrics) {
        const target = parseQuantity(metric.pods.target.averageValue);
        const value = values.get(metric.pods.metric.name)!;
        t.diagnostic(`HPA ${metric.pods.metric.name}: ${value.toFixed(3)} / target ${target} → ${Math.ceil(value / target)} replica(s) proposed`);
      }

      // After the load: the gauges come back to idle (nothing leaks in flight).
      await sleep(2_500);
      const [idle] = await prometheus.query(`stitchserve_inflight_requests{pod="${POD}"}`);
      assert.equal(idle?.value, 0, 'in-flight returns to 0 once the clients stop');
    } finally {
      await prometheus.stop();
      await server.terminate('SIGKILL');
    }
  });
