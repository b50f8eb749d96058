/**
 * Where an OVSDB server listens, in OVS's own remote syntax ("unix:/run/openvswitch/db.sock",
 * "tcp:127.0.0.1:6640") or as an object, and how to open a socket to it.
 */
import net from 'node:net';
import { OvsdbArgumentError, OvsdbConnectionError } from './errors.js';

export type Endpoint = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Parses "unix:PATH", "tcp:HOST:PORT" or "tcp:[IPv6]:PORT". */
export function parseEndpoint(remote: string | Endpoint): Endpoint {
  if (typeof remote !== 'string') return remote;
  if (remote.startsWith('unix:')) {
    const path = remote.slice(5);
    if (path === '') throw new OvsdbArgumentError(`empty unix socket path in ${JSON.stringify(remote)}`);
    return { kind: 'unix', path };
  }
  if (remote.startsWith('tcp:')) {
    const rest = remote.slice(4);
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(rest);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port < 1 || port > 65535) throw new OvsdbArgumentError(`bad tcp remote ${JSON.stringify(remote)} (want tcp:HOST:PORT)`);
    return { kind: 'tcp', host: (m[1] ?? m[2]) as string, port };
  }
  throw new OvsdbArgumentError(`unsupported remote ${JSON.stringify(remote)} (want unix:PATH or tcp:HOST:PORT)`);
}

export function formatEndpoint(e: Endpoint): string {
  return e.kind === 'unix' ? `unix:${e.path}` : `tcp:${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
}

/** Opens a connected socket (Nagle off: requests are small and latency matters). */
export function openSocket(endpoint: Endpoint, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = endpoint.kind === 'unix' ? net.createConnection({ path: endpoint.path }) : net.createConnection({ host: endpoint.host, port: endpoint.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new OvsdbConnectionError(`connect to ${formatEndpoint(endpoint)}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new OvsdbConnectionError(`connect to ${formatEndpoint(endpoint)}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      if (endpoint.kind === 'tcp') socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
