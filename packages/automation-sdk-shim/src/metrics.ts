import * as http from 'node:http';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The SDK's common connector metrics, namespace `symphony_module_common`, with the
 * exposed names prometheus_client produces (prom-client adds no `_total` suffix itself).
 * Deliberately WITHOUT the SDK's `intake_key` label: our security rule is that secrets never appear in
 * metric labels, and the intake key is a credential for the intake.
 */
export interface CommonMetrics {
  forwardedEvents: Counter;
  forwardEventsDuration: Histogram;
  eventsLag: Gauge;
  discardedEvents: Counter;
}

export function createCommonMetrics(registry: Registry): CommonMetrics {
  return {
    forwardedEvents: new Counter({
      name: 'symphony_module_common_forwarded_events_total',
      help: 'Number of events forwarded to the intake',
      registers: [registry],
    }),
    forwardEventsDuration: new Histogram({
      name: 'symphony_module_common_forward_events_duration',
      help: 'Duration in seconds of a push of events to the intake',
      registers: [registry],
    }),
    eventsLag: new Gauge({
      name: 'symphony_module_common_events_lags',
      help: 'Seconds between the newest forwarded event and its forwarding',
      registers: [registry],
    }),
    discardedEvents: new Counter({
      name: 'symphony_module_common_discarded_events_total',
      help: 'Number of events discarded because they exceed the intake size limit',
      registers: [registry],
    }),
  };
}

/** Prometheus exposition of `registry` on any path, like prometheus_client's exporter. */
export function createMetricsServer(registry: Registry): http.Server {
  return http.createServer((_req, res) => {
    registry.metrics().then(
      (text) => {
        res.setHeader('Content-Type', registry.contentType);
        res.end(text);
      },
      () => {
        res.statusCode = 500;
        res.end();
      },
    );
  });
}
