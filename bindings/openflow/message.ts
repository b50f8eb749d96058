/**
 * Every OpenFlow 1.3 message as one discriminated union, with encodeMessage/decodeMessage.
 * Message types outside OpenFlow 1.3 decode as `raw`.
 */
import { OFP_VERSION, OFPT } from './constants.js';
import { OpenFlowDecodeError, OpenFlowEncodeError } from './errors.js';
import { OFP_HEADER_LEN, OFP_MAX_MESSAGE_LEN, readHeader } from './header.js';
import { decodeError, encodeError, type ErrorMsg } from './messages/error.js';
import { decodeFlowMod, encodeFlowMod, type FlowMod } from './messages/flow-mod.js';
import { decodeFlowRemoved, encodeFlowRemoved, type FlowRemoved } from './messages/flow-removed.js';
import { decodeGroupMod, encodeGroupMod, type GroupMod } from './messages/group-mod.js';
import { decodeHello, encodeHello, type Hello } from './messages/hello.js';
import { decodeQueueGetConfigReply, encodeQueueGetConfigReply, type QueueGetConfigReply } from './messages/queue-config.js';
import { decodeMeterMod, encodeMeterMod, type MeterMod } from './messages/meter-mod.js';
import { decodePacketIn, decodePacketOut, encodePacketIn, encodePacketOut, type PacketIn, type PacketOut } from './messages/packet.js';
import { decodePortMod, decodePortStatus, encodePortMod, encodePortStatus, type PortMod, type PortStatus } from './messages/port.js';
import * as s from './messages/simple.js';
import {
  decodeMultipartReplyBody,
  decodeMultipartRequestBody,
  encodeMultipartReplyBody,
  encodeMultipartRequestBody,
  multipartCode,
  type MultipartReplyBody,
  type MultipartRequestBody,
} from './multipart.js';
import { Reader, Writer } from './wire.js';

export interface MultipartRequest {
  type: 'multipart_request';
  xid: number;
  /** OFPMPF_REQ_MORE */
  flags: number;
  body: MultipartRequestBody;
}
export interface MultipartReply {
  type: 'multipart_reply';
  xid: number;
  /** OFPMPF_REPLY_MORE: more parts of this reply follow. */
  flags: number;
  body: MultipartReplyBody;
}
/** A message of a type this binding does not model; the body is kept as received. */
export interface RawMessage {
  type: 'raw';
  xid: number;
  msgType: number;
  body: Uint8Array;
}

export type OfMessage =
  | Hello
  | ErrorMsg
  | s.EchoRequest
  | s.EchoReply
  | s.Experimenter
  | s.FeaturesRequest
  | s.FeaturesReply
  | s.GetConfigRequest
  | s.GetConfigReply
  | s.SetConfig
  | PacketIn
  | FlowRemoved
  | PortStatus
  | PacketOut
  | FlowMod
  | GroupMod
  | PortMod
  | s.TableMod
  | MultipartRequest
  | MultipartReply
  | s.BarrierRequest
  | s.BarrierReply
  | s.QueueGetConfigRequest
  | QueueGetConfigReply
  | s.RoleRequest
  | s.RoleReply
  | s.GetAsyncRequest
  | s.GetAsyncReply
  | s.SetAsync
  | MeterMod
  | RawMessage;

export type OfMessageType = OfMessage['type'];
export type MessageOf<T extends OfMessageType> = Extract<OfMessage, { type: T }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A message to send: the connection assigns the xid unless one is given. */
export type OfMessageInput = DistributiveOmit<OfMessage, 'xid'> & { xid?: number };

const CODE: Record<Exclude<OfMessageType, 'raw'>, number> = {
  hello: OFPT.HELLO,
  error: OFPT.ERROR,
  echo_request: OFPT.ECHO_REQUEST,
  echo_reply: OFPT.ECHO_REPLY,
  experimenter: OFPT.EXPERIMENTER,
  features_request: OFPT.FEATURES_REQUEST,
  features_reply: OFPT.FEATURES_REPLY,
  get_config_request: OFPT.GET_CONFIG_REQUEST,
  get_config_reply: OFPT.GET_CONFIG_REPLY,
  set_config: OFPT.SET_CONFIG,
  packet_in: OFPT.PACKET_IN,
  flow_removed: OFPT.FLOW_REMOVED,
  port_status: OFPT.PORT_STATUS,
  packet_out: OFPT.PACKET_OUT,
  flow_mod: OFPT.FLOW_MOD,
  group_mod: OFPT.GROUP_MOD,
  port_mod: OFPT.PORT_MOD,
  table_mod: OFPT.TABLE_MOD,
  multipart_request: OFPT.MULTIPART_REQUEST,
  multipart_reply: OFPT.MULTIPART_REPLY,
  barrier_request: OFPT.BARRIER_REQUEST,
  barrier_reply: OFPT.BARRIER_REPLY,
  queue_get_config_request: OFPT.QUEUE_GET_CONFIG_REQUEST,
  queue_get_config_reply: OFPT.QUEUE_GET_CONFIG_REPLY,
  role_request: OFPT.ROLE_REQUEST,
  role_reply: OFPT.ROLE_REPLY,
  get_async_request: OFPT.GET_ASYNC_REQUEST,
  get_async_reply: OFPT.GET_ASYNC_REPLY,
  set_async: OFPT.SET_ASYNC,
  meter_mod: OFPT.METER_MOD,
};

/** Wire type number of a message. */
export function messageCode(m: OfMessage | OfMessageInput): number {
  return m.type === 'raw' ? m.msgType : CODE[m.type];
}

function encodeBody(w: Writer, m: OfMessage): void {
  switch (m.type) {
    case 'hello':
      return encodeHello(w, m);
    case 'error':
      return encodeError(w, m);
    case 'echo_request':
    case 'echo_reply':
      return s.encodeData(w, m);
    case 'experimenter':
      return s.encodeExperimenter(w, m);
    case 'features_reply':
      return s.encodeFeaturesReply(w, m);
    case 'get_config_reply':
    case 'set_config':
      return s.encodeSwitchConfig(w, m);
    case 'packet_in':
      return encodePacketIn(w, m);
    case 'flow_removed':
      return encodeFlowRemoved(w, m);
    case 'port_status':
      return encodePortStatus(w, m);
    case 'packet_out':
      return encodePacketOut(w, m);
    case 'flow_mod':
      return encodeFlowMod(w, m);
    case 'group_mod':
      return encodeGroupMod(w, m);
    case 'port_mod':
      return encodePortMod(w, m);
    case 'table_mod':
      return s.encodeTableMod(w, m);
    case 'multipart_request':
    case 'multipart_reply':
      w.u16(multipartCode(m.body.kind), 'multipart type');
      w.u16(m.flags, 'multipart flags');
      w.zeros(4);
      if (m.type === 'multipart_request') encodeMultipartRequestBody(w, m.body);
      else encodeMultipartReplyBody(w, m.body);
      return;
    case 'queue_get_config_request':
      return s.encodeQueueGetConfigRequest(w, m);
    case 'queue_get_config_reply':
      return encodeQueueGetConfigReply(w, m);
    case 'role_request':
    case 'role_reply':
      return s.encodeRole(w, m);
    case 'get_async_reply':
    case 'set_async':
      return s.encodeAsync(w, m);
    case 'meter_mod':
      return encodeMeterMod(w, m);
    case 'raw':
      return w.bytes(m.body, 'raw body');
    case 'features_request':
    case 'get_config_request':
    case 'barrier_request':
    case 'barrier_reply':
    case 'get_async_request':
      return;
    default:
      throw new OpenFlowEncodeError(`unknown message type ${String((m as { type?: unknown }).type)}`);
  }
}

/**
 * Encodes into `w` (appending), so that a batch can share one buffer. Throws OpenFlowEncodeError
 * for values out of range or a message over 65,535 bytes.
 */
export function encodeMessageInto(w: Writer, m: OfMessage): void {
  if (m === null || typeof m !== 'object') throw new OpenFlowEncodeError('message: expected an object');
  const start = w.pos;
  const code = messageCode(m);
  if (code === undefined) throw new OpenFlowEncodeError(`unknown message type ${String((m as { type?: unknown }).type)}`);
  w.u8(m.type === 'hello' ? m.version : OFP_VERSION, 'version');
  w.u8(code, 'message type');
  w.u16(0);
  w.u32(m.xid, 'xid');
  encodeBody(w, m);
  const len = w.pos - start;
  if (len > OFP_MAX_MESSAGE_LEN) throw new OpenFlowEncodeError(`${m.type}: ${len} bytes exceeds the 65,535-byte message limit`);
  w.setU16At(start + 2, len);
}

/** One scratch buffer for encodeMessage: encoding is synchronous, so it is never shared. */
const scratch = new Writer(4096);

export function encodeMessage(m: OfMessage): Uint8Array {
  scratch.pos = 0;
  try {
    encodeMessageInto(scratch, m);
  } catch (e) {
    scratch.pos = 0;
    throw e;
  }
  return scratch.take();
}

function decodeBody(r: Reader, type: number, xid: number, version: number): OfMessage {
  switch (type) {
    case OFPT.HELLO:
      return decodeHello(r, xid, version);
    case OFPT.ERROR:
      return decodeError(r, xid);
    case OFPT.ECHO_REQUEST:
      return { type: 'echo_request', xid, data: r.rest() };
    case OFPT.ECHO_REPLY:
      return { type: 'echo_reply', xid, data: r.rest() };
    case OFPT.EXPERIMENTER:
      return s.decodeExperimenter(r, xid);
    case OFPT.FEATURES_REQUEST:
      return { type: 'features_request', xid };
    case OFPT.FEATURES_REPLY:
      return s.decodeFeaturesReply(r, xid);
    case OFPT.GET_CONFIG_REQUEST:
      return { type: 'get_config_request', xid };
    case OFPT.GET_CONFIG_REPLY:
      return { type: 'get_config_reply', xid, ...s.decodeSwitchConfig(r) };
    case OFPT.SET_CONFIG:
      return { type: 'set_config', xid, ...s.decodeSwitchConfig(r) };
    case OFPT.PACKET_IN:
      return decodePacketIn(r, xid);
    case OFPT.FLOW_REMOVED:
      return decodeFlowRemoved(r, xid);
    case OFPT.PORT_STATUS:
      return decodePortStatus(r, xid);
    case OFPT.PACKET_OUT:
      return decodePacketOut(r, xid);
    case OFPT.FLOW_MOD:
      return decodeFlowMod(r, xid);
    case OFPT.GROUP_MOD:
      return decodeGroupMod(r, xid);
    case OFPT.PORT_MOD:
      return decodePortMod(r, xid);
    case OFPT.TABLE_MOD:
      return s.decodeTableMod(r, xid);
    case OFPT.MULTIPART_REQUEST:
    case OFPT.MULTIPART_REPLY: {
      const mpType = r.u16('multipart type');
      const flags = r.u16('multipart flags');
      r.skip(4);
      if (type === OFPT.MULTIPART_REQUEST) return { type: 'multipart_request', xid, flags, body: decodeMultipartRequestBody(r, mpType) };
      return { type: 'multipart_reply', xid, flags, body: decodeMultipartReplyBody(r, mpType) };
    }
    case OFPT.BARRIER_REQUEST:
      return { type: 'barrier_request', xid };
    case OFPT.BARRIER_REPLY:
      return { type: 'barrier_reply', xid };
    case OFPT.QUEUE_GET_CONFIG_REQUEST:
      return s.decodeQueueGetConfigRequest(r, xid);
    case OFPT.QUEUE_GET_CONFIG_REPLY:
      return decodeQueueGetConfigReply(r, xid);
    case OFPT.ROLE_REQUEST:
      return { type: 'role_request', xid, ...s.decodeRole(r) };
    case OFPT.ROLE_REPLY:
      return { type: 'role_reply', xid, ...s.decodeRole(r) };
    case OFPT.GET_ASYNC_REQUEST:
      return { type: 'get_async_request', xid };
    case OFPT.GET_ASYNC_REPLY:
      return { type: 'get_async_reply', xid, ...s.decodeAsync(r) };
    case OFPT.SET_ASYNC:
      return { type: 'set_async', xid, ...s.decodeAsync(r) };
    case OFPT.METER_MOD:
      return decodeMeterMod(r, xid);
    default:
      return { type: 'raw', xid, msgType: type, body: r.rest() };
  }
}

/**
 * Decodes exactly one message from `bytes` (its header's length must equal bytes.length unless
 * `allowTrailing`). Hellos of any version decode (negotiation needs them); other messages must be
 * version 0x04. Anything malformed throws OpenFlowDecodeError, nothing else.
 */
export function decodeMessage(bytes: Uint8Array): OfMessage {
  const h = readHeader(bytes);
  if (h.length !== bytes.length) throw new OpenFlowDecodeError(`header length ${h.length} but ${bytes.length} bytes given`, 2);
  if (h.version !== OFP_VERSION && h.type !== OFPT.HELLO && h.type !== OFPT.ERROR) throw new OpenFlowDecodeError(`wire version 0x${h.version.toString(16)} is not OpenFlow 1.3 (0x04)`, 0);
  const r = new Reader(bytes, OFP_HEADER_LEN, h.length);
  let m: OfMessage;
  try {
    m = decodeBody(r, h.type, h.xid, h.version);
  } catch (e) {
    if (e instanceof OpenFlowDecodeError) throw e;
    // Defence in depth: the Reader checks bounds, but nothing else may escape the decoder.
    throw new OpenFlowDecodeError(`malformed message type ${h.type}: ${(e as Error).message}`, r.pos, { cause: e });
  }
  if (r.remaining !== 0 && h.type !== OFPT.HELLO) throw new OpenFlowDecodeError(`${r.remaining} trailing bytes after message type ${h.type}`, r.pos);
  return m;
}
