import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
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
import type { Http1Exchange, Http1ServerOptions } from './http1/index.js';
import { Http1Server } from './http1/index.js';
import { pathOf, splitTarget } from './request-target.js';
import { placementRoutes } from './routes.js';

export interface PlacementServerOptions {
  engine: PlacementEngine;
  /** Default: Placement's noauth2. */
  auth?: Authenticator;
  logger?: Logger;
  /** Largest request body accepted; larger ones get 413 (unread) and the connection closes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Placement's `randomize_allocation_candidates` (off by default), with an optional seed. */
  candidates?: CandidateOptions;
  /**
   * For a journal with group commit (DurablePlacement's groupCommit): every answer waits until
   * the writes made before it are on disk, and is a 500 if they cannot be.
   */
  durability?: Durability;
  /** HTTP limits and timeouts (head size, headers/keep-alive/request timeouts); node:http's defaults. */
  http?: Omit<Http1ServerOptions, 'maxBodyBytes' | 'logger'>;
}

/** What a durable store offers the server: a call back once every write so far is on disk. */
export interface Durability {
  afterDurable(callback: (error?: Error) => void): void;
}

export interface PlacementServer {
  /** The HTTP/1.1 server underneath (its net.Server, its open connections). */
  readonly http: Http1Server;
  /** Listens on host:port (port 0 picks one) and resolves to the bound address. */
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** The bound address, or undefined when not listening. */
  address(): AddressInfo | undefined;
  /** Stops accepting connections and resolves when every request in flight has been answered. */
  close(): Promise<void>;
  /** `await using server = createPlacementServer(…)` closes it gracefully. */
  [Symbol.asyncDispose](): Promise<void>;
}

const JSON_TYPE = 'application/json';

/** Who calls `/`, which needs no token: nobody in particular, with no rights. */
const ANONYMOUS: Caller = { admin: false, userId: undefined, projectId: undefined, roles: [], systemScope: false };

/**
 * The OpenStack Placement REST API (microversions 1.0 – 1.39) over a placement engine, on the
 * project's own HTTP/1.1 server (./http1). Handlers run synchronously on the engine, so a request's
 * writes are atomic with respect to every other request; the HTTP layer reads the whole body before
 * a handler runs, and pipelined requests are answered in order.
 */
export function createPlacementServer(options: PlacementServerOptions): PlacementServer {
  const { engine } = options;
  const auth = options.auth ?? new NoAuth();
  const logger = options.logger ?? silentLogger;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const durability = options.durability;
  const router = placementRoutes(options.candidates === undefined ? {} : { candidates: options.candidates });

  const handle = (ex: Http1Exchange): void => {
    const started = process.hrtime.bigint();
    const requestId = `req-${randomUUID()}`;
    const method = ex.method;
    const headers = ex.headers;
    let version: Microversion | undefined;
    let vary = true;
    const send = (status: number, fields: Record<string, string>, body: string | Buffer | undefined, sent?: () => void): void => {
      // A flat list; Content-Length, Date and Connection are the HTTP layer's.
      const list: string[] = ['x-openstack-request-id', requestId];
      if (version !== undefined) {
        list.push('openstack-api-version', `placement ${version.toString()}`);
        if (vary) list.push('vary', 'openstack-api-version');
      }
      let type: string | undefined;
      for (const k in fields) {
        const v = fields[k] as string;
        if (k === 'content-type') type = v;
        else list.push(k, v);
      }
      if (body !== undefined) list.push('content-type', type ?? JSON_TYPE);
      else if (type !== undefined) list.push('content-type', type);
      ex.respond(status, list, body, sent);
      logger.info(
        {
          requestId,
          method,
          path: pathOf(ex.target),
          status,
          version: version?.toString(),
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'placement request',
      );
    };
    // Every answer, a read's too, may show a write that is not on disk yet: hold it until it is.
    const finish = (status: number, fields: Record<string, string>, body: string | Buffer | undefined, sent?: () => void): void => {
      if (durability === undefined) {
        send(status, fields, body, sent);
        return;
      }
      durability.afterDurable((error) => {
        // Called from the store's fsync callback, where a throw would take the process down.
        try {
          if (error === undefined) {
            send(status, fields, body, sent);
            return;
          }
          logger.error({ requestId, err: error }, 'placement answer withheld: the journal could not be made durable');
          const refusal = new HttpError(500, 'The state this answer shows could not be made durable.', { cause: error });
          sent?.();
          send(500, {}, errorBody(refusal, requestId, version !== undefined && version.atLeast(1, 23)));
        } catch (failure) {
          logger.error({ requestId, err: failure }, 'placement answer could not be sent');
          if (!ex.answered) ex.respond(500, ['x-openstack-request-id', requestId], undefined);
        }
      });
    };
    const fail = (error: unknown): void => {
      const http = toHttpError(error);
      if (http.status >= 500) logger.error({ requestId, err: http.cause ?? http }, 'placement request failed');
      if (http.versionless) version = undefined;
      vary = http.vary;
      if (http.status === 401) {
        finish(401, http.headers, unauthorizedBody());
        return;
      }
      // The code appears from 1.23; errors raised before a version was settled carry none.
      const withCode = version !== undefined && version.atLeast(1, 23);
      finish(http.status, http.headers, errorBody(http, requestId, withCode));
    };
    try {
      if (ex.bodyTooLarge) throw new HttpError(413, `Request is too large: more than ${maxBody} bytes.`);
      const raw = ex.body;
      const { path, query } = splitTarget(ex.target);
      if (path === '/healthcheck' && (method === 'GET' || method === 'HEAD')) {
        finish(200, { 'content-type': 'text/plain' }, 'OK');
        return;
      }
      // Placement's middleware order: authentication (skipped for /), then the microversion, then
      // the application's own checks. Header values are single strings here (repeated fields
      // joined), which the authenticators read.
      const caller: Caller = path === '/' ? ANONYMOUS : auth.authenticate(headers as IncomingHttpHeaders);
      version = negotiate(headers['openstack-api-version']);
      if (raw.length > 0 && (headers['content-type'] ?? '').trim() === '') {
        throw new HttpError(400, 'content-type header required when content-length > 0', { vary: false });
      }
      const match = router.match(method, path, version);
      const accept = headers['accept'];
      if (method === 'GET' && !acceptsJson(accept)) {
        throw new HttpError(406, 'Only application/json is provided', { template: 'accept', accept: accept ?? '' });
      }
      const host = headers['host'] ?? 'localhost';
      const ctx: RequestContext = {
        method,
        path,
        params: match.params,
        query,
        version,
        requestId,
        caller,
        engine,
        json: () => parseJson(raw, headers['content-type']),
        url: (p) => `http://${host}${p}`,
      };
      const reply: Reply = match.handler(ctx);
      const text = reply.rawJson ?? (reply.body === undefined ? undefined : JSON.stringify(reply.body));
      finish(reply.status, reply.headers ?? {}, text, reply.sent);
    } catch (error) {
      if (ex.answered) throw error;
      fail(error);
    }
  };

  const http = new Http1Server(handle, { ...options.http, maxBodyBytes: maxBody, logger });
  const placementServer: PlacementServer = {
    http,
    [Symbol.asyncDispose]: () => http.close(),
    listen: (port, host = '127.0.0.1') => http.listen(port, host),
    address: () => http.address(),
    close: () => http.close(),
  };
  return placementServer;
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

