/**
 * Session-layer datagrams (IPMI 2.0 section 13.6): the IPMI 1.5 session wrapper and the RMCP+
 * (IPMI 2.0, "lanplus") session wrapper with its integrity trailer, behind the RMCP header.
 */
import { createHash } from 'node:crypto';
import { Reader, padded, u32le } from './bytes.js';
import { IntegrityAlg } from './cipher-suites.js';
import { codesEqual, decryptPayload, encryptPayload, integrityCode, type SessionKeys } from './crypto.js';
import { IpmiDecodeError, IpmiIntegrityError } from './errors.js';
import { RMCP_CLASS_ASF, RMCP_CLASS_IPMI, decodeRmcpHeader, encodeRmcpHeader } from './rmcp.js';

/** Session authentication types of the IPMI 1.5 wrapper; 0x06 announces an RMCP+ wrapper. */
export const AuthType = { none: 0x00, md2: 0x01, md5: 0x02, straight: 0x04, oem: 0x05, rmcpPlus: 0x06 } as const;

export const PayloadType = {
  ipmi: 0x00,
  sol: 0x01,
  oemExplicit: 0x02,
  openSessionRequest: 0x10,
  openSessionResponse: 0x11,
  rakp1: 0x12,
  rakp2: 0x13,
  rakp3: 0x14,
  rakp4: 0x15,
} as const;

const NEXT_HEADER = 0x07;

// ---- IPMI 1.5 ---------------------------------------------------------------------------------

export interface Ipmi15Packet {
  authType: number;
  sequence: number;
  sessionId: number;
  payload: Buffer;
  /** The 16-byte AuthCode field as received (absent for authType none). */
  authCode?: Buffer;
}

/**
 * The IPMI 1.5 AuthCode (section 22.17.1): MD5(password, session id, message, sequence,
 * password) for MD5; the padded password itself for "straight"; nothing for none.
 */
export function ipmi15AuthCode(authType: number, password: Buffer, sessionId: number, sequence: number, payload: Buffer): Buffer {
  const pw = padded(password, 16);
  if (authType === AuthType.straight) return pw;
  if (authType === AuthType.md5) {
    return createHash('md5').update(pw).update(u32le(sessionId)).update(payload).update(u32le(sequence)).update(pw).digest();
  }
  return Buffer.alloc(16);
}

export function encodeIpmi15(p: Omit<Ipmi15Packet, 'authCode'>, password?: Buffer): Buffer {
  if (p.payload.length > 255) throw new IpmiDecodeError(`IPMI 1.5 payload of ${p.payload.length} bytes exceeds 255`);
  const head = Buffer.alloc(9);
  head[0] = p.authType;
  head.writeUInt32LE(p.sequence >>> 0, 1);
  head.writeUInt32LE(p.sessionId >>> 0, 5);
  const parts = [encodeRmcpHeader(), head];
  if (p.authType !== AuthType.none) {
    parts.push(ipmi15AuthCode(p.authType, password ?? Buffer.alloc(0), p.sessionId, p.sequence, p.payload));
  }
  parts.push(Buffer.from([p.payload.length]), p.payload);
  return Buffer.concat(parts);
}

export function decodeIpmi15(buf: Buffer): Ipmi15Packet {
  const r = new Reader(buf, 'IPMI 1.5 packet', 4);
  const authType = r.u8();
  if (authType === AuthType.rmcpPlus) throw new IpmiDecodeError('IPMI 1.5 packet: auth type 0x06 is an RMCP+ packet');
  const sequence = r.u32();
  const sessionId = r.u32();
  const authCode = authType === AuthType.none ? undefined : Buffer.from(r.bytes(16));
  const len = r.u8();
  const payload = Buffer.from(r.bytes(len));
  return authCode === undefined ? { authType, sequence, sessionId, payload } : { authType, sequence, sessionId, payload, authCode };
}

/** Checks an IPMI 1.5 packet's AuthCode; throws IpmiIntegrityError on a mismatch. */
export function verifyIpmi15(p: Ipmi15Packet, password: Buffer): void {
  if (p.authType === AuthType.none) return;
  const want = ipmi15AuthCode(p.authType, password, p.sessionId, p.sequence, p.payload);
  if (p.authCode === undefined || !codesEqual(want, p.authCode)) throw new IpmiIntegrityError('IPMI 1.5 packet: AuthCode mismatch');
}

// ---- RMCP+ ------------------------------------------------------------------------------------

export interface LanplusPacket {
  payloadType: number;
  encrypted: boolean;
  authenticated: boolean;
  sessionId: number;
  sequence: number;
  /** The payload in clear (decrypted when it travelled encrypted). */
  payload: Buffer;
}

/** Encodes an RMCP+ packet; `keys` are needed when it is authenticated or encrypted. */
export function encodeLanplus(p: LanplusPacket, keys?: SessionKeys, iv?: Buffer): Buffer {
  if ((p.authenticated || p.encrypted) && keys === undefined) throw new IpmiDecodeError('RMCP+ packet: protection asked without session keys');
  const wire = p.encrypted && keys !== undefined ? encryptPayload(keys.confidentiality, keys.confidentialityKey, p.payload, iv) : p.payload;
  if (wire.length > 0xffff) throw new IpmiDecodeError('RMCP+ payload too long');
  const head = Buffer.alloc(12);
  head[0] = AuthType.rmcpPlus;
  head[1] = (p.encrypted ? 0x80 : 0) | (p.authenticated ? 0x40 : 0) | (p.payloadType & 0x3f);
  head.writeUInt32LE(p.sessionId >>> 0, 2);
  head.writeUInt32LE(p.sequence >>> 0, 6);
  head.writeUInt16LE(wire.length, 10);
  if (!p.authenticated || keys === undefined) return Buffer.concat([encodeRmcpHeader(), head, wire]);
  const padLen = (4 - ((12 + wire.length + 2) % 4)) % 4;
  const trailer = Buffer.alloc(padLen + 2, 0xff);
  trailer[padLen] = padLen;
  trailer[padLen + 1] = NEXT_HEADER;
  const range = Buffer.concat([head, wire, trailer]);
  return Buffer.concat([encodeRmcpHeader(), range, integrityCode(keys, range)]);
}

/** The fields readable before any key is known: enough to find the session a packet is for. */
export interface LanplusHeader {
  payloadType: number;
  encrypted: boolean;
  authenticated: boolean;
  sessionId: number;
  sequence: number;
}

export function peekLanplus(buf: Buffer): LanplusHeader {
  const r = new Reader(buf, 'RMCP+ packet', 4);
  if (r.u8() !== AuthType.rmcpPlus) throw new IpmiDecodeError('RMCP+ packet: auth type is not 0x06');
  const pt = r.u8();
  if ((pt & 0x3f) === PayloadType.oemExplicit) throw new IpmiDecodeError('RMCP+ packet: OEM explicit payloads are not supported');
  return { payloadType: pt & 0x3f, encrypted: (pt & 0x80) !== 0, authenticated: (pt & 0x40) !== 0, sessionId: r.u32(), sequence: r.u32() };
}

/**
 * Decodes an RMCP+ packet, checking its AuthCode and decrypting its payload with `keys`. An
 * authenticated packet without keys, or one whose AuthCode does not match, is an IpmiIntegrityError.
 */
export function decodeLanplus(buf: Buffer, keys?: SessionKeys): LanplusPacket {
  // The RMCP header is outside the AuthCode: accept only the one exact form IPMI uses.
  if (buf.length < 4 || buf[0] !== 0x06 || buf[1] !== 0x00 || buf[2] !== 0xff || buf[3] !== RMCP_CLASS_IPMI) {
    throw new IpmiDecodeError('RMCP+ packet: RMCP header is not 06 00 ff 07');
  }
  const h = peekLanplus(buf);
  if (!h.authenticated && keys !== undefined && keys.integrity !== IntegrityAlg.none) {
    throw new IpmiIntegrityError('RMCP+ packet: unauthenticated packet in a session with integrity');
  }
  const r = new Reader(buf, 'RMCP+ packet', 14);
  const len = r.u16();
  const wire = r.bytes(len);
  if (h.authenticated) {
    if (keys === undefined || keys.integrity === IntegrityAlg.none) throw new IpmiIntegrityError('RMCP+ packet: authenticated packet for a session without integrity keys');
    const padLen = (4 - ((12 + len + 2) % 4)) % 4;
    const pad = r.bytes(padLen);
    for (const b of pad) if (b !== 0xff) throw new IpmiIntegrityError('RMCP+ packet: integrity pad is not 0xff');
    const declared = r.u8();
    if (declared !== padLen) throw new IpmiIntegrityError('RMCP+ packet: integrity pad length mismatch');
    if (r.u8() !== NEXT_HEADER) throw new IpmiIntegrityError('RMCP+ packet: next header is not 0x07');
    const end = r.offset;
    const code = r.rest();
    const want = integrityCode(keys, buf.subarray(4, end));
    if (!codesEqual(want, code)) throw new IpmiIntegrityError('RMCP+ packet: AuthCode mismatch');
  }
  let payload: Buffer;
  if (h.encrypted) {
    if (keys === undefined) throw new IpmiIntegrityError('RMCP+ packet: encrypted packet for a session without keys');
    payload = Buffer.from(decryptPayload(keys.confidentiality, keys.confidentialityKey, wire));
  } else {
    payload = Buffer.from(wire);
  }
  return { ...h, payload };
}

// ---- classification ---------------------------------------------------------------------------

export type DatagramKind = 'asf' | 'ipmi15' | 'lanplus';

/** What an incoming datagram is, from its RMCP class and auth type byte. */
export function classifyDatagram(buf: Buffer): DatagramKind {
  const h = decodeRmcpHeader(buf);
  const cls = h.messageClass & 0x1f;
  if (cls === RMCP_CLASS_ASF) return 'asf';
  if (cls !== RMCP_CLASS_IPMI) throw new IpmiDecodeError(`RMCP class 0x${cls.toString(16)} is neither ASF nor IPMI`);
  if (buf.length < 5) throw new IpmiDecodeError('IPMI datagram: no auth type byte');
  return buf[4] === AuthType.rmcpPlus ? 'lanplus' : 'ipmi15';
}
