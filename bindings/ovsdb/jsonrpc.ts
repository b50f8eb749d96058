/**
 * One JSON-RPC 1.0 session over one socket, as OVSDB uses it: requests carry an id and get exactly
 * one reply; notifications have a null id. Many requests may be in flight; replies are matched by
 * id. The server's `echo` requests are answered here, and when the peer has been silent for
 * `probeIntervalMs` we send our own echo and drop the connection if nothing arrives for another
 * interval (how ovsdb-server itself treats idle clients).
 *
 * A session is single-use: once its socket closes, every waiting request fails with
 * OvsdbConnectionError and further calls fail the same way. Reconnecting is the client's job.
 */
import type net from 'node:net';
import { OvsdbConnectionError, OvsdbProtocolError, OvsdbRpcError, OvsdbTimeoutError } from './errors.js';
import { JsonStreamParser } from './framing.js';

export interface RpcMessage {
  method?: unknown;
  params?: unknown;
  id?: unknown;
  result?: unknown;
  error?: unknown;
}

export interface JsonRpcSessionOptions {
  /** Silence after which we probe the peer with echo; 0 disables (default 5000). */
  probeIntervalMs?: number;
  maxMessageBytes?: number;
}

interface Pending {
  method: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  /** Date.now() after which the request fails with OvsdbTimeoutError (Infinity: never). */
  deadline: number;
  timeoutMs: number;
}

export type NotificationHandler = (method: string, params: unknown) => void;

export class JsonRpcSession {
  private readonly parser: JsonStreamParser;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedError: OvsdbConnectionError | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();
  private probeOutstanding = false;
  private readonly closeListeners: Array<(err: OvsdbConnectionError) => void> = [];
  /** Echo requests from the peer we answered, and probes we sent. */
  echoesAnswered = 0;
  probesSent = 0;
  /** Called for each notification (and for requests other than echo, which get an error reply). */
  onNotification: NotificationHandler = () => {};

  constructor(
    private readonly socket: net.Socket,
    options: JsonRpcSessionOptions = {},
  ) {
    this.parser = new JsonStreamParser(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.shutdown(new OvsdbConnectionError(`socket error: ${err.message}`, { cause: err })));
    socket.on('close', () => this.shutdown(new OvsdbConnectionError('connection closed by peer')));
    const probe = options.probeIntervalMs ?? 5000;
    if (probe > 0) {
      this.probeTimer = setInterval(() => this.checkIdle(probe), Math.max(50, Math.floor(probe / 2)));
      this.probeTimer.unref();
    }
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  onClose(listener: (err: OvsdbConnectionError) => void): void {
    if (this.closedError) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  /** Sends a request; resolves with `result`, rejects with OvsdbRpcError on a JSON-RPC error. */
  request(method: string, params: unknown[], timeoutMs?: number, signal?: AbortSignal): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    if (signal) {
      // RFC 7047 §4.1.4: "cancel" asks the server to answer the request at once, with an error.
      const onAbort = (): void => {
        if (this.pending.has(id) && !this.closedError) this.write({ method: 'cancel', params: [id], id: null });
      };
      if (signal.aborted) queueMicrotask(onAbort);
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    return new Promise((resolve, reject) => {
      const limited = timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs);
      const p: Pending = { method, resolve, reject, deadline: limited ? Date.now() + timeoutMs : Infinity, timeoutMs: timeoutMs ?? 0 };
      this.pending.set(id, p);
      if (p.deadline < this.armedAt) this.armDeadline(p.deadline);
      this.write({ method, params, id });
    });
  }

  notify(method: string, params: unknown[]): void {
    if (this.closedError) throw this.closedError;
    this.write({ method, params, id: null });
  }

  /** Closes the socket; waiting requests fail with OvsdbConnectionError(reason). */
  close(reason = 'connection closed'): void {
    this.shutdown(new OvsdbConnectionError(reason));
    this.socket.destroy();
  }

  /**
   * One timer for all request deadlines, armed for the earliest: a timer per request costs more
   * than the request itself when thousands are in flight each second.
   */
  private deadlineTimer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;

  private armDeadline(at: number): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.armedAt = at;
    // Unref'd: the socket keeps the process alive while requests wait; an idle session must not.
    this.deadlineTimer = setTimeout(() => this.expire(), Math.max(0, at - Date.now())).unref();
  }

  private expire(): void {
    this.deadlineTimer = undefined;
    this.armedAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [id, p] of this.pending) {
      if (p.deadline <= now) {
        // The reply may still come; it is then dropped as unknown (ids are never reused).
        this.pending.delete(id);
        p.reject(new OvsdbTimeoutError(p.method, p.timeoutMs));
      } else if (p.deadline < next) next = p.deadline;
    }
    if (next < Infinity && !this.closedError) this.armDeadline(next);
  }

  private write(msg: object): void {
    // Requests issued in one tick go out as one string in one write: with many in flight this
    // saves a syscall (and a server wake-up) per request, and the stream's per-chunk bookkeeping
    // that corking many small writes still pays.
    this.outbox.push(JSON.stringify(msg));
    if (this.outbox.length === 1) process.nextTick(this.flush);
  }

  private readonly outbox: string[] = [];
  private readonly flush = (): void => {
    const text = this.outbox.length === 1 ? (this.outbox[0] as string) : this.outbox.join('');
    this.outbox.length = 0;
    if (!this.socket.destroyed) this.socket.write(text);
  };

  private onData(chunk: Buffer): void {
    this.lastActivity = Date.now();
    this.probeOutstanding = false;
    let messages: unknown[];
    try {
      messages = this.parser.push(chunk);
    } catch (err) {
      this.shutdown(err instanceof OvsdbProtocolError ? new OvsdbConnectionError(err.message, { cause: err }) : new OvsdbConnectionError(String(err)));
      this.socket.destroy();
      return;
    }
    for (const m of messages) {
      if (this.closedError) return;
      this.dispatch(m);
    }
  }

  private dispatch(raw: unknown): void {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      this.protocolFailure('JSON-RPC message is not an object');
      return;
    }
    const msg = raw as RpcMessage;
    if (typeof msg.method === 'string') {
      if (msg.id === null || msg.id === undefined) {
        this.deliver(msg.method, msg.params);
      } else if (msg.method === 'echo') {
        this.echoesAnswered++;
        this.write({ result: msg.params ?? [], error: null, id: msg.id });
      } else {
        this.write({ result: null, error: { error: 'unknown method', details: msg.method }, id: msg.id });
      }
      return;
    }
    if (!('id' in msg)) {
      this.protocolFailure('JSON-RPC message has neither method nor id');
      return;
    }
    if (typeof msg.id !== 'number') return; // a reply to none of our requests (ours are numbers)
    const p = this.pending.get(msg.id);
    if (!p) return; // timed out earlier
    this.pending.delete(msg.id);
    if (msg.error !== null && msg.error !== undefined) p.reject(new OvsdbRpcError(p.method, msg.error));
    else p.resolve(msg.result);
  }

  private deliver(method: string, params: unknown): void {
    try {
      this.onNotification(method, params);
    } catch {
      // A failing listener must not break the session; the listener reports its own errors.
    }
  }

  private protocolFailure(message: string): void {
    this.shutdown(new OvsdbConnectionError(`protocol error: ${message}`, { cause: new OvsdbProtocolError(message) }));
    this.socket.destroy();
  }

  private checkIdle(interval: number): void {
    if (this.closedError) return;
    const idle = Date.now() - this.lastActivity;
    if (idle < interval) return;
    if (this.probeOutstanding) {
      if (idle >= 2 * interval) {
        this.shutdown(new OvsdbConnectionError(`peer silent for ${idle} ms (echo probe unanswered)`));
        this.socket.destroy();
      }
      return;
    }
    this.probeOutstanding = true;
    this.probesSent++;
    this.request('echo', ['tstack-probe']).catch(() => {});
  }

  private shutdown(err: OvsdbConnectionError): void {
    if (this.closedError) return;
    this.closedError = err;
    if (this.probeTimer) clearInterval(this.probeTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(err);
    for (const l of this.closeListeners.splice(0)) l(err);
  }
}
