import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';

/**
 * Starts `server` on all interfaces (the platform probes the pod IP, contract §7); port 0 = ephemeral.
 * Resolves the bound port.
 */
export function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The HTTP status of an axios error, if the server answered. */
export function httpStatus(error: unknown): number | undefined {
  return axios.isAxiosError(error) ? error.response?.status : undefined;
}

/** A port number from a text configuration item; `fallback` when absent. */
export function parsePort(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const port = Number(value.trim());
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Configuration '${name}' is not a valid port number`);
  }
  return port;
}
