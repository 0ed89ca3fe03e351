import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Failure kinds counted in `errors_total`; a label never carries a secret or an lsid. */
export type ErrorKind =
  | 'authentication'
  | 'permission'
  | 'api'
  | 'unexpected_response'
  | 'http'
  | 'transport'
  | 'parse'
  | 'intake'
  | 'state'
  | 'session_set_aside'
  | 'other';

/**
 * The collector's own metrics, next to the shim's `symphony_module_common_*` ones. Names follow
 * the Sekoia module habit `symphony_module_<vendor>_*`.
 */
export class CollectorMetrics {
  readonly collectedEvents: Counter;
  readonly praRequests: Counter<'report' | 'status'>;
  readonly errors: Counter<'kind'>;
  readonly cycleDuration: Histogram;
  readonly trackedSessions: Gauge;
  readonly setAsideSessions: Gauge;
  readonly watermarkLag: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.collectedEvents = new Counter({
      name: 'symphony_module_beyondtrust_collected_events_total',
      help: 'Session events read from PRA reports and queued for the intake',
      registers,
    });
    this.praRequests = new Counter({
      name: 'symphony_module_beyondtrust_pra_requests_total',
      help: 'HTTP requests sent to PRA, by report (token, AccessSessionListing, AccessSession) and status',
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
      help: 'Duration of one collection cycle (list, fetch, push, commit)',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
      registers,
    });
    this.trackedSessions = new Gauge({
      name: 'symphony_module_beyondtrust_tracked_sessions',
      help: 'Sessions listed and not finished yet: new, running (followed) or retried',
      registers,
    });
    this.setAsideSessions = new Gauge({
      name: 'symphony_module_beyondtrust_set_aside_sessions',
      help: 'Sessions set aside after repeated failures (see the error logs)',
      registers,
    });
    this.watermarkLag = new Gauge({
      name: 'symphony_module_beyondtrust_listing_lag_seconds',
      help: 'Seconds between now and the last successful listing of PRA sessions',
      registers,
    });
  }
}
