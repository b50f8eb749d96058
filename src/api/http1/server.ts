/**
 * An HTTP/1.1 server: listens, tracks its connections, expires their timeouts with one sweep timer
 * (no timer per request), and stops gracefully. node:http's layers (its streams,
 * IncomingMessage/ServerResponse objects, header bookkeeping) cost more CPU per small request than
 * the Placement handlers themselves; this keeps only what RFC 9112 asks for.
 *
 * Sockets come from one of two transports: the native socket pump (native/http: the syscalls on a
 * thread of their own, many connections' input per call into JS) when its addon is built, else
 * node:net. Both carry the same connection logic (connection.ts) and give the same answers.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../../common/logger.js';
import { silentLogger } from '../../../common/logger.js';
import type { ConnectionSettings, Http1Handler } from './connection.js';
import { Connection } from './connection.js';
import { Http1ServerError } from './errors.js';
import { loadPump, pumpLoadFailure } from './native-pump.js';
import { NetWire } from './net-wire.js';
import { PumpListener } from './pump-wire.js';
import type { Wire } from './wire.js';

/**
 * `native`: the socket pump (an error at construction when its addon is not built); `node`:
 * node:net; `auto` (the default): native when the addon loads, else node.
 */
export type Http1Transport = 'auto' | 'native' | 'node';

export interface Http1ServerOptions {
  /** Request line and header fields together; more is a 431 (414 when the request line alone is). Default 16 KiB. */
  maxHeadBytes?: number;
  /** Largest request body; a larger one is answered without being read (the handler sees bodyTooLarge). Default 1 MiB. */
  maxBodyBytes?: number;
  /** Time to receive a request's head, from its first byte (or from the connection's start). Default 60 s (node:http's headersTimeout). */
  headersTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this. Default 5 s (node:http's keepAliveTimeout). */
  keepAliveTimeoutMs?: number;
  /** Time to receive a body after its head, and to write an answer the client reads slowly. Default 300 s (node:http's requestTimeout). */
  requestTimeoutMs?: number;
  /** How long input is still read and dropped after a final answer before the socket is destroyed. Default 2 s. */
  lingerMs?: number;
  /** Which sockets to use; default `auto`, or the TSTACK_HTTP_TRANSPORT environment variable when set. */
  transport?: Http1Transport;
  logger?: Logger;
}

export class Http1Server implements AsyncDisposable {
  /** The transport in use. */
  readonly transport: 'native' | 'node';
  private readonly listener: net.Server | PumpListener;
  private readonly connections = new Set<Connection>();
  private readonly settings: ConnectionSettings;
  private readonly sweepMs: number;
  private sweeper: NodeJS.Timeout | undefined;
  private stopping = false;
  private closing: Promise<void> | undefined;
  private checkClosed: (() => void) | undefined;

  constructor(handler: Http1Handler, options: Http1ServerOptions = {}) {
    const logger = options.logger ?? silentLogger;
    const headersTimeoutMs = options.headersTimeoutMs ?? 60_000;
    const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 5_000;
    const requestTimeoutMs = options.requestTimeoutMs ?? 300_000;
    const lingerMs = options.lingerMs ?? 2_000;
    this.settings = {
      limits: { maxHeadBytes: options.maxHeadBytes ?? 16 * 1024, maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024 },
      headersTimeoutMs,
      keepAliveTimeoutMs,
      requestTimeoutMs,
      lingerMs,
      handler,
      logger,
      stopping: () => this.stopping,
      closed: (c) => {
        this.connections.delete(c);
        this.checkClosed?.();
      },
    };
    // A quarter of the shortest timeout, so none overshoots by more than a quarter; at most 1 s.
    this.sweepMs = Math.max(5, Math.min(1000, Math.floor(Math.min(headersTimeoutMs, keepAliveTimeoutMs, requestTimeoutMs, lingerMs) / 4)));
    const accept = (wire: Wire): void => {
      if (this.stopping) {
        wire.destroy();
        return;
      }
      this.connections.add(new Connection(wire, this.settings));
    };
    const transport = chooseTransport(options.transport ?? envTransport());
    this.transport = transport.kind;
    if (transport.kind === 'native') {
      this.listener = new PumpListener(transport.addon, accept, (err, wire) => {
        logger.error({ err }, 'http server error');
        wire?.destroy();
      });
    } else {
      const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => accept(new NetWire(socket)));
      // Accept failures (EMFILE…) after listening must not throw out of the event loop.
      server.on('error', (err) => logger.error({ err }, 'http server error'));
      this.listener = server;
    }
  }

  /** Listens on host:port (port 0 picks one) and resolves to the bound address. */
  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    const closed = (): Http1ServerError => new Http1ServerError('ERR_HTTP1_SERVER_CLOSED', 'The server has been closed.');
    if (this.stopping) throw closed();
    const listener = this.listener;
    let address: AddressInfo;
    try {
      address =
        listener instanceof PumpListener
          ? await listener.listen(port, host)
          : await new Promise<AddressInfo>((resolve, reject) => {
              listener.once('error', reject);
              listener.listen(port, host, () => {
                listener.off('error', reject);
                resolve(listener.address() as AddressInfo);
              });
            });
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      throw new Http1ServerError('ERR_HTTP1_LISTEN', `Cannot listen on ${host}:${port}: ${err.code ?? err.message}`, { cause: err });
    }
    if (this.stopping) {
      // close() ran while the host name was being looked up: it found nothing listening yet.
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      if (listener instanceof PumpListener) listener.stopIfIdle();
      throw closed();
    }
    this.sweeper ??= setInterval(() => this.sweep(), this.sweepMs).unref();
    return address;
  }

  /** The bound address, or undefined when not listening. */
  address(): AddressInfo | undefined {
    if (this.listener instanceof PumpListener) return this.listener.address();
    const a = this.listener.address();
    return a === null || typeof a === 'string' ? undefined : a;
  }

  /** Open client connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops accepting, ends idle connections at once and busy ones after their current answer (which
   * says `Connection: close`); resolves when every connection is gone. Idempotent.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.stopping = true;
    this.closing = new Promise<void>((resolve) => {
      const listener = this.listener;
      let listening = listener instanceof PumpListener ? listener.isListening : listener.listening;
      this.checkClosed = () => {
        if (listening || this.connections.size > 0) return;
        if (this.sweeper !== undefined) clearInterval(this.sweeper);
        this.sweeper = undefined;
        if (listener instanceof PumpListener) listener.stopIfIdle();
        resolve();
      };
      const closed = (): void => {
        listening = false;
        this.checkClosed?.();
      };
      if (listening) listener.close(closed);
      for (const c of [...this.connections]) c.stop();
      this.checkClosed();
    });
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private sweep(): void {
    const now = Date.now();
    for (const c of this.connections) if (c.deadline <= now) c.expire();
  }
}

function envTransport(): Http1Transport {
  const v = process.env['TSTACK_HTTP_TRANSPORT'];
  return v === 'native' || v === 'node' ? v : 'auto';
}

function chooseTransport(want: Http1Transport): { kind: 'node' } | { kind: 'native'; addon: NonNullable<ReturnType<typeof loadPump>> } {
  if (want === 'node') return { kind: 'node' };
  const addon = loadPump();
  if (addon !== undefined) return { kind: 'native', addon };
  if (want === 'native') {
    throw new Http1ServerError('ERR_HTTP1_NATIVE_UNAVAILABLE', 'The native HTTP transport is not built: run npm run build:native (it needs only a C++ compiler).', {
      cause: pumpLoadFailure(),
    });
  }
  return { kind: 'node' };
}
