import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import type { PlacementEngine } from '../placement/engine.js';
import type { Authenticator } from './auth.js';
import { NoAuth } from './auth.js';
import type { Caller, Reply, RequestContext } from './context.js';
import { HttpError, errorBody, toHttpError, unauthorizedBody } from './http-error.js';
import type { Microversion } from './microversion.js';
import { negotiate } from './microversion.js';
import type { CandidateOptions } from './handlers/allocation-candidates.js';
import { pathOf, splitTarget } from './request-target.js';
import { placementRoutes, versionDocument } from './routes.js';

export interface PlacementServerOptions {
  engine: PlacementEngine;
  /** Default: Placement's noauth2. */
  auth?: Authenticator;
  logger?: Logger;
  /** Largest request body accepted; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Placement's `randomize_allocation_candidates` (off by default), with an optional seed. */
  candidates?: CandidateOptions;
}

export interface PlacementServer {
  readonly server: Server;
  /** Listens on host:port (port 0 picks one) and resolves to the bound address. */
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections and resolves when every request in flight has been answered. */
  close(): Promise<void>;
  /** `await using server = createPlacementServer(…)` closes it gracefully. */
  [Symbol.asyncDispose](): Promise<void>;
}

const JSON_TYPE = 'application/json';

/**
 * The OpenStack Placement REST API (microversions 1.0 – 1.39) over a placement engine. Handlers
 * run synchronously on the engine, so a request's writes are atomic with respect to every other
 * request; the only awaits are reading the body and writing the answer.
 */
export function createPlacementServer(options: PlacementServerOptions): PlacementServer {
  const { engine } = options;
  const auth = options.auth ?? new NoAuth();
  const logger = options.logger ?? silentLogger;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const router = placementRoutes(options.candidates === undefined ? {} : { candidates: options.candidates });
  let inFlight = 0;
  let closing: (() => void) | undefined;

  const server = createServer((req, res) => {
    inFlight++;
    const started = process.hrtime.bigint();
    const requestId = `req-${randomUUID()}`;
    let version: Microversion | undefined;
    const finish = (status: number, headers: Record<string, string>, body: string | Buffer | undefined, sent?: () => void): void => {
      // One writeHead with a flat list: cheaper than a setHeader (validated, stored, then copied)
      // per header, and the names are the lower-case literals below or a handler's own.
      const list: string[] = ['x-openstack-request-id', requestId];
      if (version !== undefined) list.push('openstack-api-version', `placement ${version.toString()}`, 'vary', 'openstack-api-version');
      let type: string | undefined;
      for (const k in headers) {
        const v = headers[k] as string;
        if (k === 'content-type') type = v;
        else list.push(k, v);
      }
      // While stopping, tell keep-alive clients not to send more on this connection.
      if (closing !== undefined) list.push('connection', 'close');
      if (body !== undefined) {
        list.push('content-type', type ?? JSON_TYPE, 'content-length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.length));
      } else {
        if (type !== undefined) list.push('content-type', type);
        if (status !== 204 && status !== 304) list.push('content-length', '0');
      }
      res.writeHead(status, list);
      if (sent !== undefined) res.once('finish', sent);
      res.end(body);
      logger.info(
        {
          requestId,
          method: req.method,
          path: pathOf(req.url),
          status,
          version: version?.toString(),
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'placement request',
      );
      inFlight--;
      if (inFlight === 0 && closing !== undefined) res.once('finish', () => closing?.());
    };
    const fail = (error: unknown): void => {
      const http = toHttpError(error);
      if (http.status >= 500) logger.error({ requestId, err: http.cause ?? http }, 'placement request failed');
      if (http.versionless) version = undefined;
      if (http.status === 401) {
        finish(401, http.headers, unauthorizedBody());
        return;
      }
      // The code appears from 1.23; errors raised before a version was settled carry none.
      const withCode = version !== undefined && version.atLeast(1, 23);
      finish(http.status, http.headers, errorBody(http, requestId, withCode));
    };
    const handle = (raw: Buffer): void => {
      try {
        const { path, query } = splitTarget(req.url);
        if (raw.length > 0 && (headerOf(req, 'content-type') ?? '').trim() === '') {
          throw new HttpError(400, 'content-type header required when content-length > 0', { versionless: true });
        }
        if (path === '/' && req.method === 'GET') {
          finish(200, {}, JSON.stringify(versionDocument()));
          return;
        }
        if (path === '/healthcheck' && (req.method === 'GET' || req.method === 'HEAD')) {
          finish(200, { 'content-type': 'text/plain' }, 'OK');
          return;
        }
        const caller: Caller = auth.authenticate(req.headers);
        version = negotiate(headerOf(req, 'openstack-api-version'));
        const match = router.match(req.method ?? 'GET', path, version);
        const accept = headerOf(req, 'accept');
        if (req.method === 'GET' && !acceptsJson(accept)) {
          throw new HttpError(406, 'Only application/json is provided', { template: 'accept', accept: accept ?? '' });
        }
        const host = headerOf(req, 'host') ?? 'localhost';
        const ctx: RequestContext = {
          method: req.method ?? 'GET',
          path,
          params: match.params,
          query,
          version,
          requestId,
          caller,
          engine,
          json: () => parseJson(raw, headerOf(req, 'content-type')),
          url: (p) => `http://${host}${p}`,
        };
        const reply: Reply = match.handler(ctx);
        const text = reply.rawJson ?? (reply.body === undefined ? undefined : JSON.stringify(reply.body));
        finish(reply.status, reply.headers ?? {}, text, reply.sent);
      } catch (error) {
        fail(error);
      }
    };
    // A request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 §6.3):
    // answer it at once instead of waiting a turn of the event loop for the end of an empty stream.
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) handle(EMPTY);
    else readBody(req, maxBody).then(handle, fail);
  });

  const placementServer: PlacementServer = {
    server,
    [Symbol.asyncDispose]: () => placementServer.close(),
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        let serverClosed = false;
        let drained = inFlight === 0;
        const done = (): void => {
          if (serverClosed && drained) resolve();
        };
        closing = () => {
          drained = true;
          server.closeIdleConnections();
          done();
        };
        server.close(() => {
          serverClosed = true;
          done();
        });
        // Idle keep-alive connections would hold close() open; busy ones finish their request.
        server.closeIdleConnections();
        done();
      }),
  };
  return placementServer;
}

const EMPTY = Buffer.alloc(0);

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        reject(new HttpError(413, `Request is too large: more than ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Clients that send no Accept, or one that admits JSON, get JSON; others a 406, as Placement. */
function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const type = (part.split(';')[0] ?? '').trim().toLowerCase();
    return type === JSON_TYPE || type === '*/*' || type === 'application/*';
  });
}

function parseJson(raw: Buffer, contentType: string | undefined): unknown {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type !== JSON_TYPE) {
    const shown = contentType === undefined ? 'None' : contentType;
    throw new HttpError(415, `The media type ${shown} is not supported, use application/json`, { template: 'media', mediaType: shown });
  }
  if (raw.length === 0) throw new HttpError(400, 'Malformed JSON: Expecting value: line 1 column 1 (char 0)');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `Malformed JSON: ${(error as Error).message}`, { cause: error });
  }
}

export type { ServerResponse };
