/**
 * A controller-side client that connects to a switch's passive OpenFlow listener
 * (`ovs-vsctl set-controller br0 ptcp:PORT:127.0.0.1`) and keeps the connection up: when it drops,
 * it reconnects with exponential backoff and emits 'disconnected' / 'connected'. Calls made while
 * reconnecting wait for the new session (up to the request timeout).
 */
import net from 'node:net';
import { silentLogger, type Logger } from '../../common/logger.js';
import { OpenFlowChannel } from './channel.js';
import { OpenFlowClosedError, OpenFlowConnectError, OpenFlowError, OpenFlowTimeoutError } from './errors.js';
import type { OfMessage, OfMessageInput } from './message.js';
import { OpenFlowSession, type SessionOptions } from './session.js';

export interface ClientOptions extends SessionOptions {
  host?: string;
  /** TCP port of the bridge's passive listener (ptcp:PORT:127.0.0.1). */
  port?: number;
  /**
   * Or a unix socket: OVS's per-bridge management socket `$OVS_RUNDIR/<bridge>.mgmt` (what
   * ovs-ofctl uses) needs no listener to be configured. Takes precedence over `port`.
   */
  path?: string;
  /** connect() gives up after this long without a first session. Default 10 s. */
  connectTimeoutMs?: number;
  /** Reconnect after the connection drops. Default true. */
  reconnect?: boolean;
  /** Backoff between attempts: doubles from min to max. Defaults 50 ms and 5 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

function dial(opts: ClientOptions): Promise<OpenFlowSession> {
  return new Promise((resolve, reject) => {
    const where = opts.path ?? `${opts.host ?? '127.0.0.1'}:${String(opts.port)}`;
    const socket = opts.path !== undefined ? net.connect({ path: opts.path }) : net.connect({ host: opts.host ?? '127.0.0.1', port: opts.port as number });
    const onError = (err: Error): void => {
      socket.destroy();
      reject(new OpenFlowConnectError(`cannot connect to OpenFlow listener ${where}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      OpenFlowSession.open(socket, opts).then(resolve, reject);
    });
  });
}

export class OpenFlowClient extends OpenFlowChannel {
  private current: OpenFlowSession | undefined;
  private closing = false;
  private waiters: { resolve: (s: OpenFlowSession) => void; reject: (e: Error) => void }[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  /** Sessions established so far (1 after connect, +1 per reconnect). */
  connects = 0;

  private constructor(private readonly opts: ClientOptions) {
    super();
    this.log = opts.logger ?? silentLogger;
  }

  /** Connects (retrying with backoff until connectTimeoutMs) and resolves once OpenFlow 1.3 is agreed. */
  static async connect(opts: ClientOptions): Promise<OpenFlowClient> {
    if (opts.path === undefined && (opts.port === undefined || !Number.isInteger(opts.port))) throw new OpenFlowConnectError('OpenFlowClient.connect needs a port or a unix socket path');
    const c = new OpenFlowClient(opts);
    const deadline = Date.now() + (opts.connectTimeoutMs ?? 10_000);
    let delay = opts.minBackoffMs ?? 50;
    for (;;) {
      try {
        c.adopt(await dial(opts));
        return c;
      } catch (e) {
        // A version mismatch or a peer that is not an OpenFlow switch will not heal by retrying.
        if (e instanceof OpenFlowError && (e.code === 'ERR_OPENFLOW_VERSION' || e.code === 'ERR_OPENFLOW_PROTOCOL')) throw e;
        if (Date.now() + delay > deadline) throw e instanceof OpenFlowError ? e : new OpenFlowConnectError(String(e), { cause: e });
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, opts.maxBackoffMs ?? 5000);
      }
    }
  }

  /** The live session (undefined while reconnecting), for its counters and address. */
  get session(): OpenFlowSession | undefined {
    return this.current;
  }

  get connected(): boolean {
    return this.current !== undefined && !this.current.closed;
  }

  private adopt(s: OpenFlowSession): void {
    this.current = s;
    this.connects++;
    for (const ev of ['packet_in', 'port_status', 'flow_removed', 'error_message', 'message'] as const) s.on(ev, (m: OfMessage) => this.emit(ev, m));
    s.once('close', (reason: Error) => this.onSessionClosed(s, reason));
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve(s);
    this.emit('connected', s);
  }

  private onSessionClosed(s: OpenFlowSession, reason: Error): void {
    if (this.current !== s) return;
    this.current = undefined;
    if (this.closing) return;
    this.emit('disconnected', reason);
    if (this.opts.reconnect === false) {
      this.shutdownWaiters(new OpenFlowClosedError(`connection lost and reconnect is off: ${reason.message}`, { cause: reason }));
      this.emit('end');
      return;
    }
    this.log.warn({ err: reason }, 'openflow: connection lost, reconnecting');
    this.scheduleRetry(this.opts.minBackoffMs ?? 50);
  }

  private scheduleRetry(delay: number): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closing) return;
      dial(this.opts).then(
        (s) => {
          if (this.closing) void s.close();
          else this.adopt(s);
        },
        (e: unknown) => {
          this.log.debug({ err: e, delay }, 'openflow: reconnect attempt failed');
          this.scheduleRetry(Math.min(delay * 2, this.opts.maxBackoffMs ?? 5000));
        },
      );
    }, delay);
  }

  private shutdownWaiters(e: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(e);
  }

  /** The live session, waiting for a reconnect if one is under way. */
  private live(what: string): Promise<OpenFlowSession> {
    if (this.closing) return Promise.reject(new OpenFlowClosedError('client is closed'));
    if (this.current !== undefined && !this.current.closed) return Promise.resolve(this.current);
    if (this.opts.reconnect === false) return Promise.reject(new OpenFlowClosedError('not connected (reconnect is off)'));
    const ms = this.opts.requestTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (s: OpenFlowSession) => {
          clearTimeout(t);
          resolve(s);
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new OpenFlowTimeoutError(`${what} (waiting for reconnect)`, 0, ms));
      }, ms);
      this.waiters.push(w);
    });
  }

  /** Sends on the live session; throws ERR_OPENFLOW_CLOSED while disconnected. */
  send(msg: OfMessageInput): number {
    if (this.closing) throw new OpenFlowClosedError('client is closed');
    if (this.current === undefined || this.current.closed) throw new OpenFlowClosedError('not connected');
    return this.current.send(msg);
  }

  async request(msg: OfMessageInput): Promise<OfMessage> {
    return (await this.live(msg.type)).request(msg);
  }

  async sendBatch(msgs: readonly OfMessageInput[]): Promise<void> {
    return (await this.live('batch')).sendBatch(msgs);
  }

  /** Waits until connected (after a drop), or rejects after `timeoutMs`. */
  async waitConnected(timeoutMs = this.opts.requestTimeoutMs ?? 30_000): Promise<void> {
    if (this.connected) return;
    await Promise.race([
      this.live('waitConnected'),
      new Promise((_, reject) => setTimeout(() => reject(new OpenFlowTimeoutError('waitConnected', 0, timeoutMs)), timeoutMs).unref()),
    ]);
  }

  /** Closes the connection and stops reconnecting. Idempotent; later calls fail with ERR_OPENFLOW_CLOSED. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.shutdownWaiters(new OpenFlowClosedError('client is closed'));
    const s = this.current;
    this.current = undefined;
    if (s !== undefined) await s.close();
    this.emit('end');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
