/**
 * What an RMCP+ session and an IPMI 1.5 session do alike once open: one request at a time on the
 * wire (rqSeq and the BMC's answers pair up only in order), a keepalive after idle time, and Close
 * Session then the socket. The subclasses say how a message is wrapped and how an answer is checked.
 */
import { silentLogger, type Logger } from '../../common/logger.js';
import { u32le } from './bytes.js';
import { IpmiArgumentError, IpmiClosedError } from './errors.js';
import { NetFn, decodeResponse, encodeRequest } from './message.js';
import { Privilege, type PrivilegeLevel } from './rakp.js';
import { checkCompletion, trackSession, untrackSession, type CommandChannel, type RawResponse, type SessionOptions } from './session.js';
import { DEFAULT_RETRY, type RetryPolicy, type UdpTransport } from './transport.js';

export const SET_SESSION_PRIVILEGE = 0x3b;
export const CLOSE_SESSION = 0x3c;
export const GET_DEVICE_ID = 0x01;

export function retryPolicy(opts: Pick<SessionOptions, 'retry'>): RetryPolicy {
  return { ...DEFAULT_RETRY, ...opts.retry };
}

/** What both kinds of session take from their options before sending anything, defaults applied. */
export function sessionSettings(opts: SessionOptions): { port: number; policy: RetryPolicy; logger: Logger; privilege: PrivilegeLevel; username: Buffer; keepaliveMs: number } {
  const port = opts.port ?? 623;
  const policy = retryPolicy(opts);
  const logger = opts.logger ?? silentLogger;
  const privilege = opts.privilege ?? Privilege.administrator;
  const username = Buffer.from(opts.username, 'utf8');
  if (username.length > 16) throw new IpmiArgumentError('user name longer than 16 bytes');
  return { port, policy, logger, privilege, username, keepaliveMs: opts.keepaliveMs ?? 25_000 };
}

export interface SessionBaseInit<I> {
  info: I;
  transport: UdpTransport;
  rqSeq: number;
  policy: RetryPolicy;
  logger: Logger;
  keepaliveMs: number;
}

export abstract class SessionBase<I extends { host: string; port: number }> implements CommandChannel {
  readonly info: I;
  readonly transport: UdpTransport;
  protected closed = false;
  protected readonly policy: RetryPolicy;
  protected readonly logger: Logger;
  private rqSeq: number;
  private chain: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private readonly keepaliveMs: number;

  protected constructor(init: SessionBaseInit<I>) {
    this.info = init.info;
    this.transport = init.transport;
    this.rqSeq = init.rqSeq;
    this.policy = init.policy;
    this.logger = init.logger;
    this.keepaliveMs = init.keepaliveMs;
    trackSession(this);
    this.armKeepalive();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The datagram carrying one encoded IPMI request; called again for each retransmission. */
  protected abstract wrapMessage(msg: Buffer): Buffer;
  /** The IPMI message in a datagram that is for this session and passes its checks, else undefined. */
  protected abstract unwrapMessage(buf: Buffer): Buffer | undefined;
  /** The session ID the BMC knows this session by (sent in Close Session). */
  protected abstract get bmcSessionId(): number;
  /** Forgets the keys or password once the socket is closed. */
  protected abstract wipeSecrets(): void;
  /** A Close Session that failed; by default nothing is said (the BMC times the session out). */
  protected closeFailed(_e: unknown): void {}

  requestRaw(netFn: number, command: number, data: Uint8Array = Buffer.alloc(0), retry?: Partial<RetryPolicy>): Promise<RawResponse> {
    const policy = retry === undefined ? this.policy : { ...this.policy, ...retry };
    if (this.closed) return Promise.reject(new IpmiClosedError());
    const run = async (): Promise<RawResponse> => {
      if (this.closed) throw new IpmiClosedError();
      this.armKeepalive();
      const rqSeq = (this.rqSeq = (this.rqSeq + 1) & 0x3f);
      const msg = encodeRequest({ netFn, command, data: Buffer.from(data), rqSeq });
      return this.transport.exchange(
        () => this.wrapMessage(msg),
        (buf) => {
          const payload = this.unwrapMessage(buf);
          if (payload === undefined) return undefined;
          const r = decodeResponse(payload);
          if (r.rqSeq !== rqSeq || r.command !== command || r.netFn !== netFn) return undefined;
          return { value: { completionCode: r.completionCode, data: r.data } };
        },
        policy,
        `netFn 0x${netFn.toString(16)} cmd 0x${command.toString(16)}`,
      );
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => {});
    return p;
  }

  async request(netFn: number, command: number, data?: Uint8Array, what?: string): Promise<Buffer> {
    return checkCompletion(netFn, command, await this.requestRaw(netFn, command, data), what);
  }

  private armKeepalive(): void {
    if (this.keepaliveMs <= 0 || this.closed) return;
    clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = setTimeout(() => {
      this.requestRaw(NetFn.app, GET_DEVICE_ID).catch((e: unknown) => {
        this.logger.warn({ host: this.info.host, port: this.info.port, code: (e as { code?: string }).code }, 'ipmi: keepalive failed');
      });
    }, this.keepaliveMs);
    this.keepaliveTimer.unref();
  }

  /**
   * Close Session (one short try: a BMC that is gone frees the slot by itself), then the socket.
   * `notify: false` skips the Close Session, for a session known to be dead.
   */
  close(opts: { notify?: boolean } = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closing = (async () => {
      clearTimeout(this.keepaliveTimer);
      untrackSession(this);
      try {
        if (opts.notify === false) return;
        await this.requestRaw(NetFn.app, CLOSE_SESSION, u32le(this.bmcSessionId), { timeoutMs: Math.min(this.policy.timeoutMs, 500), retries: 1, backoff: 0 });
      } catch (e) {
        this.closeFailed(e);
      } finally {
        this.closed = true;
        this.transport.close();
        this.wipeSecrets();
      }
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  toJSON(): I {
    return { ...this.info };
  }
}
