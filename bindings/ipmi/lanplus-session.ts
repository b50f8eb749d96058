/**
 * An IPMI 2.0 RMCP+ ("lanplus") session: cipher suite negotiation with ordered fallback, RAKP 1-4,
 * session keys, then integrity-protected and encrypted requests with sequence numbers, a replay
 * window, retransmission, keepalive and Close Session.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { padded } from './bytes.js';
import { getChannelAuthCapabilities, getChannelCipherSuites, type ChannelAuthCapabilities } from './channel-auth.js';
import { AuthAlg, ConfAlg, DEFAULT_CIPHER_SUITES, IntegrityAlg, cipherSuite, type CipherSuite } from './cipher-suites.js';
import { codesEqual, deriveK, type SessionKeys } from './crypto.js';
import {
  IpmiArgumentError,
  IpmiAuthError,
  IpmiCipherSuiteError,
  IpmiClosedError,
  IpmiCompletionError,
  IpmiNoSessionSlotError,
  IpmiTimeoutError,
} from './errors.js';
import { NetFn } from './message.js';
import { PayloadType, classifyDatagram, decodeLanplus, encodeLanplus, peekLanplus, type LanplusPacket } from './packet.js';
import {
  Privilege,
  RmcpStatus,
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
  rakp2Code,
  rakp3Code,
  rakp4Icv,
  rmcpStatusText,
  sessionIntegrityKey,
  type OpenSessionResponse,
  type PrivilegeLevel,
  type RakpExchange,
} from './rakp.js';
import { ReplayWindow } from './replay-window.js';
import { passwordBytes, type SessionOptions } from './session.js';
import { SET_SESSION_PRIVILEGE, SessionBase, sessionSettings, type SessionBaseInit } from './session-base.js';
import { UdpTransport, type RetryPolicy } from './transport.js';

export { CLOSE_SESSION, GET_DEVICE_ID, SET_SESSION_PRIVILEGE, retryPolicy } from './session-base.js';

/** Open Session status codes after which the next suite in the preference list is tried. */
const SUITE_REJECTED = new Set<number>([
  RmcpStatus.invalidAuthAlgorithm,
  RmcpStatus.invalidIntegrityAlgorithm,
  RmcpStatus.noMatchingAuthPayload,
  RmcpStatus.noMatchingIntegrityPayload,
  RmcpStatus.invalidConfidentialityAlgorithm,
  RmcpStatus.noCipherSuiteMatch,
  RmcpStatus.illegalParameter,
]);

/** Role byte bit 4: look the user up by name only (ipmitool's default). */
const NAME_ONLY_LOOKUP = 0x10;

/** The suite preference list, checked before anything is sent: suite 0 alone is refused here. */
export function checkSuites(opts: Pick<SessionOptions, 'cipherSuites' | 'allowNoAuth'>): readonly number[] {
  const suites = opts.cipherSuites ?? DEFAULT_CIPHER_SUITES;
  for (const id of suites) cipherSuite(id);
  if (suites.length === 0) throw new IpmiArgumentError('no cipher suite to try');
  if (!opts.allowNoAuth && suites.every((id) => id === 0)) {
    throw new IpmiCipherSuiteError('cipher suite 0 (no authentication) refused: pass allowNoAuth: true to use it', [0]);
  }
  return suites;
}


export interface LanplusSessionInfo {
  host: string;
  port: number;
  cipherSuite: number;
  privilege: PrivilegeLevel;
  consoleSessionId: number;
  bmcSessionId: number;
  /** The BMC's GUID from RAKP 2 (hex). */
  bmcGuid: string;
}

type PayloadListener = (p: LanplusPacket) => void;

export class LanplusSession extends SessionBase<LanplusSessionInfo> {
  readonly capabilities: ChannelAuthCapabilities;
  #keys: SessionKeys;
  #sik: Buffer;
  /** RAKP-HMAC-MD5 suites only: the other reading of the keys, tried when the first gets no answer. */
  #alternate: SessionKeys | undefined;
  private outSeq = 1;
  private readonly replay = new ReplayWindow();
  private readonly listeners = new Map<number, PayloadListener>();
  /** Protected packets the BMC sent that failed integrity or replay checks. */
  rejected = 0;

  private constructor(init: SessionBaseInit<LanplusSessionInfo> & { capabilities: ChannelAuthCapabilities; keys: SessionKeys; sik: Buffer; alternate: SessionKeys | undefined }) {
    super(init);
    this.capabilities = init.capabilities;
    this.#keys = init.keys;
    this.#sik = init.sik;
    this.#alternate = init.alternate;
    this.transport.unsolicited = (buf) => this.onUnsolicited(buf);
    secretsOf.set(this, () => [this.#sik, this.#keys.integrityKey, this.#keys.confidentialityKey, ...(this.#alternate === undefined ? [] : [this.#alternate.integrityKey, this.#alternate.confidentialityKey])].map((b) => Buffer.from(b)));
  }

  /**
   * Opens a session: Get Channel Authentication Capabilities, then Open Session + RAKP 1-4 with the
   * first cipher suite of the preference list the BMC accepts, then Set Session Privilege Level.
   */
  static async open(opts: SessionOptions, existing?: { transport: UdpTransport; capabilities: ChannelAuthCapabilities }): Promise<LanplusSession> {
    const { port, policy, logger, privilege, username, keepaliveMs } = sessionSettings(opts);
    const kuid = passwordBytes(opts.password);
    if (kuid.length > 20) throw new IpmiArgumentError('RMCP+ passwords are at most 20 bytes');
    const suites = checkSuites(opts);

    const t = existing?.transport ?? new UdpTransport(opts.host, port);
    try {
      let rqSeq = (randomBytes(1)[0] as number) & 0x3f;
      const capabilities = existing?.capabilities ?? (await getChannelAuthCapabilities(t, policy, privilege, rqSeq));
      rqSeq += 2;
      if (!capabilities.ipmi20) {
        // FreeIPMI's "authcap" quirk: some BMCs under-report their capabilities. With 'auto' the
        // caller went to IPMI 1.5 already; a caller that asked for 2.0 gets a try anyway.
        logger.debug({ host: opts.host, port }, 'ipmi: BMC does not announce IPMI 2.0; trying RMCP+ as asked');
      }
      const tried: number[] = [];
      let tag = 0;
      let candidates = suites.filter((id) => id !== 0 || opts.allowNoAuth === true);
      // With a choice to make, ask the BMC which suites it has (many BMCs, ipmi_sim among them,
      // ignore an Open Session for a suite they lack instead of refusing it). One attempt only: a
      // BMC that ignores the question costs one timeout, then the suites are tried in turn.
      const known = candidates.length > 1 ? await getChannelCipherSuites(t, { ...policy, retries: 0 }, rqSeq) : undefined;
      rqSeq += 8;
      if (known !== undefined) {
        const supported = candidates.filter((id) => known.includes(id));
        if (supported.length === 0) {
          throw new IpmiCipherSuiteError(`the BMC supports cipher suites ${known.join(', ')}, none of ${suites.join(', ')}${suites.includes(0) && !opts.allowNoAuth ? ' (suite 0 needs allowNoAuth)' : ''}`, []);
        }
        candidates = supported;
      }
      for (const [n, id] of candidates.entries()) {
        const suite = cipherSuite(id);
        const consoleSessionId = randomBytes(4).readUInt32LE(0) || 1;
        tag = (tag + 1) & 0xff;
        const last = n === candidates.length - 1;
        let resp: OpenSessionResponse;
        try {
          // The BMC just answered, so silence to a suite it was not known to have means "unsupported":
          // one attempt, then the next suite.
          resp = await openSession(t, last || known !== undefined ? policy : { ...policy, retries: 0 }, tag, privilege, consoleSessionId, suite);
        } catch (e) {
          if (e instanceof IpmiTimeoutError && !last && known === undefined) {
            tried.push(id);
            logger.debug({ host: opts.host, port, suite: id }, 'ipmi: no answer to Open Session, trying the next suite');
            continue;
          }
          throw e;
        }
        tried.push(id);
        if (resp.status !== 0) {
          if (resp.status === RmcpStatus.insufficientResources || resp.status === RmcpStatus.insufficientResourcesForRole) {
            throw new IpmiNoSessionSlotError('open-session');
          }
          if (SUITE_REJECTED.has(resp.status)) {
            logger.debug({ host: opts.host, port, suite: id, status: resp.status }, 'ipmi: cipher suite refused, trying the next');
            continue;
          }
          throw new IpmiAuthError('open-session', rmcpStatusText(resp.status), resp.status);
        }
        const offered = { auth: resp.auth, integrity: resp.integrity, confidentiality: resp.confidentiality };
        if (offered.auth === AuthAlg.none && offered.integrity === IntegrityAlg.none && !opts.allowNoAuth) {
          throw new IpmiCipherSuiteError('the BMC offered cipher suite 0 (no authentication); refused (allowNoAuth is not set)', tried);
        }
        if (offered.auth !== suite.auth || offered.integrity !== suite.integrity || offered.confidentiality !== suite.confidentiality) {
          // A BMC that answers with other algorithms than asked: not the suite we chose.
          logger.debug({ host: opts.host, port, suite: id }, 'ipmi: BMC answered other algorithms, trying the next suite');
          continue;
        }
        const bmcSessionId = resp.bmcSessionId ?? 0;
        const role = privilege | NAME_ONLY_LOOKUP;
        const { keys, sik, guid, alternate } = await rakp(t, policy, { tag, suite, consoleSessionId, bmcSessionId, role, username, kuid, kg: opts.kg });
        const session = new LanplusSession({
          info: { host: opts.host, port, cipherSuite: id, privilege, consoleSessionId, bmcSessionId, bmcGuid: guid.toString('hex') },
          capabilities,
          transport: t,
          keys,
          sik,
          alternate,
          rqSeq,
          policy,
          logger,
          keepaliveMs,
        });
        if (privilege > Privilege.user) {
          try {
            await session.setPrivilege(privilege);
          } catch (e) {
            await session.close();
            if (e instanceof IpmiCompletionError) throw new IpmiAuthError('set-session-privilege', 'privilege level refused', e.completionCode);
            throw e;
          }
        }
        logger.debug({ host: opts.host, port, suite: id, bmcSessionId, privilege }, 'ipmi: RMCP+ session open');
        return session;
      }
      throw new IpmiCipherSuiteError(
        suites.includes(0) && !opts.allowNoAuth && tried.length === 0
          ? 'cipher suite 0 (no authentication) refused: pass allowNoAuth: true to use it'
          : `the BMC accepted none of the cipher suites ${suites.join(', ')}`,
        tried,
      );
    } catch (e) {
      if (existing === undefined) t.close();
      throw e;
    }
  }

  /**
   * The first protected request. In a RAKP-HMAC-MD5 suite, silence means the BMC reads the keys
   * the other way (see rakp()): switch once and ask again.
   */
  private async setPrivilege(privilege: number): Promise<void> {
    const data = Buffer.from([privilege]);
    try {
      await this.request(NetFn.app, SET_SESSION_PRIVILEGE, data, 'Set Session Privilege Level');
    } catch (e) {
      const other = this.#alternate;
      if (!(e instanceof IpmiTimeoutError) || other === undefined) throw e;
      this.#alternate = undefined;
      this.#keys = other;
      this.logger.debug({ host: this.info.host, port: this.info.port }, 'ipmi: no answer with the ipmi_sim reading of the MD5 keys; trying K1 and 20-byte constants');
      await this.request(NetFn.app, SET_SESSION_PRIVILEGE, data, 'Set Session Privilege Level');
    }
  }

  /** Payload listener for one payload type (SOL). */
  onPayload(payloadType: number, listener: PayloadListener | undefined): void {
    if (listener === undefined) this.listeners.delete(payloadType);
    else this.listeners.set(payloadType, listener);
  }

  private onUnsolicited(buf: Buffer): boolean {
    const p = this.acceptPacket(buf);
    if (p === undefined) return false;
    const l = this.listeners.get(p.payloadType);
    if (l === undefined) return false;
    l(p);
    return true;
  }

  /** Decodes and checks a datagram for this session; undefined when it is not for us or not valid. */
  private acceptPacket(buf: Buffer, payloadType?: number): LanplusPacket | undefined {
    if (classifyDatagram(buf) !== 'lanplus') return undefined;
    const h = peekLanplus(buf);
    if (h.sessionId !== this.info.consoleSessionId) return undefined;
    if (payloadType !== undefined && h.payloadType !== payloadType) return undefined;
    const keys = this.#keys;
    let p: LanplusPacket;
    try {
      p = decodeLanplus(buf, keys);
    } catch {
      this.rejected++;
      return undefined;
    }
    if (!this.replay.accept(p.sequence)) {
      this.rejected++;
      return undefined;
    }
    return p;
  }

  private nextOutSeq(): number {
    const s = this.outSeq;
    this.outSeq = this.outSeq >= 0xffffffff ? 1 : this.outSeq + 1;
    return s;
  }

  /** Encodes a payload for this session with the negotiated protection. */
  encodePayload(payloadType: number, payload: Buffer): Buffer {
    const keys = this.#keys;
    return encodeLanplus(
      {
        payloadType,
        encrypted: keys.confidentiality !== ConfAlg.none,
        authenticated: keys.integrity !== IntegrityAlg.none,
        sessionId: this.info.bmcSessionId,
        sequence: this.nextOutSeq(),
        payload,
      },
      keys,
    );
  }

  /** Sends a payload and waits for the packet `match` accepts (SOL uses this for acknowledged data). */
  exchangePayload<T>(payloadType: number, build: () => Buffer, match: (p: LanplusPacket) => T | undefined, what: string, policy?: RetryPolicy): Promise<T> {
    if (this.closed) return Promise.reject(new IpmiClosedError());
    return this.transport.exchange(
      () => this.encodePayload(payloadType, build()),
      (buf) => {
        const p = this.acceptPacket(buf);
        if (p === undefined) return undefined;
        const v = match(p);
        if (v === undefined) {
          const l = this.listeners.get(p.payloadType);
          if (l !== undefined) l(p);
          return undefined;
        }
        return { value: v };
      },
      policy ?? this.policy,
      what,
    );
  }

  /** Sends a payload without waiting for anything (SOL acknowledgements). */
  async sendPayload(payloadType: number, payload: Buffer): Promise<void> {
    if (this.closed) throw new IpmiClosedError();
    await this.transport.send(this.encodePayload(payloadType, payload));
  }

  protected wrapMessage(msg: Buffer): Buffer {
    return this.encodePayload(PayloadType.ipmi, msg);
  }

  protected unwrapMessage(buf: Buffer): Buffer | undefined {
    return this.acceptPacket(buf, PayloadType.ipmi)?.payload;
  }

  protected get bmcSessionId(): number {
    return this.info.bmcSessionId;
  }

  protected override closeFailed(e: unknown): void {
    if (!(e instanceof IpmiTimeoutError) && !(e instanceof IpmiClosedError)) {
      this.logger.debug({ host: this.info.host, port: this.info.port }, 'ipmi: close session failed');
    }
  }

  protected wipeSecrets(): void {
    this.#keys = { ...this.#keys, integrityKey: Buffer.alloc(0), confidentialityKey: Buffer.alloc(0) };
    this.#sik.fill(0);
    this.#alternate = undefined;
  }

  [inspect.custom](): string {
    return `LanplusSession(${this.info.host}:${this.info.port} suite ${this.info.cipherSuite}${this.closed ? ' closed' : ''})`;
  }
}

/** Test hook (not exported by index.ts): the session's secrets, to prove they never leak. */
export function revealSecretsForTesting(s: LanplusSession): Buffer[] {
  return secretsOf.get(s)?.() ?? [];
}
const secretsOf = new WeakMap<LanplusSession, () => Buffer[]>();

async function openSession(t: UdpTransport, policy: RetryPolicy, tag: number, privilege: number, consoleSessionId: number, suite: CipherSuite): Promise<OpenSessionResponse> {
  const payload = encodeOpenSessionRequest({ tag, maxPrivilege: privilege, consoleSessionId, suite });
  const datagram = encodeLanplus({ payloadType: PayloadType.openSessionRequest, encrypted: false, authenticated: false, sessionId: 0, sequence: 0, payload });
  return t.exchange(
    () => datagram,
    (buf) => {
      if (classifyDatagram(buf) !== 'lanplus') return undefined;
      const p = decodeLanplus(buf);
      if (p.payloadType !== PayloadType.openSessionResponse) return undefined;
      const r = decodeOpenSessionResponse(p.payload);
      if (r.tag !== tag || r.consoleSessionId !== consoleSessionId) return undefined;
      return { value: r };
    },
    policy,
    `Open Session (cipher suite ${suite.id})`,
  );
}

interface RakpInput {
  tag: number;
  suite: CipherSuite;
  consoleSessionId: number;
  bmcSessionId: number;
  role: number;
  username: Buffer;
  kuid: Buffer;
  kg: Buffer | undefined;
}

async function rakp(t: UdpTransport, policy: RetryPolicy, x: RakpInput): Promise<{ keys: SessionKeys; sik: Buffer; guid: Buffer; alternate: SessionKeys | undefined }> {
  const consoleRandom = randomBytes(16);
  const rakp1 = encodeLanplus({
    payloadType: PayloadType.rakp1,
    encrypted: false,
    authenticated: false,
    sessionId: 0,
    sequence: 0,
    payload: encodeRakp1({ tag: x.tag, bmcSessionId: x.bmcSessionId, consoleRandom, role: x.role, username: x.username }),
  });
  const r2 = await t.exchange(
    () => rakp1,
    (buf) => {
      if (classifyDatagram(buf) !== 'lanplus') return undefined;
      const p = decodeLanplus(buf);
      if (p.payloadType !== PayloadType.rakp2) return undefined;
      const r = decodeRakp2(p.payload, x.suite.auth);
      if (r.tag !== x.tag || r.consoleSessionId !== x.consoleSessionId) return undefined;
      return { value: r };
    },
    policy,
    'RAKP message 1',
  );
  if (r2.status !== 0) {
    if (r2.status === RmcpStatus.insufficientResources || r2.status === RmcpStatus.insufficientResourcesForRole) throw new IpmiNoSessionSlotError('rakp-2');
    throw new IpmiAuthError('rakp-2', rmcpStatusText(r2.status), r2.status);
  }
  const ex: RakpExchange = {
    auth: x.suite.auth,
    consoleSessionId: x.consoleSessionId,
    bmcSessionId: x.bmcSessionId,
    consoleRandom,
    bmcRandom: r2.bmcRandom ?? Buffer.alloc(16),
    bmcGuid: r2.bmcGuid ?? Buffer.alloc(16),
    role: x.role,
    username: x.username,
  };
  const kuid = padded(x.kuid, 20);
  const sendRakp3 = (status: number, code: Buffer): Buffer =>
    encodeLanplus({
      payloadType: PayloadType.rakp3,
      encrypted: false,
      authenticated: false,
      sessionId: 0,
      sequence: 0,
      payload: encodeRakp3({ tag: x.tag, status, bmcSessionId: x.bmcSessionId, keyExchangeCode: code }),
    });
  if (!codesEqual(rakp2Code(ex, kuid), r2.keyExchangeCode ?? Buffer.alloc(0))) {
    // Tell the BMC, so that it frees the half-open session now; no answer is expected.
    await t.send(sendRakp3(RmcpStatus.invalidIntegrityCheck, Buffer.alloc(0))).catch(() => {});
    throw new IpmiAuthError('rakp-2', "the BMC's key exchange code does not match: wrong password or user name");
  }
  const sik = sessionIntegrityKey(ex, x.kg !== undefined && x.kg.length > 0 ? padded(x.kg, 20) : kuid);
  const rakp3 = sendRakp3(0, rakp3Code(ex, kuid));
  const r4 = await t.exchange(
    () => rakp3,
    (buf) => {
      if (classifyDatagram(buf) !== 'lanplus') return undefined;
      const p = decodeLanplus(buf);
      if (p.payloadType !== PayloadType.rakp4) return undefined;
      const r = decodeRakp4(p.payload, x.suite.auth);
      if (r.tag !== x.tag || r.consoleSessionId !== x.consoleSessionId) return undefined;
      return { value: r };
    },
    policy,
    'RAKP message 3',
  );
  if (r4.status !== 0) throw new IpmiAuthError('rakp-4', rmcpStatusText(r4.status), r4.status);
  if (!codesEqual(rakp4Icv(ex, sik), r4.integrityCheck ?? Buffer.alloc(0))) {
    throw new IpmiAuthError('rakp-4', "the BMC's integrity check value does not match (wrong Kg?)");
  }
  const keysWith = (constantLength: number, hmacMd5WithK1: boolean): SessionKeys => {
    const k1 = deriveK(x.suite.auth, sik, 1, constantLength);
    const k2 = deriveK(x.suite.auth, sik, 2, constantLength);
    // MD5-128 is MD5(Kuid, data, Kuid), Kuid zero-padded to 20 bytes.
    const byPassword = x.suite.integrity === IntegrityAlg.md5_128 || (x.suite.integrity === IntegrityAlg.hmacMd5_128 && !hmacMd5WithK1);
    return { integrity: x.suite.integrity, confidentiality: x.suite.confidentiality, integrityKey: byPassword ? padded(x.kuid, 20) : k1, confidentialityKey: k2.subarray(0, 16) };
  };
  if (x.suite.auth !== AuthAlg.hmacMd5) return { keys: keysWith(20, true), sik, guid: ex.bmcGuid, alternate: undefined };
  // RAKP-HMAC-MD5 suites come in two readings: ipmi_sim keys HMAC-MD5-128 with Kuid and derives
  // K1/K2 from 16-byte constants; ipmitool and FreeIPMI use K1 and 20-byte constants. The first
  // is tried first, the second kept for when the first protected request gets no answer.
  const protectedSuite = x.suite.integrity !== IntegrityAlg.none || x.suite.confidentiality !== ConfAlg.none;
  return { keys: keysWith(16, false), sik, guid: ex.bmcGuid, alternate: protectedSuite ? keysWith(20, true) : undefined };
}
