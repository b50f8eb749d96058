/** OFPT_FLOW_REMOVED: a flow entry with OFPFF_SEND_FLOW_REM expired or was deleted. */
import { decodeMatch, encodeMatch, type Match } from '../oxm.js';
import type { Reader, Writer } from '../wire.js';

export interface FlowRemoved {
  type: 'flow_removed';
  xid: number;
  cookie: bigint;
  priority: number;
  /** OFPRR_* */
  reason: number;
  tableId: number;
  durationSec: number;
  durationNsec: number;
  idleTimeout: number;
  hardTimeout: number;
  packetCount: bigint;
  byteCount: bigint;
  match: Match;
}

export function encodeFlowRemoved(w: Writer, m: FlowRemoved): void {
  w.u64(m.cookie, 'cookie');
  w.u16(m.priority, 'priority');
  w.u8(m.reason, 'reason');
  w.u8(m.tableId, 'table_id');
  w.u32(m.durationSec, 'duration_sec');
  w.u32(m.durationNsec, 'duration_nsec');
  w.u16(m.idleTimeout, 'idle_timeout');
  w.u16(m.hardTimeout, 'hard_timeout');
  w.u64(m.packetCount, 'packet_count');
  w.u64(m.byteCount, 'byte_count');
  encodeMatch(w, m.match);
}

export function decodeFlowRemoved(r: Reader, xid: number): FlowRemoved {
  const cookie = r.u64('cookie');
  const priority = r.u16();
  const reason = r.u8();
  const tableId = r.u8();
  const durationSec = r.u32();
  const durationNsec = r.u32();
  const idleTimeout = r.u16();
  const hardTimeout = r.u16();
  const packetCount = r.u64();
  const byteCount = r.u64();
  const match = decodeMatch(r);
  return { type: 'flow_removed', xid, cookie, priority, reason, tableId, durationSec, durationNsec, idleTimeout, hardTimeout, packetCount, byteCount, match };
}
