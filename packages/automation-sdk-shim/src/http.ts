import * as http from 'node:http';
import { BlockList, isIP, type AddressInfo } from 'node:net';
import axios from 'axios';

/**
 * Starts `server` on all interfaces (the platform probes the pod's IP, not loopback); port 0 = ephemeral.
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

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True for localhost, 127.0.0.0/8 and ::1 (IPv4-mapped forms included); brackets are accepted.
 * The one place that decides where plain http is allowed: loopback test hosts only.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 0) return false;
  return loopback.check(host, family === 4 ? 'ipv4' : 'ipv6');
}
