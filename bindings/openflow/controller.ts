/**
 * A controller server that switches connect to (`ovs-vsctl set-controller br0
 * tcp:127.0.0.1:PORT`). Each accepted connection becomes a SwitchConnection once hello and
 * features_request have told us its datapath id. Switches reconnect on their own (OVS backs off),
 * so a datapath may appear again under a new connection.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { silentLogger, type Logger } from '../../common/logger.js';
import { OpenFlowClosedError, OpenFlowConnectError, OpenFlowTimeoutError } from './errors.js';
import { iterateEvents, type EventIterator } from './event-queue.js';
import type { ErrorMsg } from './messages/error.js';
import type { FlowRemoved } from './messages/flow-removed.js';
import type { PacketIn } from './messages/packet.js';
import type { PortStatus } from './messages/port.js';
import type { FeaturesReply } from './messages/simple.js';
import type { OfMessage } from './message.js';
import { OpenFlowSession, type SessionOptions } from './session.js';

export interface SwitchConnection {
  /** The switch's datapath id (features_reply). */
  readonly datapathId: bigint;
  readonly features: FeaturesReply;
  readonly session: OpenFlowSession;
}

/** Typed events of the controller: each asynchronous message comes with the switch it came from. */
export interface ControllerEvents {
  switch: [SwitchConnection];
  switch_disconnected: [SwitchConnection, Error];
  packet_in: [PacketIn, SwitchConnection];
  port_status: [PortStatus, SwitchConnection];
  flow_removed: [FlowRemoved, SwitchConnection];
  error_message: [ErrorMsg, SwitchConnection];
  end: [];
}

export interface ControllerOptions extends SessionOptions {
  host?: string;
  port: number;
}

const ASYNC = ['packet_in', 'port_status', 'flow_removed', 'error_message'] as const;

export class OpenFlowController extends EventEmitter<ControllerEvents> {
  private readonly server: net.Server;
  private readonly live = new Map<bigint, SwitchConnection>();
  private readonly sessions = new Set<OpenFlowSession>();
  /** Every accepted socket, so that close() also ends connections still in their handshake. */
  private readonly sockets = new Set<net.Socket>();
  private closed = false;
  private readonly log: Logger;

  private constructor(private readonly opts: ControllerOptions) {
    super();
    this.log = opts.logger ?? silentLogger;
    this.server = net.createServer((socket) => void this.accept(socket));
  }

  /** Starts listening; resolves once the port is bound. */
  static async listen(opts: ControllerOptions): Promise<OpenFlowController> {
    const c = new OpenFlowController(opts);
    await new Promise<void>((resolve, reject) => {
      c.server.once('error', (err) => reject(new OpenFlowConnectError(`cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port}: ${err.message}`, { cause: err })));
      c.server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
    });
    return c;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : this.opts.port;
  }

  /** Switches connected now, by datapath id. */
  get switches(): ReadonlyMap<bigint, SwitchConnection> {
    return this.live;
  }

  private async accept(socket: net.Socket): Promise<void> {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    let session: OpenFlowSession;
    try {
      session = await OpenFlowSession.open(socket, this.opts);
    } catch (e) {
      this.log.warn({ err: e }, 'openflow controller: handshake failed');
      return;
    }
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
    // Messages that arrive before features_reply (a port_status, a packet_in) are kept and
    // delivered once the switch is known, rather than lost.
    const early: OfMessage[] = [];
    const keep = (m: OfMessage): void => void early.push(m);
    for (const ev of ASYNC) session.on(ev, keep);
    let features: FeaturesReply;
    try {
      features = await session.features();
    } catch (e) {
      this.log.warn({ err: e }, 'openflow controller: features_request failed');
      await session.close();
      return;
    }
    if (this.closed) {
      await session.close();
      return;
    }
    const sw: SwitchConnection = { datapathId: features.datapathId, features, session };
    const previous = this.live.get(sw.datapathId);
    this.live.set(sw.datapathId, sw);
    if (previous !== undefined) void previous.session.close();
    for (const ev of ASYNC) session.off(ev, keep);
    const forward = (m: OfMessage): void => {
      if (m.type === 'packet_in') this.emit('packet_in', m, sw);
      else if (m.type === 'port_status') this.emit('port_status', m, sw);
      else if (m.type === 'flow_removed') this.emit('flow_removed', m, sw);
      else if (m.type === 'error') this.emit('error_message', m, sw);
    };
    for (const ev of ASYNC) session.on(ev, forward);
    session.once('close', (reason: Error) => {
      if (this.live.get(sw.datapathId) === sw) this.live.delete(sw.datapathId);
      this.emit('switch_disconnected', sw, reason);
    });
    this.emit('switch', sw);
    for (const m of early) forward(m);
  }

  /** Resolves with the switch of `datapathId` (any switch when omitted) once it is connected. */
  waitForSwitch(datapathId?: bigint, timeoutMs = 30_000): Promise<SwitchConnection> {
    const now = datapathId === undefined ? this.live.values().next().value : this.live.get(datapathId);
    if (now !== undefined) return Promise.resolve(now);
    if (this.closed) return Promise.reject(new OpenFlowClosedError('controller is closed'));
    return new Promise((resolve, reject) => {
      const onSwitch = (sw: SwitchConnection): void => {
        if (datapathId !== undefined && sw.datapathId !== datapathId) return;
        cleanup();
        resolve(sw);
      };
      const onEnd = (): void => {
        cleanup();
        reject(new OpenFlowClosedError('controller closed while waiting for a switch'));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new OpenFlowTimeoutError(`switch ${datapathId === undefined ? '(any)' : datapathId.toString(16)} to connect`, 0, timeoutMs));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('switch', onSwitch);
        this.off('end', onEnd);
      };
      this.on('switch', onSwitch);
      this.on('end', onEnd);
    });
  }

  /** Switch connections as they come, as an async iterator; ends when the controller closes. */
  connections(): EventIterator<SwitchConnection> {
    return iterateEvents<SwitchConnection>(this, ['switch'], 'end', (_ev, args) => args[0] as SwitchConnection);
  }

  /** Asynchronous messages of every switch, with the switch they came from. */
  events(): EventIterator<{ message: OfMessage; from: SwitchConnection }> {
    return iterateEvents(this, ['packet_in', 'port_status', 'flow_removed', 'error_message'], 'end', (_ev, args) => ({ message: args[0] as OfMessage, from: args[1] as SwitchConnection }));
  }

  /** Stops listening and closes every switch connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.sessions].map((s) => s.close()));
    for (const socket of this.sockets) socket.destroy();
    this.live.clear();
    await serverClosed;
    this.emit('end');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
