/**
 * Requests outside any session (IPMI 1.5 wrapper, auth type none, session 0) and Get Channel
 * Authentication Capabilities (section 22.13), the first thing every login asks.
 */
import { Reader } from './bytes.js';
import { IpmiAuthError, IpmiDecodeError } from './errors.js';
import { NetFn, decodeResponse, encodeRequest } from './message.js';
import { AuthType, classifyDatagram, decodeIpmi15, encodeIpmi15 } from './packet.js';
import type { RawResponse } from './session.js';
import type { RetryPolicy, UdpTransport } from './transport.js';

export async function sessionlessRequest(
  t: UdpTransport,
  policy: RetryPolicy,
  netFn: number,
  command: number,
  data: Buffer,
  rqSeq: number,
  waitingFor: string,
): Promise<RawResponse> {
  const payload = encodeRequest({ netFn, command, data, rqSeq });
  const datagram = encodeIpmi15({ authType: AuthType.none, sequence: 0, sessionId: 0, payload });
  return t.exchange(
    () => datagram,
    (buf) => {
      if (classifyDatagram(buf) !== 'ipmi15') return undefined;
      const p = decodeIpmi15(buf);
      if (p.sessionId !== 0) return undefined;
      const r = decodeResponse(p.payload);
      if (r.netFn !== netFn || r.command !== command || r.rqSeq !== (rqSeq & 0x3f)) return undefined;
      return { value: { completionCode: r.completionCode, data: r.data } };
    },
    policy,
    waitingFor,
  );
}

export interface ChannelAuthCapabilities {
  channel: number;
  /** IPMI 1.5 auth types enabled: bit 0 none, 1 MD2, 2 MD5, 4 straight password, 5 OEM. */
  authTypes: number;
  /** The BMC answered with IPMI 2.0 extended data and supports RMCP+. */
  ipmi20: boolean;
  ipmi15: boolean;
  kgSet: boolean;
  perMessageAuth: boolean;
  userLevelAuth: boolean;
  nonNullUsers: boolean;
  nullUsers: boolean;
  anonymousLogin: boolean;
  oemIana: number;
}

export function encodeGetChannelAuthCapabilities(privilege: number, ipmi20: boolean): Buffer {
  return Buffer.from([(ipmi20 ? 0x80 : 0) | 0x0e, privilege & 0x0f]);
}

export function decodeChannelAuthCapabilities(data: Buffer): ChannelAuthCapabilities {
  const r = new Reader(data, 'channel authentication capabilities');
  const channel = r.u8();
  const b2 = r.u8();
  const b3 = r.u8();
  const b4 = r.u8();
  const oem = r.bytes(3);
  if (data.length < 8) throw new IpmiDecodeError('channel authentication capabilities: truncated');
  const ext = (b2 & 0x80) !== 0;
  return {
    channel,
    authTypes: b2 & 0x3f,
    ipmi20: ext && (b4 & 0x02) !== 0,
    ipmi15: !ext || (b4 & 0x01) !== 0,
    kgSet: (b3 & 0x20) !== 0,
    perMessageAuth: (b3 & 0x10) === 0,
    userLevelAuth: (b3 & 0x08) === 0,
    nonNullUsers: (b3 & 0x04) !== 0,
    nullUsers: (b3 & 0x02) !== 0,
    anonymousLogin: (b3 & 0x01) !== 0,
    oemIana: (oem[0] as number) | ((oem[1] as number) << 8) | ((oem[2] as number) << 16),
  };
}

export const GET_CHANNEL_AUTH_CAPABILITIES = 0x38;

/** Asks with the IPMI 2.0 bit first; a BMC that knows only 1.5 rejects it, then asks without. */
export async function getChannelAuthCapabilities(t: UdpTransport, policy: RetryPolicy, privilege: number, rqSeq: number): Promise<ChannelAuthCapabilities> {
  let r = await sessionlessRequest(t, policy, NetFn.app, GET_CHANNEL_AUTH_CAPABILITIES, encodeGetChannelAuthCapabilities(privilege, true), rqSeq, 'Get Channel Authentication Capabilities');
  if (r.completionCode !== 0) {
    r = await sessionlessRequest(t, policy, NetFn.app, GET_CHANNEL_AUTH_CAPABILITIES, encodeGetChannelAuthCapabilities(privilege, false), rqSeq + 1, 'Get Channel Authentication Capabilities');
  }
  if (r.completionCode !== 0) throw new IpmiAuthError('get-channel-auth-capabilities', 'the BMC refused the request', r.completionCode);
  return decodeChannelAuthCapabilities(r.data);
}

export const GET_CHANNEL_CIPHER_SUITES = 0x54;

/**
 * Decodes the record data of Get Channel Cipher Suites (section 22.15, "list algorithms by cipher
 * suite"): records 0xC0 id auth integrity conf... (0xC1 records carry an OEM IANA first).
 */
export function decodeCipherSuiteRecords(data: Buffer): number[] {
  const ids: number[] = [];
  let i = 0;
  while (i < data.length) {
    const tag = data[i] as number;
    if (tag === 0xc0 || tag === 0xc1) {
      const idAt = i + 1;
      if (idAt >= data.length) break;
      if (tag === 0xc0) ids.push(data[idAt] as number);
      i = idAt + 1 + (tag === 0xc1 ? 3 : 0);
      // Skip the algorithm bytes (tagged 00xxxxxx, 01xxxxxx, 10xxxxxx) up to the next record.
      while (i < data.length && ((data[i] as number) & 0xc0) !== 0xc0) i++;
    } else {
      i++;
    }
  }
  return ids;
}

/** The cipher suites the LAN channel supports, asked outside a session; undefined when the BMC will not say. */
export async function getChannelCipherSuites(t: UdpTransport, policy: RetryPolicy, rqSeq: number): Promise<number[] | undefined> {
  const chunks: Buffer[] = [];
  for (let index = 0; index < 64; index++) {
    let r: RawResponse;
    try {
      r = await sessionlessRequest(t, policy, NetFn.app, GET_CHANNEL_CIPHER_SUITES, Buffer.from([0x0e, 0x00, 0x80 | index]), rqSeq + index, 'Get Channel Cipher Suites');
    } catch {
      return undefined;
    }
    if (r.completionCode !== 0 || r.data.length < 1) return undefined;
    const part = r.data.subarray(1);
    chunks.push(part);
    if (part.length < 16) break;
  }
  return decodeCipherSuiteRecords(Buffer.concat(chunks));
}
