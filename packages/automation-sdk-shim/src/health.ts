import * as http from 'node:http';

export interface HealthStatus {
  alive: boolean;
  body: {
    last_events_time: string;
    last_heartbeat: string;
    seconds_without_events_threshold: number;
    last_heartbeat_threshold: number;
    error_count: number;
  };
}

/**
 * The liveness endpoint the platform probes: `GET /health` exactly (a query string is a 404), 200 when alive and
 * 500 otherwise, any other GET path 404, other methods 501.
 */
export function createHealthServer(status: () => HealthStatus): http.Server {
  return http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    if (req.method !== 'GET') {
      res.statusCode = 501;
      res.end(JSON.stringify({ status_code: 501, reason: 'Unsupported method' }));
      return;
    }
    if (req.url !== '/health') {
      res.statusCode = 404;
      res.end(JSON.stringify({ status_code: 404, reason: "Endpoint doesn't exist" }));
      return;
    }
    const current = status();
    res.statusCode = current.alive ? 200 : 500;
    res.end(JSON.stringify(current.body));
  });
}
