/** OFPT_PACKET_IN (switch → controller) and OFPT_PACKET_OUT (controller → switch). */
import { decodeActions, encodeActions, type Action } from '../actions.js';
import { decodeMatch, encodeMatch, type Match } from '../oxm.js';
import type { Reader, Writer } from '../wire.js';

export interface PacketIn {
  type: 'packet_in';
  xid: number;
  bufferId: number;
  totalLen: number;
  /** OFPR_* */
  reason: number;
  tableId: number;
  cookie: bigint;
  /** Pipeline fields of the packet (in_port at least). */
  match: Match;
  data: Uint8Array;
}

export interface PacketOut {
  type: 'packet_out';
  xid: number;
  bufferId: number;
  inPort: number;
  actions: Action[];
  data: Uint8Array;
}

export function encodePacketIn(w: Writer, m: PacketIn): void {
  w.u32(m.bufferId, 'buffer_id');
  w.u16(m.totalLen, 'total_len');
  w.u8(m.reason, 'reason');
  w.u8(m.tableId, 'table_id');
  w.u64(m.cookie, 'cookie');
  encodeMatch(w, m.match);
  w.zeros(2);
  w.bytes(m.data);
}

export function decodePacketIn(r: Reader, xid: number): PacketIn {
  const bufferId = r.u32('buffer_id');
  const totalLen = r.u16();
  const reason = r.u8();
  const tableId = r.u8();
  const cookie = r.u64();
  const match = decodeMatch(r);
  r.skip(2);
  return { type: 'packet_in', xid, bufferId, totalLen, reason, tableId, cookie, match, data: r.rest() };
}

export function encodePacketOut(w: Writer, m: PacketOut): void {
  w.u32(m.bufferId, 'buffer_id');
  w.u32(m.inPort, 'in_port');
  const lenAt = w.pos;
  w.u16(0);
  w.zeros(6);
  const start = w.pos;
  encodeActions(w, m.actions);
  w.setU16At(lenAt, w.pos - start, 'actions_len');
  w.bytes(m.data);
}

export function decodePacketOut(r: Reader, xid: number): PacketOut {
  const bufferId = r.u32('buffer_id');
  const inPort = r.u32('in_port');
  const actionsLen = r.u16('actions_len');
  r.skip(6);
  const actions = decodeActions(r.sub(actionsLen, 'actions'));
  return { type: 'packet_out', xid, bufferId, inPort, actions, data: r.rest() };
}
