/**
 * Test support for the IPMI binding: starting and stopping ipmi_sim through the project's scripts,
 * running ipmitool against the same BMC, a UDP relay that counts datagrams, and a small in-process
 * fake BMC (unit tests only: it answers with the binding's own codecs, so it proves behaviour, not
 * wire compatibility; ipmi_sim does that).
 */
import { execFile, execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CIPHER_SUITES, IntegrityAlg, type CipherSuite } from '../../bindings/ipmi/cipher-suites.js';
import { deriveK, type SessionKeys } from '../../bindings/ipmi/crypto.js';
import { decodeMessage, encodeMessage } from '../../bindings/ipmi/message.js';
import { AuthType, PayloadType, classifyDatagram, decodeIpmi15, decodeLanplus, encodeIpmi15, encodeLanplus, peekLanplus } from '../../bindings/ipmi/packet.js';
import {
  decodeRakp1,
  decodeRakp3,
  encodeOpenSessionResponse,
  encodeRakp2,
  encodeRakp4,
  rakp2Code,
  rakp3Code,
  rakp4Icv,
  sessionIntegrityKey,
  type RakpExchange,
} from '../../bindings/ipmi/rakp.js';
import { padded } from '../../bindings/ipmi/bytes.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const startScript = path.join(root, 'scripts/services/start-ipmi-sim.sh');
const stopScript = path.join(root, 'scripts/services/stop-ipmi-sim.sh');

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const ipmiSimAvailable = onPath('ipmi_sim') && onPath('ipmitool');
export const SIM_USER = 'admin';
export const SIM_PASSWORD = 'password';

export interface SimHandle {
  dir: string;
  port: number;
  count: number;
  /** The directory of the instance on `port` (chassis files: power, boot, identify, chassis.log). */
  instanceDir(port?: number): string;
  chassisLog(port?: number): string[];
  chassisFile(name: 'power' | 'boot' | 'identify', port?: number): string | undefined;
  stop(port?: number): Promise<void>;
  start(): Promise<void>;
  /** Stops, and removes the directory. */
  destroy(): Promise<void>;
}

export async function startSim(port: number, count = 1, env: Record<string, string> = {}): Promise<SimHandle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tstack-ipmi-'));
  const start = async (): Promise<void> => {
    await run('bash', [startScript, dir, String(port), String(count)], { env: { ...process.env, ...env } });
  };
  const stop = async (p?: number): Promise<void> => {
    await run('bash', p === undefined ? [stopScript, dir] : [stopScript, dir, String(p)]);
  };
  const instanceDir = (p = port): string => path.join(dir, String(p));
  const h: SimHandle = {
    dir,
    port,
    count,
    instanceDir,
    chassisLog: (p = port) => {
      try {
        return fs.readFileSync(path.join(instanceDir(p), 'chassis.log'), 'utf8').split('\n').filter((l) => l.length > 0);
      } catch {
        return [];
      }
    },
    chassisFile: (name, p = port) => {
      try {
        return fs.readFileSync(path.join(instanceDir(p), name), 'utf8').trim();
      } catch {
        return undefined;
      }
    },
    stop,
    start,
    destroy: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await start();
  } catch (e) {
    await h.destroy().catch(() => {});
    throw e;
  }
  return h;
}

/** `ipmitool -I lanplus -C 3` (or the given interface) against 127.0.0.1:port; stdout. */
export async function ipmitool(port: number, args: string[], opts: { iface?: 'lanplus' | 'lan'; suite?: number; password?: string } = {}): Promise<string> {
  const iface = opts.iface ?? 'lanplus';
  const base = ['-I', iface, '-H', '127.0.0.1', '-p', String(port), '-U', SIM_USER, '-P', opts.password ?? SIM_PASSWORD];
  if (iface === 'lanplus') base.push('-C', String(opts.suite ?? 3));
  const { stdout } = await run('ipmitool', [...base, ...args], { timeout: 30_000 });
  return stdout;
}

/** "Key : Value" lines of ipmitool output as a map (first occurrence wins). */
export function keyValues(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const k = line.slice(0, i).trim();
    if (k.length > 0 && !m.has(k)) m.set(k, line.slice(i + 1).trim());
  }
  return m;
}

// ---- UDP helpers --------------------------------------------------------------------------------

/** A UDP port that receives and never answers: an unreachable BMC that still counts what it got. */
export class BlackHole {
  readonly received: Buffer[] = [];
  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
  ) {}

  static async open(port: number): Promise<BlackHole> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, '127.0.0.1', () => resolve());
    });
    const h = new BlackHole(s, port);
    s.on('message', (m) => h.received.push(m));
    return h;
  }

  close(): void {
    this.socket.close();
  }
}

/** Forwards datagrams between one client and a BMC, counting them each way. */
export class UdpRelay {
  toBmc = 0;
  fromBmc = 0;
  private client: dgram.RemoteInfo | undefined;
  private constructor(
    private readonly front: dgram.Socket,
    private readonly back: dgram.Socket,
    readonly port: number,
  ) {}

  static async open(port: number, bmcPort: number): Promise<UdpRelay> {
    const front = dgram.createSocket('udp4');
    const back = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.bind(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => back.bind(0, '127.0.0.1', () => resolve()));
    const r = new UdpRelay(front, back, port);
    front.on('message', (m, rinfo) => {
      r.client = rinfo;
      r.toBmc++;
      back.send(m, bmcPort, '127.0.0.1');
    });
    back.on('message', (m) => {
      r.fromBmc++;
      if (r.client !== undefined) front.send(m, r.client.port, r.client.address);
    });
    return r;
  }

  close(): void {
    this.front.close();
    this.back.close();
  }
}

// ---- fake BMC -----------------------------------------------------------------------------------

export interface FakeBmcOptions {
  port: number;
  username?: string;
  password?: string;
  /** Suites it lists in Get Channel Cipher Suites (undefined: the command is refused). */
  listedSuites?: number[];
  /** Answer every Open Session with these algorithms (e.g. suite 0's none/none/none). */
  forceAlgorithms?: CipherSuite;
  /** Datagrams sent to the client before each in-session answer (junk, replays...). */
  noise?: (answer: Buffer, previous: Buffer | undefined) => Buffer[];
  /** Suites whose Open Session is answered "no cipher suite match" (status 0x11). */
  rejectSuites?: number[];
  /** Key HMAC-MD5-128 with K1 (FreeIPMI's reading) instead of the password (ipmi_sim's). */
  hmacMd5WithK1?: boolean;
  /** SOL: most console bytes accepted per packet (default all). */
  solAcceptMax?: number;
  /** SOL: NACK this many data packets first. */
  solNacks?: number;
  /** When true, in-session answers are dropped (a BMC that lost the session). */
  silentInSession?: boolean;
}

interface FakeSession {
  consoleSessionId: number;
  bmcSessionId: number;
  suite: CipherSuite;
  tag: number;
  role: number;
  username: Buffer;
  consoleRandom?: Buffer;
  bmcRandom: Buffer;
  keys?: SessionKeys;
  outSeq: number;
  last?: Buffer;
}

export class FakeBmc {
  readonly guid = randomBytes(16);
  readonly requests: { netFn: number; command: number }[] = [];
  /** Cipher suite of each Open Session request received. */
  readonly openSessions: number[] = [];
  /** SOL: console bytes accepted, and acknowledgements received for data this BMC sent. */
  readonly solReceived: Buffer[] = [];
  readonly solAcks: { ackSequence: number; acceptedCount: number }[] = [];
  private solPeer: { session: FakeSession; to: dgram.RemoteInfo } | undefined;
  private solNacked = 0;
  datagrams = 0;
  private readonly sessions = new Map<number, FakeSession>();

  private constructor(
    private readonly socket: dgram.Socket,
    readonly opts: FakeBmcOptions,
  ) {
    socket.on('message', (m, rinfo) => {
      this.datagrams++;
      try {
        this.handle(m, rinfo);
      } catch {
        // a fake BMC ignores what it cannot parse, like a real one
      }
    });
  }

  static async open(opts: FakeBmcOptions): Promise<FakeBmc> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(opts.port, '127.0.0.1', () => resolve());
    });
    return new FakeBmc(s, opts);
  }

  close(): void {
    this.socket.close();
  }

  private send(buf: Buffer, to: dgram.RemoteInfo): void {
    this.socket.send(buf, to.port, to.address);
  }

  private reply(req: Buffer, cc: number, data: Buffer): Buffer {
    const m = decodeMessage(req);
    return encodeMessage({ rsAddr: m.rqAddr, netFn: m.netFn + 1, rsLun: m.rqLun, rqAddr: m.rsAddr, rqSeq: m.rqSeq, rqLun: m.rsLun, command: m.command, data: Buffer.concat([Buffer.from([cc]), data]) });
  }

  private handle(m: Buffer, to: dgram.RemoteInfo): void {
    const kind = classifyDatagram(m);
    if (kind === 'ipmi15') {
      const p = decodeIpmi15(m);
      const req = decodeMessage(p.payload);
      this.requests.push({ netFn: req.netFn, command: req.command });
      let cc = 0xc1;
      let data = Buffer.alloc(0);
      if (req.netFn === 0x06 && req.command === 0x38) {
        cc = 0;
        data = Buffer.from([0x01, 0x80 | 0x04 | 0x02, 0x04, 0x02, 0, 0, 0, 0]);
      } else if (req.netFn === 0x06 && req.command === 0x54 && this.opts.listedSuites !== undefined) {
        cc = 0;
        const recs = this.opts.listedSuites.flatMap((id) => {
          const s = CIPHER_SUITES.get(id);
          return s === undefined ? [] : [0xc0, id, s.auth, 0x40 | s.integrity, 0x80 | s.confidentiality];
        });
        const index = (req.data[2] ?? 0) & 0x3f;
        data = Buffer.concat([Buffer.from([0x01]), Buffer.from(recs.slice(index * 16, index * 16 + 16))]);
      }
      this.send(encodeIpmi15({ authType: AuthType.none, sequence: 0, sessionId: 0, payload: this.reply(p.payload, cc, data) }), to);
      return;
    }
    if (kind !== 'lanplus') return;
    const h = peekLanplus(m);
    if (h.payloadType === PayloadType.openSessionRequest) {
      const p = decodeLanplus(m);
      const tag = p.payload[0] as number;
      const consoleSessionId = p.payload.readUInt32LE(4);
      const asked = { auth: (p.payload[12] as number) & 0x3f, integrity: (p.payload[20] as number) & 0x3f, confidentiality: (p.payload[28] as number) & 0x3f };
      const algs = this.opts.forceAlgorithms ?? { id: -1, ...asked };
      const suite = [...CIPHER_SUITES.values()].find((s) => s.auth === algs.auth && s.integrity === algs.integrity && s.confidentiality === algs.confidentiality);
      const askedSuite = [...CIPHER_SUITES.values()].find((s) => s.auth === asked.auth && s.integrity === asked.integrity && s.confidentiality === asked.confidentiality);
      this.openSessions.push(askedSuite?.id ?? -1);
      const bmcSessionId = randomBytes(4).readUInt32LE(0) || 7;
      if (suite === undefined || this.opts.rejectSuites?.includes(suite.id)) {
        this.send(encodeLanplus({ payloadType: PayloadType.openSessionResponse, encrypted: false, authenticated: false, sessionId: 0, sequence: 0, payload: encodeOpenSessionResponse({ tag, status: 0x11, maxPrivilege: 0, consoleSessionId }) }), to);
        return;
      }
      this.sessions.set(bmcSessionId, { consoleSessionId, bmcSessionId, suite, tag, role: 0, username: Buffer.alloc(0), bmcRandom: randomBytes(16), outSeq: 1 });
      const resp = encodeOpenSessionResponse({ tag, status: 0, maxPrivilege: 4, consoleSessionId, bmcSessionId, auth: suite.auth, integrity: suite.integrity, confidentiality: suite.confidentiality });
      this.send(encodeLanplus({ payloadType: PayloadType.openSessionResponse, encrypted: false, authenticated: false, sessionId: 0, sequence: 0, payload: resp }), to);
      return;
    }
    const kuid = padded(Buffer.from(this.opts.password ?? SIM_PASSWORD), 20);
    if (h.payloadType === PayloadType.rakp1) {
      const r1 = decodeRakp1(decodeLanplus(m).payload);
      const s = this.sessions.get(r1.bmcSessionId);
      if (s === undefined) return;
      s.consoleRandom = r1.consoleRandom;
      s.role = r1.role;
      s.username = r1.username;
      const ok = r1.username.toString() === (this.opts.username ?? SIM_USER);
      const x = this.exchange(s);
      const payload = ok
        ? encodeRakp2({ tag: r1.tag, status: 0, consoleSessionId: s.consoleSessionId, bmcRandom: s.bmcRandom, bmcGuid: this.guid, keyExchangeCode: rakp2Code(x, kuid) })
        : encodeRakp2({ tag: r1.tag, status: 0x0d, consoleSessionId: s.consoleSessionId });
      this.send(encodeLanplus({ payloadType: PayloadType.rakp2, encrypted: false, authenticated: false, sessionId: 0, sequence: 0, payload }), to);
      return;
    }
    if (h.payloadType === PayloadType.rakp3) {
      const r3 = decodeRakp3(decodeLanplus(m).payload);
      const s = this.sessions.get(r3.bmcSessionId);
      if (s === undefined || r3.status !== 0) return;
      const x = this.exchange(s);
      if (!rakp3Code(x, kuid).equals(r3.keyExchangeCode)) {
        this.send(encodeLanplus({ payloadType: PayloadType.rakp4, encrypted: false, authenticated: false, sessionId: 0, sequence: 0, payload: encodeRakp4({ tag: r3.tag, status: 0x0f, consoleSessionId: s.consoleSessionId }) }), to);
        return;
      }
      const sik = sessionIntegrityKey(x, kuid);
      // ipmi_sim's reading of the MD5 suites by default; ipmitool/FreeIPMI's with hmacMd5WithK1.
      const md5 = s.suite.integrity === IntegrityAlg.md5_128 || (s.suite.integrity === IntegrityAlg.hmacMd5_128 && !this.opts.hmacMd5WithK1);
      const constant = this.opts.hmacMd5WithK1 ? 20 : undefined;
      s.keys = {
        integrity: s.suite.integrity,
        confidentiality: s.suite.confidentiality,
        integrityKey: md5 ? kuid : deriveK(s.suite.auth, sik, 1, constant),
        confidentialityKey: deriveK(s.suite.auth, sik, 2, constant).subarray(0, 16),
      };
      this.send(encodeLanplus({ payloadType: PayloadType.rakp4, encrypted: false, authenticated: false, sessionId: 0, sequence: 0, payload: encodeRakp4({ tag: r3.tag, status: 0, consoleSessionId: s.consoleSessionId, integrityCheck: rakp4Icv(x, sik) }) }), to);
      return;
    }
    if (h.payloadType === PayloadType.sol) {
      const s = this.sessions.get(h.sessionId);
      if (s === undefined || s.keys === undefined) return;
      const p = decodeLanplus(m, s.keys);
      const [seq, ack, count] = [p.payload[0] as number, p.payload[1] as number, p.payload[2] as number];
      const data = p.payload.subarray(4);
      if (seq === 0) {
        if (ack !== 0) this.solAcks.push({ ackSequence: ack, acceptedCount: count });
        return;
      }
      let status = 0;
      let accepted = 0;
      if (this.solNacked < (this.opts.solNacks ?? 0)) {
        this.solNacked++;
        status = 0x40;
      } else {
        accepted = Math.min(data.length, this.opts.solAcceptMax ?? data.length);
        this.solReceived.push(Buffer.from(data.subarray(0, accepted)));
      }
      this.sendSol(s, to, Buffer.from([0, seq, accepted, status]));
      return;
    }
    if (h.payloadType === PayloadType.ipmi) {
      const s = this.sessions.get(h.sessionId);
      if (s === undefined || s.keys === undefined) return;
      const p = decodeLanplus(m, s.keys);
      const req = decodeMessage(p.payload);
      this.requests.push({ netFn: req.netFn, command: req.command });
      if (this.opts.silentInSession) return;
      let data = Buffer.alloc(0);
      if (req.netFn === 0x06 && req.command === 0x01) data = Buffer.from([0x20, 0x01, 0x02, 0x03, 0x02, 0xbf, 0x57, 0x01, 0x00, 0x34, 0x12]);
      if (req.netFn === 0x06 && req.command === 0x3b) data = Buffer.from([req.data[0] ?? 4]);
      if (req.netFn === 0x00 && req.command === 0x01) data = Buffer.from([0x01, 0x00, 0x00]);
      if (req.netFn === 0x06 && req.command === 0x48) {
        // Activate Payload (SOL): aux data, inbound and outbound payload size 64, this port, no VLAN.
        this.solPeer = { session: s, to };
        data = Buffer.from([0, 0, 0, 0, 64, 0, 64, 0, 0, 0, 0xff, 0xff]);
        data.writeUInt16LE(this.opts.port, 8);
      }
      if (req.netFn === 0x06 && req.command === 0x49) this.solPeer = undefined;
      const answer = encodeLanplus(
        { payloadType: PayloadType.ipmi, encrypted: s.keys.confidentiality !== 0, authenticated: s.keys.integrity !== 0, sessionId: s.consoleSessionId, sequence: s.outSeq++, payload: this.reply(p.payload, 0, data) },
        s.keys,
      );
      for (const n of this.opts.noise?.(answer, s.last) ?? []) this.send(n, to);
      s.last = answer;
      this.send(answer, to);
      if (req.command === 0x3c) this.sessions.delete(h.sessionId);
    }
  }

  private sendSol(s: FakeSession, to: dgram.RemoteInfo, payload: Buffer): void {
    if (s.keys === undefined) return;
    const pkt = encodeLanplus(
      { payloadType: PayloadType.sol, encrypted: s.keys.confidentiality !== 0, authenticated: s.keys.integrity !== 0, sessionId: s.consoleSessionId, sequence: s.outSeq++, payload },
      s.keys,
    );
    this.send(pkt, to);
  }

  /** SOL: sends console data with SOL sequence `seq` (send it twice to play a retransmission). */
  solSend(seq: number, data: Buffer): void {
    if (this.solPeer === undefined) throw new Error('SOL is not active');
    this.sendSol(this.solPeer.session, this.solPeer.to, Buffer.concat([Buffer.from([seq, 0, 0, 0]), data]));
  }

  private exchange(s: FakeSession): RakpExchange {
    return {
      auth: s.suite.auth,
      consoleSessionId: s.consoleSessionId,
      bmcSessionId: s.bmcSessionId,
      consoleRandom: s.consoleRandom ?? Buffer.alloc(16),
      bmcRandom: s.bmcRandom,
      bmcGuid: this.guid,
      role: s.role,
      username: s.username,
    };
  }
}
