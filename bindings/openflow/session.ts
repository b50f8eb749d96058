/**
 * One live OpenFlow 1.3 connection over a TCP socket, either side: hello and version
 * negotiation, transaction ids, request → reply matching (errors included, multipart parts
 * reassembled), barrier-confirmed batches, and echo keepalive both ways.
 */
import type { Socket } from 'node:net';
import { silentLogger, type Logger } from '../../common/logger.js';
import { OpenFlowChannel } from './channel.js';
import { OFP_VERSION, OFPMPF_REPLY_MORE } from './constants.js';
import { OpenFlowClosedError, OpenFlowDecodeError, OpenFlowEncodeError, OpenFlowError, OpenFlowProtocolError, OpenFlowSwitchError, OpenFlowTimeoutError, OpenFlowVersionError } from './errors.js';
import { Framer } from './framer.js';
import { decodeMessage, encodeMessage, encodeMessageInto, type OfMessage, type OfMessageInput } from './message.js';
import { errorMessage, type ErrorMsg } from './messages/error.js';
import type { MultipartReplyBody } from './multipart.js';
import { mergeMultipartBodies } from './multipart.js';
import { Writer } from './wire.js';

export interface SessionOptions {
  logger?: Logger;
  /** A request without a reply after this long fails with ERR_OPENFLOW_TIMEOUT. Default 30 s. */
  requestTimeoutMs?: number;
  /** Send an echo request after this long without hearing from the peer; 0 disables. Default 5 s. */
  echoIntervalMs?: number;
  /** Drop the connection when our echo is not answered within this long. Default 15 s. */
  echoTimeoutMs?: number;
  /** The peer's hello must arrive within this long. Default 10 s. */
  helloTimeoutMs?: number;
}

interface Pending {
  what: string;
  resolve: (m: OfMessage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  parts?: MultipartReplyBody[];
}

/** The xids [first, last] of a batch, and the errors the switch sent for them. */
interface Batch {
  first: number;
  last: number;
  errors: ErrorMsg[];
}

const MAX_XID = 0xffffffff;
/** Bytes per socket write when a batch is large, so that encoding and sending overlap. */
const WRITE_CHUNK = 256 * 1024;

function toSwitchError(e: ErrorMsg, others: readonly ErrorMsg[] = []): OpenFlowSwitchError {
  return new OpenFlowSwitchError(e, others.map((o) => new OpenFlowSwitchError(o)));
}

export class OpenFlowSession extends OpenFlowChannel {
  private readonly framer = new Framer();
  private readonly pending = new Map<number, Pending>();
  private readonly batches: Batch[] = [];
  private nextXid = 1;
  private closedWith: Error | undefined;
  private lastHeard = Date.now();
  private echoTimer: NodeJS.Timeout | undefined;
  private echoInFlight = false;
  private readonly log: Logger;
  private readonly requestTimeoutMs: number;
  /** Peer's wire version from its hello (we always speak 0x04). */
  peerVersion = 0;
  /** Keepalive counters: our echoes sent/answered, and the peer's echoes we answered. */
  readonly keepalive = { sent: 0, answered: 0, peerEchoesAnswered: 0 };
  /** Messages decoded from the peer, and multipart reply parts that carried OFPMPF_REPLY_MORE. */
  readonly counters = { messagesIn: 0, undecodable: 0, replyMoreParts: 0 };

  private constructor(
    private readonly socket: Socket,
    private readonly opts: SessionOptions,
  ) {
    super();
    this.log = opts.logger ?? silentLogger;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  }

  /**
   * Takes over a connected socket: sends our hello (version bitmap {1.3}), waits for the peer's,
   * and resolves once OpenFlow 1.3 is agreed. On a version mismatch sends
   * OFPET_HELLO_FAILED/INCOMPATIBLE, closes, and rejects with ERR_OPENFLOW_VERSION.
   */
  static open(socket: Socket, opts: SessionOptions = {}): Promise<OpenFlowSession> {
    const s = new OpenFlowSession(socket, opts);
    return s.handshake(opts.helloTimeoutMs ?? 10_000);
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  private handshake(timeoutMs: number): Promise<OpenFlowSession> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.shutdown(e);
        reject(e);
      };
      const timer = setTimeout(() => fail(new OpenFlowTimeoutError('hello', 0, timeoutMs)), timeoutMs);
      const onFirst = (m: OfMessage): void => {
        if (settled) return;
        if (m.type !== 'hello') return fail(new OpenFlowProtocolError(`expected hello first, got ${m.type}`));
        this.peerVersion = m.version;
        const ok = m.versions.length > 0 ? m.versions.includes(OFP_VERSION) : m.version >= OFP_VERSION;
        if (!ok) {
          const offered = m.versions.length > 0 ? m.versions : [m.version];
          this.writeNow({ ...errorMessage(m.xid, 0, 0, new TextEncoder().encode('OpenFlow 1.3 (0x04) only')) });
          return fail(new OpenFlowVersionError(offered));
        }
        settled = true;
        clearTimeout(timer);
        this.onMessage = (msg) => this.handle(msg);
        this.startEcho();
        resolve(this);
      };
      this.onMessage = onFirst;
      // A protocol error or socket error during the handshake rejects with its own reason.
      this.once('close', (reason) => fail(reason));
      this.socket.setNoDelay(true);
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
      this.socket.on('error', (err) => this.shutdown(new OpenFlowClosedError(`connection to ${this.remoteAddress} failed: ${err.message}`, { cause: err })));
      this.socket.on('close', () => {
        const e = new OpenFlowClosedError(`connection to ${this.remoteAddress} closed`);
        fail(e);
        this.shutdown(e);
      });
      this.writeNow({ type: 'hello', xid: this.allocXid(), version: OFP_VERSION, versions: [OFP_VERSION] });
    });
  }

  private onMessage: (m: OfMessage) => void = () => {};

  private onData(chunk: Buffer): void {
    this.lastHeard = Date.now();
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(chunk);
    } catch (e) {
      this.shutdown(new OpenFlowProtocolError('undecodable stream from peer', { cause: e }));
      return;
    }
    for (const f of frames) {
      let m: OfMessage;
      try {
        m = decodeMessage(f);
      } catch (e) {
        // One bad message is logged and skipped: framing is intact, so the stream stays usable.
        if (e instanceof OpenFlowDecodeError) {
          this.counters.undecodable++;
          this.log.warn({ err: e, type: f[1] }, 'openflow: undecodable message skipped');
          this.answerUndecodable(f);
          continue;
        }
        throw e;
      }
      if (this.closed) return;
      this.counters.messagesIn++;
      this.onMessage(m);
    }
  }

  /** A reply we cannot decode fails its request now, rather than at its timeout. */
  private answerUndecodable(f: Uint8Array): void {
    const xid = (((f[4] as number) << 24) | ((f[5] as number) << 16) | ((f[6] as number) << 8) | (f[7] as number)) >>> 0;
    const p = this.pending.get(xid);
    if (p !== undefined) {
      this.settle(xid, p);
      p.reject(new OpenFlowProtocolError(`undecodable reply to ${p.what} (xid ${xid})`));
    }
  }

  private handle(m: OfMessage): void {
    switch (m.type) {
      case 'echo_request':
        this.keepalive.peerEchoesAnswered++;
        this.writeNow({ type: 'echo_reply', xid: m.xid, data: m.data });
        return;
      case 'hello':
        return;
      case 'error': {
        const p = this.pending.get(m.xid);
        if (p !== undefined) {
          this.settle(m.xid, p);
          p.reject(toSwitchError(m));
          return;
        }
        const b = this.batchOf(m.xid);
        if (b !== undefined) {
          b.errors.push(m);
          return;
        }
        break;
      }
      case 'multipart_reply': {
        const p = this.pending.get(m.xid);
        if (p === undefined) break;
        (p.parts ??= []).push(m.body);
        if ((m.flags & OFPMPF_REPLY_MORE) !== 0) {
          this.counters.replyMoreParts++;
          // A long reply keeps its request alive while parts keep coming.
          p.timer.refresh();
          return;
        }
        this.settle(m.xid, p);
        p.resolve({ ...m, body: mergeMultipartBodies(p.parts) });
        return;
      }
      default: {
        const p = this.pending.get(m.xid);
        if (p !== undefined && isReply(m.type)) {
          this.settle(m.xid, p);
          p.resolve(m);
          return;
        }
      }
    }
    this.dispatchAsync(m);
  }

  private settle(xid: number, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(xid);
  }

  private batchOf(xid: number): Batch | undefined {
    for (const b of this.batches) if (xid >= b.first && xid <= b.last) return b;
    return undefined;
  }

  private allocXid(count = 1): number {
    // Keep a batch's xids contiguous: wrap early rather than across the 32-bit boundary.
    if (this.nextXid + count > MAX_XID) this.nextXid = 1;
    const x = this.nextXid;
    this.nextXid += count;
    return x;
  }

  private assertOpen(): void {
    if (this.closedWith !== undefined) throw new OpenFlowClosedError(`session is closed: ${this.closedWith.message}`, { cause: this.closedWith });
  }

  private writeNow(m: OfMessage): void {
    this.socket.write(encodeMessage(m));
  }

  send(msg: OfMessageInput): number {
    this.assertOpen();
    const xid = msg.xid ?? this.allocXid();
    this.writeNow({ ...msg, xid } as OfMessage);
    return xid;
  }

  /** Registers a reply expected for `xid`, with its timeout. */
  private track(xid: number, what: string): Promise<OfMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(xid);
        reject(new OpenFlowTimeoutError(what, xid, this.requestTimeoutMs));
      }, this.requestTimeoutMs);
      this.pending.set(xid, { what, resolve, reject, timer });
    });
  }

  async request(msg: OfMessageInput): Promise<OfMessage> {
    this.assertOpen();
    const xid = msg.xid ?? this.allocXid();
    if (this.pending.has(xid)) throw new OpenFlowEncodeError(`xid ${xid} is already in flight`);
    const bytes = encodeMessage({ ...msg, xid } as OfMessage);
    const reply = this.track(xid, msg.type);
    this.socket.write(bytes);
    return reply;
  }

  async sendBatch(msgs: readonly OfMessageInput[]): Promise<void> {
    this.assertOpen();
    // The batch's xids, then the barrier's: contiguous, so that an error is attributed by range.
    const first = this.allocXid(msgs.length + 1);
    const barrierXid = first + msgs.length;
    // Encode everything before sending anything: a bad message fails the batch with nothing sent.
    // The barrier goes in the same buffer, so that a small batch is one write and one wakeup.
    const w = new Writer(Math.min(msgs.length * 128 + 16, 1 << 24));
    const cuts: number[] = [];
    let lastCut = 0;
    msgs.forEach((m, i) => {
      encodeMessageInto(w, { ...m, xid: first + i } as OfMessage);
      if (w.pos - lastCut >= WRITE_CHUNK) cuts.push((lastCut = w.pos));
    });
    encodeMessageInto(w, { type: 'barrier_request', xid: barrierXid });
    const bytes = w.finish();
    const batch: Batch = { first, last: barrierXid - 1, errors: [] };
    this.batches.push(batch);
    const confirmed = this.track(barrierXid, msgs.length === 0 ? 'barrier_request' : `batch of ${msgs.length} + barrier`);
    let at = 0;
    for (const c of [...cuts, bytes.length]) {
      if (c > at) this.socket.write(bytes.subarray(at, c));
      at = c;
    }
    try {
      const reply = await confirmed;
      if (reply.type !== 'barrier_reply') throw new OpenFlowProtocolError(`expected barrier_reply, got ${reply.type}`);
    } finally {
      this.batches.splice(this.batches.indexOf(batch), 1);
    }
    const [firstErr, ...rest] = batch.errors;
    if (firstErr !== undefined) throw toSwitchError(firstErr, rest);
  }

  private startEcho(): void {
    const interval = this.opts.echoIntervalMs ?? 5000;
    if (interval <= 0) return;
    const timeout = this.opts.echoTimeoutMs ?? 15_000;
    this.echoTimer = setInterval(() => {
      if (this.echoInFlight || Date.now() - this.lastHeard < interval) return;
      this.echoInFlight = true;
      const xid = this.allocXid();
      const timer = setTimeout(() => {
        this.pending.delete(xid);
        this.log.warn({ peer: this.remoteAddress }, 'openflow: echo not answered, dropping the connection');
        this.shutdown(new OpenFlowTimeoutError('echo keepalive', xid, timeout));
      }, timeout);
      this.pending.set(xid, {
        what: 'echo keepalive',
        resolve: () => {
          this.echoInFlight = false;
          this.keepalive.answered++;
        },
        reject: () => {
          this.echoInFlight = false;
        },
        timer,
      });
      this.keepalive.sent++;
      this.writeNow({ type: 'echo_request', xid, data: new Uint8Array(0) });
    }, Math.max(50, Math.floor(interval / 2)));
    this.echoTimer.unref();
  }

  /** Rejects everything in flight, destroys the socket, emits 'close' then 'end' once. */
  private shutdown(reason: Error): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    if (this.echoTimer !== undefined) clearInterval(this.echoTimer);
    const inFlight = [...this.pending.values()];
    this.pending.clear();
    for (const p of inFlight) {
      clearTimeout(p.timer);
      p.reject(reason instanceof OpenFlowError && reason.code === 'ERR_OPENFLOW_CLOSED' ? reason : new OpenFlowClosedError(`${p.what}: connection lost (${reason.message})`, { cause: reason }));
    }
    this.socket.destroy();
    this.emit('close', reason);
    this.emit('end');
  }

  /** Closes the connection; requests in flight fail with ERR_OPENFLOW_CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.closedWith !== undefined) return;
    const done = new Promise<void>((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.once('close', () => resolve());
    });
    this.shutdown(new OpenFlowClosedError('closed by caller'));
    await done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

const REPLY_TYPES = new Set<OfMessage['type']>(['echo_reply', 'features_reply', 'get_config_reply', 'barrier_reply', 'role_reply', 'get_async_reply', 'multipart_reply', 'queue_get_config_reply', 'raw', 'experimenter']);
function isReply(type: OfMessage['type']): boolean {
  return REPLY_TYPES.has(type);
}
