/**
 * The IPMI LAN message inside a session payload (IPMI 2.0 section 13.8): responder and requester
 * addresses, network function, LUNs, sequence, command, data, and two 2's-complement checksums.
 */
import { Reader } from './bytes.js';
import { IpmiDecodeError } from './errors.js';

export const BMC_SLAVE_ADDRESS = 0x20;
/** Software ID 0x81: "remote console software 1". */
export const REMOTE_CONSOLE_SWID = 0x81;

export const NetFn = {
  chassis: 0x00,
  bridge: 0x02,
  sensorEvent: 0x04,
  app: 0x06,
  firmware: 0x08,
  storage: 0x0a,
  transport: 0x0c,
} as const;

export interface IpmiRequest {
  netFn: number;
  command: number;
  data: Buffer;
  /** 6-bit requester sequence that pairs a response with its request. */
  rqSeq: number;
  rsAddr?: number;
  rsLun?: number;
  rqAddr?: number;
  rqLun?: number;
}

export interface IpmiMessage {
  rsAddr: number;
  netFn: number;
  rsLun: number;
  rqAddr: number;
  rqSeq: number;
  rqLun: number;
  command: number;
  /** Everything after the command byte, before the last checksum (a response starts with its completion code). */
  data: Buffer;
}

/** 2's-complement checksum: the byte that makes the sum of the range 0 mod 256. */
export function checksum(buf: Buffer, start = 0, end = buf.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + (buf[i] as number)) & 0xff;
  return (0x100 - sum) & 0xff;
}

export function encodeMessage(m: IpmiMessage): Buffer {
  const out = Buffer.alloc(7 + m.data.length);
  out[0] = m.rsAddr & 0xff;
  out[1] = ((m.netFn & 0x3f) << 2) | (m.rsLun & 0x03);
  out[2] = checksum(out, 0, 2);
  out[3] = m.rqAddr & 0xff;
  out[4] = ((m.rqSeq & 0x3f) << 2) | (m.rqLun & 0x03);
  out[5] = m.command & 0xff;
  m.data.copy(out, 6);
  out[out.length - 1] = checksum(out, 3, out.length - 1);
  return out;
}

export function encodeRequest(req: IpmiRequest): Buffer {
  return encodeMessage({
    rsAddr: req.rsAddr ?? BMC_SLAVE_ADDRESS,
    netFn: req.netFn,
    rsLun: req.rsLun ?? 0,
    rqAddr: req.rqAddr ?? REMOTE_CONSOLE_SWID,
    rqSeq: req.rqSeq,
    rqLun: req.rqLun ?? 0,
    command: req.command,
    data: req.data,
  });
}

export function decodeMessage(buf: Buffer): IpmiMessage {
  if (buf.length < 7) throw new IpmiDecodeError(`IPMI message: ${buf.length} byte(s), need at least 7`);
  if (checksum(buf, 0, 3) !== 0) throw new IpmiDecodeError('IPMI message: header checksum mismatch');
  if (checksum(buf, 3, buf.length) !== 0) throw new IpmiDecodeError('IPMI message: data checksum mismatch');
  const r = new Reader(buf, 'IPMI message');
  const rsAddr = r.u8();
  const nl = r.u8();
  r.u8();
  const rqAddr = r.u8();
  const sl = r.u8();
  const command = r.u8();
  return {
    rsAddr,
    netFn: nl >> 2,
    rsLun: nl & 3,
    rqAddr,
    rqSeq: sl >> 2,
    rqLun: sl & 3,
    command,
    data: Buffer.from(buf.subarray(6, buf.length - 1)),
  };
}

export interface IpmiResponse {
  /** The request's netFn (the response's netFn minus one). */
  netFn: number;
  command: number;
  rqSeq: number;
  completionCode: number;
  data: Buffer;
}

/**
 * A response as seen by the requester. In a response the roles swap: the first address is the
 * requester's (us), the odd netFn is the request's plus one.
 */
export function decodeResponse(buf: Buffer): IpmiResponse {
  const m = decodeMessage(buf);
  if ((m.netFn & 1) !== 1) throw new IpmiDecodeError(`IPMI message: netFn 0x${m.netFn.toString(16)} is a request, not a response`);
  if (m.data.length < 1) throw new IpmiDecodeError('IPMI response: no completion code');
  return { netFn: m.netFn - 1, command: m.command, rqSeq: m.rqSeq, completionCode: m.data[0] as number, data: Buffer.from(m.data.subarray(1)) };
}
