/** OFPT_FLOW_MOD: add, modify or delete flow entries; and a builder with the spec's defaults. */
import { OFP_NO_BUFFER, OFPFC, OFPG, OFPP } from '../constants.js';
import { decodeInstructions, encodeInstructions, type Instruction } from '../instructions.js';
import { decodeMatch, encodeMatch, type Match } from '../oxm.js';
import type { Reader, Writer } from '../wire.js';

export interface FlowMod {
  type: 'flow_mod';
  xid: number;
  cookie: bigint;
  cookieMask: bigint;
  tableId: number;
  /** OFPFC_* */
  command: number;
  idleTimeout: number;
  hardTimeout: number;
  priority: number;
  bufferId: number;
  outPort: number;
  outGroup: number;
  /** OFPFF_* bits. */
  flags: number;
  match: Match;
  instructions: Instruction[];
}

/** The fields a caller usually sets; the rest default to an add into table 0 at priority 0x8000. */
export type FlowModSpec = Partial<Omit<FlowMod, 'type'>>;

export function flowMod(spec: FlowModSpec = {}): FlowMod {
  return {
    type: 'flow_mod',
    xid: spec.xid ?? 0,
    cookie: spec.cookie ?? 0n,
    cookieMask: spec.cookieMask ?? 0n,
    tableId: spec.tableId ?? 0,
    command: spec.command ?? OFPFC.ADD,
    idleTimeout: spec.idleTimeout ?? 0,
    hardTimeout: spec.hardTimeout ?? 0,
    priority: spec.priority ?? 0x8000,
    bufferId: spec.bufferId ?? OFP_NO_BUFFER,
    outPort: spec.outPort ?? OFPP.ANY,
    outGroup: spec.outGroup ?? OFPG.ANY,
    flags: spec.flags ?? 0,
    match: spec.match ?? [],
    instructions: spec.instructions ?? [],
  };
}

export function encodeFlowMod(w: Writer, m: FlowMod): void {
  w.u64(m.cookie, 'cookie');
  w.u64(m.cookieMask, 'cookie_mask');
  w.u8(m.tableId, 'table_id');
  w.u8(m.command, 'command');
  w.u16(m.idleTimeout, 'idle_timeout');
  w.u16(m.hardTimeout, 'hard_timeout');
  w.u16(m.priority, 'priority');
  w.u32(m.bufferId, 'buffer_id');
  w.u32(m.outPort, 'out_port');
  w.u32(m.outGroup, 'out_group');
  w.u16(m.flags, 'flags');
  w.zeros(2);
  encodeMatch(w, m.match);
  encodeInstructions(w, m.instructions);
}

export function decodeFlowMod(r: Reader, xid: number): FlowMod {
  const cookie = r.u64('cookie');
  const cookieMask = r.u64('cookie_mask');
  const tableId = r.u8();
  const command = r.u8();
  const idleTimeout = r.u16();
  const hardTimeout = r.u16();
  const priority = r.u16();
  const bufferId = r.u32();
  const outPort = r.u32();
  const outGroup = r.u32();
  const flags = r.u16();
  r.skip(2);
  const match = decodeMatch(r);
  const instructions = decodeInstructions(r);
  return { type: 'flow_mod', xid, cookie, cookieMask, tableId, command, idleTimeout, hardTimeout, priority, bufferId, outPort, outGroup, flags, match, instructions };
}
