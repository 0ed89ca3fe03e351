import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Failure kinds counted in `errors_total`: a PRA error's kind, or what else failed. A label never carries a secret or an id. */
export type ErrorKind =
  | 'configuration'
  | 'authentication'
  | 'permission'
  | 'api'
  | 'unavailable'
  | 'unexpected_response'
  | 'http'
  | 'transport'
  | 'parse'
  | 'too_large'
  | 'intake'
  | 'state'
  | 'set_aside'
  | 'other';

/**
 * A feed's own metrics, next to the shim's `symphony_module_common_*` ones. Names follow the
 * Sekoia module habit `symphony_module_<vendor>_*`. Each trigger runs in its own process, so no
 * label names the feed.
 */
export class CollectorMetrics {
  readonly collectedEvents: Counter;
  readonly praRequests: Counter<'report' | 'status'>;
  readonly errors: Counter<'kind'>;
  readonly cycleDuration: Histogram;
  readonly pendingItems: Gauge;
  readonly setAsideItems: Gauge;
  readonly collectionLag: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.collectedEvents = new Counter({
      name: 'symphony_module_beyondtrust_collected_events_total',
      help: 'Events read from PRA reports and handed to the intake pipeline',
      registers,
    });
    this.praRequests = new Counter({
      name: 'symphony_module_beyondtrust_pra_requests_total',
      help: 'HTTP requests sent to PRA, by report (token, AccessSession, Syslog...) and status',
      labelNames: ['report', 'status'],
      registers,
    });
    this.errors = new Counter({
      name: 'symphony_module_beyondtrust_errors_total',
      help: 'Failures by kind',
      labelNames: ['kind'],
      registers,
    });
    this.cycleDuration = new Histogram({
      name: 'symphony_module_beyondtrust_cycle_duration_seconds',
      help: 'Duration of one collection cycle',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800],
      registers,
    });
    this.pendingItems = new Gauge({
      name: 'symphony_module_beyondtrust_pending_items',
      help: 'Items being collected: sessions listed and not finished (running, new or retried)',
      registers,
    });
    this.setAsideItems = new Gauge({
      name: 'symphony_module_beyondtrust_set_aside_items',
      help: 'Sessions or report windows set aside after repeated failures (see the error logs)',
      registers,
    });
    this.collectionLag = new Gauge({
      name: 'symphony_module_beyondtrust_collection_lag_seconds',
      help: 'Seconds between now and the time up to which everything PRA reported was collected',
      registers,
    });
  }
}
