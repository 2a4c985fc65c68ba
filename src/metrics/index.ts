export { METRIC_PREFIX, ServiceMetrics, type MetricsSources } from './service-metrics.js';
