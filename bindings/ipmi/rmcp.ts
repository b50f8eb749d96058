/**
 * RMCP (ASF 2.0 / IPMI 2.0 section 13.1): the 4-byte header in front of every IPMI datagram, and
 * the ASF Presence Ping / Pong that asks "is a BMC listening here?" without any session.
 */
import { Reader } from './bytes.js';
import { IpmiDecodeError } from './errors.js';

export const RMCP_VERSION = 0x06;
/** Sequence number 0xff: "no RMCP ACK wanted", what IPMI uses. */
export const RMCP_NO_ACK = 0xff;
export const RMCP_CLASS_ASF = 0x06;
export const RMCP_CLASS_IPMI = 0x07;
/** ASF IANA enterprise number (4542), big-endian on the wire. */
export const ASF_IANA = 4542;
export const ASF_PRESENCE_PING = 0x80;
export const ASF_PRESENCE_PONG = 0x40;

export interface RmcpHeader {
  sequence: number;
  /** Message class, low 5 bits; bit 7 marks an RMCP ACK. */
  messageClass: number;
}

export function encodeRmcpHeader(h: RmcpHeader = { sequence: RMCP_NO_ACK, messageClass: RMCP_CLASS_IPMI }): Buffer {
  return Buffer.from([RMCP_VERSION, 0x00, h.sequence & 0xff, h.messageClass & 0xff]);
}

export function decodeRmcpHeader(buf: Buffer): RmcpHeader {
  const r = new Reader(buf, 'RMCP header');
  const version = r.u8();
  r.u8();
  const sequence = r.u8();
  const messageClass = r.u8();
  if (version !== RMCP_VERSION) throw new IpmiDecodeError(`RMCP header: version 0x${version.toString(16)} is not 0x06`);
  return { sequence, messageClass };
}

export interface AsfMessage {
  /** 0x80 presence ping, 0x40 presence pong. */
  type: number;
  tag: number;
  data: Buffer;
}

/** An ASF message with its RMCP header. */
export function encodeAsf(m: AsfMessage): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(ASF_IANA, 0);
  head[4] = m.type;
  head[5] = m.tag & 0xff;
  head[6] = 0;
  head[7] = m.data.length;
  return Buffer.concat([encodeRmcpHeader({ sequence: RMCP_NO_ACK, messageClass: RMCP_CLASS_ASF }), head, m.data]);
}

export function decodeAsf(buf: Buffer): AsfMessage {
  const h = decodeRmcpHeader(buf);
  if ((h.messageClass & 0x1f) !== RMCP_CLASS_ASF) throw new IpmiDecodeError('ASF message: RMCP class is not ASF');
  const r = new Reader(buf, 'ASF message', 4);
  const iana = r.bytes(4).readUInt32BE(0);
  if (iana !== ASF_IANA) throw new IpmiDecodeError(`ASF message: IANA ${iana} is not ASF's 4542`);
  const type = r.u8();
  const tag = r.u8();
  r.u8();
  const len = r.u8();
  return { type, tag, data: Buffer.from(r.bytes(len)) };
}

/** What a Presence Pong says about the BMC (ASF 2.0 section 3.2.4.3). */
export interface PresencePong {
  iana: number;
  oem: number;
  /** Bit 7 of the supported entities byte: IPMI is supported. */
  ipmiSupported: boolean;
  asfVersion: number;
}

export function decodePresencePong(m: AsfMessage): PresencePong {
  if (m.type !== ASF_PRESENCE_PONG) throw new IpmiDecodeError(`ASF message type 0x${m.type.toString(16)} is not a presence pong`);
  const r = new Reader(m.data, 'presence pong');
  const iana = r.bytes(4).readUInt32BE(0);
  const oem = r.bytes(4).readUInt32BE(0);
  const entities = r.u8();
  return { iana, oem, ipmiSupported: (entities & 0x80) !== 0, asfVersion: entities & 0x0f };
}

export function encodePresencePong(p: PresencePong, tag: number): Buffer {
  const d = Buffer.alloc(16);
  d.writeUInt32BE(p.iana >>> 0, 0);
  d.writeUInt32BE(p.oem >>> 0, 4);
  d[8] = (p.ipmiSupported ? 0x80 : 0) | (p.asfVersion & 0x0f);
  return encodeAsf({ type: ASF_PRESENCE_PONG, tag, data: d });
}
