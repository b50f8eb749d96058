/**
 * An IPMI 1.5 LAN session (IPMI 2.0 section 22.17, 1.5 section 12): Get Session Challenge,
 * Activate Session with an MD5 (or straight password) AuthCode on every packet, sequence numbers
 * with a replay window, retransmission, keepalive and Close Session. For BMCs without RMCP+.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Reader, padded, u32le } from './bytes.js';
import { getChannelAuthCapabilities, sessionlessRequest, type ChannelAuthCapabilities } from './channel-auth.js';
import { IpmiArgumentError, IpmiAuthError, IpmiCompletionError, IpmiNoSessionSlotError, IpmiTimeoutError } from './errors.js';
import { NetFn, decodeResponse, encodeRequest } from './message.js';
import { AuthType, classifyDatagram, decodeIpmi15, encodeIpmi15, verifyIpmi15 } from './packet.js';
import type { PrivilegeLevel } from './rakp.js';
import { ReplayWindow } from './replay-window.js';
import { passwordBytes, type RawResponse, type SessionOptions } from './session.js';
import { SET_SESSION_PRIVILEGE, SessionBase, sessionSettings, type SessionBaseInit } from './session-base.js';
import { UdpTransport } from './transport.js';

export const GET_SESSION_CHALLENGE = 0x39;
export const ACTIVATE_SESSION = 0x3a;

export interface Ipmi15SessionInfo {
  host: string;
  port: number;
  authType: 'md5' | 'straight';
  privilege: PrivilegeLevel;
  sessionId: number;
}

export class Ipmi15Session extends SessionBase<Ipmi15SessionInfo> {
  #password: Buffer;
  private readonly authType: number;
  private outSeq: number;
  private readonly replay = new ReplayWindow();
  rejected = 0;

  private constructor(init: SessionBaseInit<Ipmi15SessionInfo> & { password: Buffer; authType: number; outSeq: number }) {
    super(init);
    this.#password = init.password;
    this.authType = init.authType;
    this.outSeq = init.outSeq;
  }

  static async open(opts: SessionOptions, existing?: { transport: UdpTransport; capabilities: ChannelAuthCapabilities }): Promise<Ipmi15Session> {
    const { port, policy, logger, privilege, username, keepaliveMs } = sessionSettings(opts);
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
        keepaliveMs,
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

  protected wrapMessage(msg: Buffer): Buffer {
    const seq = this.outSeq;
    this.outSeq = this.outSeq >= 0xffffffff ? 1 : this.outSeq + 1;
    return encodeIpmi15({ authType: this.authType, sequence: seq, sessionId: this.info.sessionId, payload: msg }, this.#password);
  }

  protected unwrapMessage(buf: Buffer): Buffer | undefined {
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
    return p.payload;
  }

  protected get bmcSessionId(): number {
    return this.info.sessionId;
  }

  protected wipeSecrets(): void {
    this.#password.fill(0);
  }

  [inspect.custom](): string {
    return `Ipmi15Session(${this.info.host}:${this.info.port}${this.closed ? ' closed' : ''})`;
  }
}
