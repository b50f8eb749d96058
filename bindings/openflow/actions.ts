/** OpenFlow 1.3 actions (ofp_action_*), as used in apply/write-actions, group buckets and packet_out. */
import { OpenFlowEncodeError } from './errors.js';
import { decodeOxm, encodeOxm, type OxmField } from './oxm.js';
import type { Reader, Writer } from './wire.js';

export const OFPAT = {
  OUTPUT: 0,
  COPY_TTL_OUT: 11,
  COPY_TTL_IN: 12,
  SET_MPLS_TTL: 15,
  DEC_MPLS_TTL: 16,
  PUSH_VLAN: 17,
  POP_VLAN: 18,
  PUSH_MPLS: 19,
  POP_MPLS: 20,
  SET_QUEUE: 21,
  GROUP: 22,
  SET_NW_TTL: 23,
  DEC_NW_TTL: 24,
  SET_FIELD: 25,
  PUSH_PBB: 26,
  POP_PBB: 27,
  EXPERIMENTER: 0xffff,
} as const;

export type Action =
  | { type: 'output'; port: number; maxLen: number }
  | { type: 'copy_ttl_out' }
  | { type: 'copy_ttl_in' }
  | { type: 'set_mpls_ttl'; ttl: number }
  | { type: 'dec_mpls_ttl' }
  | { type: 'push_vlan'; ethertype: number }
  | { type: 'pop_vlan' }
  | { type: 'push_mpls'; ethertype: number }
  | { type: 'pop_mpls'; ethertype: number }
  | { type: 'set_queue'; queueId: number }
  | { type: 'group'; groupId: number }
  | { type: 'set_nw_ttl'; ttl: number }
  | { type: 'dec_nw_ttl' }
  | { type: 'set_field'; field: OxmField }
  | { type: 'push_pbb'; ethertype: number }
  | { type: 'pop_pbb' }
  /** `data` follows the experimenter id; its length must keep the action a multiple of 8 bytes. */
  | { type: 'experimenter'; experimenter: number; data: Uint8Array };

export type ActionType = Action['type'];

const EMPTY: Partial<Record<ActionType, number>> = {
  copy_ttl_out: OFPAT.COPY_TTL_OUT,
  copy_ttl_in: OFPAT.COPY_TTL_IN,
  dec_mpls_ttl: OFPAT.DEC_MPLS_TTL,
  pop_vlan: OFPAT.POP_VLAN,
  dec_nw_ttl: OFPAT.DEC_NW_TTL,
  pop_pbb: OFPAT.POP_PBB,
};
const ETHERTYPE: Partial<Record<ActionType, number>> = {
  push_vlan: OFPAT.PUSH_VLAN,
  push_mpls: OFPAT.PUSH_MPLS,
  pop_mpls: OFPAT.POP_MPLS,
  push_pbb: OFPAT.PUSH_PBB,
};

export function encodeAction(w: Writer, a: Action): void {
  const start = w.pos;
  const head = (type: number): void => {
    w.u16(type);
    w.u16(0);
  };
  switch (a.type) {
    case 'output':
      head(OFPAT.OUTPUT);
      w.u32(a.port, 'output port');
      w.u16(a.maxLen, 'output max_len');
      w.zeros(6);
      break;
    case 'set_mpls_ttl':
    case 'set_nw_ttl':
      head(a.type === 'set_mpls_ttl' ? OFPAT.SET_MPLS_TTL : OFPAT.SET_NW_TTL);
      w.u8(a.ttl, `${a.type} ttl`);
      w.zeros(3);
      break;
    case 'push_vlan':
    case 'push_mpls':
    case 'pop_mpls':
    case 'push_pbb':
      head(ETHERTYPE[a.type] as number);
      w.u16(a.ethertype, `${a.type} ethertype`);
      w.zeros(2);
      break;
    case 'set_queue':
      head(OFPAT.SET_QUEUE);
      w.u32(a.queueId, 'queue id');
      break;
    case 'group':
      head(OFPAT.GROUP);
      w.u32(a.groupId, 'group id');
      break;
    case 'set_field':
      head(OFPAT.SET_FIELD);
      if (a.field.field !== 'other' && a.field.mask !== undefined) throw new OpenFlowEncodeError('set_field: OpenFlow 1.3 set_field takes no mask');
      encodeOxm(w, a.field);
      w.pad8(start);
      break;
    case 'experimenter':
      head(OFPAT.EXPERIMENTER);
      w.u32(a.experimenter, 'experimenter id');
      if (a.data.length % 8 !== 0) throw new OpenFlowEncodeError('experimenter action: data length must be a multiple of 8');
      w.bytes(a.data);
      break;
    default: {
      const code = EMPTY[(a as Action).type];
      if (code === undefined) throw new OpenFlowEncodeError(`unknown action type ${String((a as { type?: unknown }).type)}`);
      head(code);
      w.zeros(4);
    }
  }
  w.setU16At(start + 2, w.pos - start, 'action length');
}

const EMPTY_BY_CODE = new Map(Object.entries(EMPTY).map(([k, v]) => [v as number, k as ActionType]));
const ETHERTYPE_BY_CODE = new Map(Object.entries(ETHERTYPE).map(([k, v]) => [v as number, k as ActionType]));

export function decodeAction(r: Reader): Action {
  const type = r.u16('action type');
  const len = r.u16('action length');
  if (len < 8 || len % 8 !== 0) r.fail(`action ${type}: length ${len} is not a positive multiple of 8`);
  const b = r.sub(len - 4, 'action body');
  const fixed = (n: number): void => {
    if (len !== n) b.fail(`action ${type}: length ${len}, expected ${n}`);
  };
  switch (type) {
    case OFPAT.OUTPUT: {
      fixed(16);
      const port = b.u32();
      const maxLen = b.u16();
      return { type: 'output', port, maxLen };
    }
    case OFPAT.SET_MPLS_TTL:
    case OFPAT.SET_NW_TTL:
      fixed(8);
      return { type: type === OFPAT.SET_MPLS_TTL ? 'set_mpls_ttl' : 'set_nw_ttl', ttl: b.u8() };
    case OFPAT.SET_QUEUE:
      fixed(8);
      return { type: 'set_queue', queueId: b.u32() };
    case OFPAT.GROUP:
      fixed(8);
      return { type: 'group', groupId: b.u32() };
    case OFPAT.SET_FIELD:
      return { type: 'set_field', field: decodeOxm(b) };
    case OFPAT.EXPERIMENTER: {
      const experimenter = b.u32('experimenter id');
      return { type: 'experimenter', experimenter, data: b.rest() };
    }
  }
  const eth = ETHERTYPE_BY_CODE.get(type);
  if (eth !== undefined) {
    fixed(8);
    return { type: eth, ethertype: b.u16() } as Action;
  }
  const empty = EMPTY_BY_CODE.get(type);
  if (empty !== undefined) {
    fixed(8);
    return { type: empty } as Action;
  }
  return r.fail(`unknown action type ${type}`);
}

export function encodeActions(w: Writer, actions: readonly Action[]): void {
  if (!Array.isArray(actions)) throw new OpenFlowEncodeError('actions: expected an array');
  for (const a of actions) encodeAction(w, a);
}

/** Decodes actions until the reader is exhausted. */
export function decodeActions(r: Reader): Action[] {
  const out: Action[] = [];
  while (r.remaining > 0) out.push(decodeAction(r));
  return out;
}
