/**
 * RMCP+ session establishment payloads (IPMI 2.0 sections 13.17-13.23): Open Session Request and
 * Response, RAKP messages 1-4, and the key-exchange computations both sides make on them.
 */
import { Reader, u32le } from './bytes.js';
import { authDigestLength, rakp4IcvLength, type AuthAlgorithm, type CipherSuite } from './cipher-suites.js';
import { authHmac } from './crypto.js';
import { IpmiDecodeError } from './errors.js';

/** Privilege levels (section 6.8). */
export const Privilege = { callback: 1, user: 2, operator: 3, administrator: 4, oem: 5 } as const;
export type PrivilegeLevel = (typeof Privilege)[keyof typeof Privilege];

/** RMCP+ status codes (table 13-15) that the client tells apart. */
export const RmcpStatus = {
  ok: 0x00,
  insufficientResources: 0x01,
  invalidSessionId: 0x02,
  invalidPayloadType: 0x03,
  invalidAuthAlgorithm: 0x04,
  invalidIntegrityAlgorithm: 0x05,
  noMatchingAuthPayload: 0x06,
  noMatchingIntegrityPayload: 0x07,
  inactiveSessionId: 0x08,
  invalidRole: 0x09,
  unauthorizedRole: 0x0a,
  insufficientResourcesForRole: 0x0b,
  invalidNameLength: 0x0c,
  unauthorizedName: 0x0d,
  unauthorizedGuid: 0x0e,
  invalidIntegrityCheck: 0x0f,
  invalidConfidentialityAlgorithm: 0x10,
  noCipherSuiteMatch: 0x11,
  illegalParameter: 0x12,
} as const;

const STATUS_TEXT: Record<number, string> = {
  0x01: 'insufficient resources to create a session',
  0x02: 'invalid session ID',
  0x03: 'invalid payload type',
  0x04: 'invalid authentication algorithm',
  0x05: 'invalid integrity algorithm',
  0x06: 'no matching authentication payload',
  0x07: 'no matching integrity payload',
  0x08: 'inactive session ID',
  0x09: 'invalid role',
  0x0a: 'unauthorized role or privilege level requested',
  0x0b: 'insufficient resources to create a session at the requested role',
  0x0c: 'invalid name length',
  0x0d: 'unauthorized name',
  0x0e: 'unauthorized GUID',
  0x0f: 'invalid integrity check value',
  0x10: 'invalid confidentiality algorithm',
  0x11: 'no cipher suite match with proposed security algorithms',
  0x12: 'illegal or unrecognized parameter',
};

export function rmcpStatusText(status: number): string {
  return STATUS_TEXT[status] ?? 'unknown status';
}

// ---- Open Session -----------------------------------------------------------------------------

export interface OpenSessionRequest {
  tag: number;
  /** 0 asks for the highest level the cipher suite allows. */
  maxPrivilege: number;
  consoleSessionId: number;
  suite: Pick<CipherSuite, 'auth' | 'integrity' | 'confidentiality'>;
}

function algorithmPayload(kind: number, alg: number): Buffer {
  return Buffer.from([kind, 0, 0, 8, alg, 0, 0, 0]);
}

export function encodeOpenSessionRequest(m: OpenSessionRequest): Buffer {
  return Buffer.concat([
    Buffer.from([m.tag & 0xff, m.maxPrivilege & 0x0f, 0, 0]),
    u32le(m.consoleSessionId),
    algorithmPayload(0, m.suite.auth),
    algorithmPayload(1, m.suite.integrity),
    algorithmPayload(2, m.suite.confidentiality),
  ]);
}

export interface OpenSessionResponse {
  tag: number;
  status: number;
  maxPrivilege: number;
  consoleSessionId: number;
  /** Present when status is 0. */
  bmcSessionId?: number;
  auth?: number;
  integrity?: number;
  confidentiality?: number;
}

function readAlgorithm(r: Reader, kind: number): number {
  const t = r.u8();
  if (t !== kind) throw new IpmiDecodeError(`open session response: algorithm payload type ${t}, expected ${kind}`);
  r.bytes(2);
  const len = r.u8();
  if (len !== 8) throw new IpmiDecodeError(`open session response: algorithm payload length ${len}`);
  const alg = r.u8() & 0x3f;
  r.bytes(3);
  return alg;
}

export function decodeOpenSessionResponse(buf: Buffer): OpenSessionResponse {
  const r = new Reader(buf, 'open session response');
  const tag = r.u8();
  const status = r.u8();
  const maxPrivilege = r.u8() & 0x0f;
  r.u8();
  const consoleSessionId = r.u32();
  if (status !== 0) return { tag, status, maxPrivilege, consoleSessionId };
  const bmcSessionId = r.u32();
  const auth = readAlgorithm(r, 0);
  const integrity = readAlgorithm(r, 1);
  const confidentiality = readAlgorithm(r, 2);
  return { tag, status, maxPrivilege, consoleSessionId, bmcSessionId, auth, integrity, confidentiality };
}

export function encodeOpenSessionResponse(m: OpenSessionResponse): Buffer {
  const head = Buffer.concat([Buffer.from([m.tag, m.status, m.maxPrivilege, 0]), u32le(m.consoleSessionId)]);
  if (m.status !== 0) return head;
  return Buffer.concat([
    head,
    u32le(m.bmcSessionId ?? 0),
    algorithmPayload(0, m.auth ?? 0),
    algorithmPayload(1, m.integrity ?? 0),
    algorithmPayload(2, m.confidentiality ?? 0),
  ]);
}

// ---- RAKP 1-4 ---------------------------------------------------------------------------------

export interface Rakp1 {
  tag: number;
  bmcSessionId: number;
  consoleRandom: Buffer;
  /** The whole role byte: privilege in bits 3:0, bit 4 = name-only lookup. */
  role: number;
  username: Buffer;
}

export function encodeRakp1(m: Rakp1): Buffer {
  if (m.consoleRandom.length !== 16) throw new IpmiDecodeError('RAKP 1: console random must be 16 bytes');
  if (m.username.length > 16) throw new IpmiDecodeError('RAKP 1: user name longer than 16 bytes');
  return Buffer.concat([
    Buffer.from([m.tag, 0, 0, 0]),
    u32le(m.bmcSessionId),
    m.consoleRandom,
    Buffer.from([m.role, 0, 0, m.username.length]),
    m.username,
  ]);
}

export function decodeRakp1(buf: Buffer): Rakp1 {
  const r = new Reader(buf, 'RAKP 1');
  const tag = r.u8();
  r.bytes(3);
  const bmcSessionId = r.u32();
  const consoleRandom = Buffer.from(r.bytes(16));
  const role = r.u8();
  r.bytes(2);
  const len = r.u8();
  if (len > 16) throw new IpmiDecodeError('RAKP 1: user name longer than 16 bytes');
  return { tag, bmcSessionId, consoleRandom, role, username: Buffer.from(r.bytes(len)) };
}

export interface Rakp2 {
  tag: number;
  status: number;
  consoleSessionId: number;
  /** Present when status is 0. */
  bmcRandom?: Buffer;
  bmcGuid?: Buffer;
  keyExchangeCode?: Buffer;
}

export function decodeRakp2(buf: Buffer, auth: AuthAlgorithm): Rakp2 {
  const r = new Reader(buf, 'RAKP 2');
  const tag = r.u8();
  const status = r.u8();
  r.bytes(2);
  const consoleSessionId = r.u32();
  if (status !== 0) return { tag, status, consoleSessionId };
  const bmcRandom = Buffer.from(r.bytes(16));
  const bmcGuid = Buffer.from(r.bytes(16));
  const keyExchangeCode = Buffer.from(r.bytes(authDigestLength(auth)));
  return { tag, status, consoleSessionId, bmcRandom, bmcGuid, keyExchangeCode };
}

export function encodeRakp2(m: Rakp2): Buffer {
  const head = Buffer.concat([Buffer.from([m.tag, m.status, 0, 0]), u32le(m.consoleSessionId)]);
  if (m.status !== 0) return head;
  return Buffer.concat([head, m.bmcRandom ?? Buffer.alloc(16), m.bmcGuid ?? Buffer.alloc(16), m.keyExchangeCode ?? Buffer.alloc(0)]);
}

export interface Rakp3 {
  tag: number;
  status: number;
  bmcSessionId: number;
  keyExchangeCode: Buffer;
}

export function encodeRakp3(m: Rakp3): Buffer {
  return Buffer.concat([Buffer.from([m.tag, m.status, 0, 0]), u32le(m.bmcSessionId), m.keyExchangeCode]);
}

export function decodeRakp3(buf: Buffer): Rakp3 {
  const r = new Reader(buf, 'RAKP 3');
  const tag = r.u8();
  const status = r.u8();
  r.bytes(2);
  return { tag, status, bmcSessionId: r.u32(), keyExchangeCode: Buffer.from(r.rest()) };
}

export interface Rakp4 {
  tag: number;
  status: number;
  consoleSessionId: number;
  integrityCheck?: Buffer;
}

export function decodeRakp4(buf: Buffer, auth: AuthAlgorithm): Rakp4 {
  const r = new Reader(buf, 'RAKP 4');
  const tag = r.u8();
  const status = r.u8();
  r.bytes(2);
  const consoleSessionId = r.u32();
  if (status !== 0) return { tag, status, consoleSessionId };
  return { tag, status, consoleSessionId, integrityCheck: Buffer.from(r.bytes(rakp4IcvLength(auth))) };
}

export function encodeRakp4(m: Rakp4): Buffer {
  const head = Buffer.concat([Buffer.from([m.tag, m.status, 0, 0]), u32le(m.consoleSessionId)]);
  return m.status !== 0 ? head : Buffer.concat([head, m.integrityCheck ?? Buffer.alloc(0)]);
}

// ---- key exchange computations ----------------------------------------------------------------

/** What both sides know after RAKP 2, from which every code and key follows. */
export interface RakpExchange {
  auth: AuthAlgorithm;
  consoleSessionId: number;
  bmcSessionId: number;
  consoleRandom: Buffer;
  bmcRandom: Buffer;
  bmcGuid: Buffer;
  role: number;
  username: Buffer;
}

function nameTail(x: RakpExchange): Buffer {
  return Buffer.concat([Buffer.from([x.role, x.username.length]), x.username]);
}

/** RAKP 2's key exchange code: HMAC(Kuid, SIDm, SIDc, Rm, Rc, GUIDc, ROLEm, ULENGTHm, UNAMEm). */
export function rakp2Code(x: RakpExchange, kuid: Buffer): Buffer {
  return authHmac(x.auth, kuid, u32le(x.consoleSessionId), u32le(x.bmcSessionId), x.consoleRandom, x.bmcRandom, x.bmcGuid, nameTail(x));
}

/** RAKP 3's key exchange code: HMAC(Kuid, Rc, SIDm, ROLEm, ULENGTHm, UNAMEm). */
export function rakp3Code(x: RakpExchange, kuid: Buffer): Buffer {
  return authHmac(x.auth, kuid, x.bmcRandom, u32le(x.consoleSessionId), nameTail(x));
}

/** Session Integrity Key: HMAC(Kg, Rm, Rc, ROLEm, ULENGTHm, UNAMEm); Kg is Kuid when no BMC key is set. */
export function sessionIntegrityKey(x: RakpExchange, kg: Buffer): Buffer {
  return authHmac(x.auth, kg, x.consoleRandom, x.bmcRandom, nameTail(x));
}

/** RAKP 4's integrity check value: HMAC(SIK, Rm, SIDc, GUIDc), truncated per algorithm. */
export function rakp4Icv(x: RakpExchange, sik: Buffer): Buffer {
  return authHmac(x.auth, sik, x.consoleRandom, u32le(x.bmcSessionId), x.bmcGuid).subarray(0, rakp4IcvLength(x.auth));
}
