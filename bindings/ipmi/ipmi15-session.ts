/**
 * An IPMI 1.5 LAN session (IPMI 2.0 section 22.17, 1.5 section 12): Get Session Challenge,
 * Activate Session with an MD5 (or straight password) AuthCode on every packet, sequence numbers
 * with a replay window, retransmission, keepalive and Close Session. For BMCs without RMCP+.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { silentLogger, type Logger } from '../../common/logger.js';
import { Reader, padded, u32le } from './bytes.js';
import { getChannelAuthCapabilities, sessionlessRequest, type ChannelAuthCapabilities } from './channel-auth.js';
import { IpmiArgumentError, IpmiAuthError, IpmiClosedError, IpmiCompletionError, IpmiNoSessionSlotError, IpmiTimeoutError } from './errors.js';
import { CLOSE_SESSION, GET_DEVICE_ID, SET_SESSION_PRIVILEGE, retryPolicy } from './lanplus-session.js';
import { NetFn, decodeResponse, encodeRequest } from './message.js';
import { AuthType, classifyDatagram, decodeIpmi15, encodeIpmi15, verifyIpmi15 } from './packet.js';
import { Privilege, type PrivilegeLevel } from './rakp.js';
import { ReplayWindow } from './replay-window.js';
import { checkCompletion, passwordBytes, trackSession, untrackSession, type CommandChannel, type RawResponse, type SessionOptions } from './session.js';
import { UdpTransport, type RetryPolicy } from './transport.js';

export const GET_SESSION_CHALLENGE = 0x39;
export const ACTIVATE_SESSION = 0x3a;

export interface Ipmi15SessionInfo {
  host: string;
  port: number;
  authType: 'md5' | 'straight';
  privilege: PrivilegeLevel;
  sessionId: number;
}

export class Ipmi15Session implements CommandChannel {
  readonly info: Ipmi15SessionInfo;
  readonly transport: UdpTransport;
  #password: Buffer;
  private readonly authType: number;
  private outSeq: number;
  private rqSeq: number;
  private readonly replay = new ReplayWindow();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private readonly policy: RetryPolicy;
  private readonly logger: Logger;
  private readonly keepaliveMs: number;
  rejected = 0;

  private constructor(init: {
    info: Ipmi15SessionInfo;
    transport: UdpTransport;
    password: Buffer;
    authType: number;
    outSeq: number;
    rqSeq: number;
    policy: RetryPolicy;
    logger: Logger;
    keepaliveMs: number;
  }) {
    this.info = init.info;
    this.transport = init.transport;
    this.#password = init.password;
    this.authType = init.authType;
    this.outSeq = init.outSeq;
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

  static async open(opts: SessionOptions, existing?: { transport: UdpTransport; capabilities: ChannelAuthCapabilities }): Promise<Ipmi15Session> {
    const port = opts.port ?? 623;
    const policy = retryPolicy(opts);
    const logger = opts.logger ?? silentLogger;
    const privilege = opts.privilege ?? Privilege.administrator;
    const username = Buffer.from(opts.username, 'utf8');
    if (username.length > 16) throw new IpmiArgumentError('user name longer than 16 bytes');
    const password = padded(passwordBytes(opts.password), 16);
    if (passwordBytes(opts.password).length > 16) throw new IpmiArgumentError('IPMI 1.5 passwords are at most 16 bytes');
    const t = existing?.transport ?? new UdpTransport(opts.host, port);
    try {
      let rqSeq = (randomBytes(1)[0] as number) & 0x3f;
      const caps = existing?.capabilities ?? (await getChannelAuthCapabilities(t, policy, privilege, rqSeq));
      rqSeq += 2;
      const wanted = opts.ipmi15Auth ?? 'md5';
      const authType = wanted === 'md5' ? AuthType.md5 : AuthType.straight;
      if ((caps.authTypes & (1 << authType)) === 0) {
        throw new IpmiAuthError('get-channel-auth-capabilities', `the BMC does not offer ${wanted} authentication`);
      }

      const challengeReq = Buffer.concat([Buffer.from([authType]), padded(username, 16)]);
      const ch = await sessionlessRequest(t, policy, NetFn.app, GET_SESSION_CHALLENGE, challengeReq, rqSeq++, 'Get Session Challenge');
      if (ch.completionCode === 0xc4) throw new IpmiNoSessionSlotError('get-session-challenge');
      if (ch.completionCode !== 0) {
        const reason = ch.completionCode === 0x81 ? 'invalid user name' : ch.completionCode === 0x82 ? 'null user name not enabled' : 'challenge refused';
        throw new IpmiAuthError('get-session-challenge', reason, ch.completionCode);
      }
      const cr = new Reader(ch.data, 'Get Session Challenge response');
      const tempSessionId = cr.u32();
      const challenge = Buffer.from(cr.bytes(16));

      // The sequence the BMC will start its packets to us with; ours comes back in the answer.
      const inboundStart = randomBytes(4).readUInt32LE(0) | 1;
      const actData = Buffer.concat([Buffer.from([authType, privilege]), challenge, u32le(inboundStart)]);
      const actSeq = rqSeq++ & 0x3f;
      const actMsg = encodeRequest({ netFn: NetFn.app, command: ACTIVATE_SESSION, data: actData, rqSeq: actSeq });
      let act: RawResponse;
      try {
        act = await t.exchange(
          () => encodeIpmi15({ authType, sequence: 0, sessionId: tempSessionId, payload: actMsg }, password),
          (buf) => {
            if (classifyDatagram(buf) !== 'ipmi15') return undefined;
            const p = decodeIpmi15(buf);
            const r = decodeResponse(p.payload);
            if (r.command !== ACTIVATE_SESSION || r.rqSeq !== actSeq) return undefined;
            if (r.completionCode === 0) verifyIpmi15(p, password);
            return { value: { completionCode: r.completionCode, data: r.data } };
          },
          policy,
          'Activate Session',
        );
      } catch (e) {
        // A BMC drops an Activate Session whose AuthCode is wrong: silence after a challenge.
        if (e instanceof IpmiTimeoutError) throw new IpmiAuthError('activate-session', 'no answer to Activate Session: wrong password?');
        throw e;
      }
      if (act.completionCode !== 0) {
        if (act.completionCode >= 0x81 && act.completionCode <= 0x83) throw new IpmiNoSessionSlotError('activate-session');
        throw new IpmiAuthError('activate-session', 'session activation refused', act.completionCode);
      }
      const ar = new Reader(act.data, 'Activate Session response');
      ar.u8();
      const sessionId = ar.u32();
      const outSeq = ar.u32() || 1;
      const session = new Ipmi15Session({
        info: { host: opts.host, port, authType: wanted, privilege, sessionId },
        transport: t,
        password,
        authType,
        outSeq,
        rqSeq,
        policy,
        logger,
        keepaliveMs: opts.keepaliveMs ?? 25_000,
      });
      try {
        await session.request(NetFn.app, SET_SESSION_PRIVILEGE, Buffer.from([privilege]), 'Set Session Privilege Level');
      } catch (e) {
        await session.close();
        if (e instanceof IpmiCompletionError) throw new IpmiAuthError('set-session-privilege', 'privilege level refused', e.completionCode);
        throw e;
      }
      logger.debug({ host: opts.host, port, sessionId, privilege }, 'ipmi: IPMI 1.5 session open');
      return session;
    } catch (e) {
      if (existing === undefined) t.close();
      throw e;
    }
  }

  requestRaw(netFn: number, command: number, data: Uint8Array = Buffer.alloc(0), retry?: Partial<RetryPolicy>): Promise<RawResponse> {
    const policy = retry === undefined ? this.policy : { ...this.policy, ...retry };
    if (this.closed) return Promise.reject(new IpmiClosedError());
    const run = async (): Promise<RawResponse> => {
      if (this.closed) throw new IpmiClosedError();
      this.armKeepalive();
      const rqSeq = (this.rqSeq = (this.rqSeq + 1) & 0x3f);
      const msg = encodeRequest({ netFn, command, data: Buffer.from(data), rqSeq });
      return this.transport.exchange(
        () => {
          const seq = this.outSeq;
          this.outSeq = this.outSeq >= 0xffffffff ? 1 : this.outSeq + 1;
          return encodeIpmi15({ authType: this.authType, sequence: seq, sessionId: this.info.sessionId, payload: msg }, this.#password);
        },
        (buf) => {
          if (classifyDatagram(buf) !== 'ipmi15') return undefined;
          const p = decodeIpmi15(buf);
          if (p.sessionId !== this.info.sessionId) return undefined;
          try {
            verifyIpmi15(p, this.#password);
          } catch {
            this.rejected++;
            return undefined;
          }
          if (!this.replay.accept(p.sequence)) {
            this.rejected++;
            return undefined;
          }
          const r = decodeResponse(p.payload);
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
        await this.requestRaw(NetFn.app, CLOSE_SESSION, u32le(this.info.sessionId), { timeoutMs: Math.min(this.policy.timeoutMs, 500), retries: 1, backoff: 0 });
      } catch {
        // gone already: the BMC frees the slot after its idle timeout
      } finally {
        this.closed = true;
        this.transport.close();
        this.#password.fill(0);
      }
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  [inspect.custom](): string {
    return `Ipmi15Session(${this.info.host}:${this.info.port}${this.closed ? ' closed' : ''})`;
  }

  toJSON(): Ipmi15SessionInfo {
    return { ...this.info };
  }
}
