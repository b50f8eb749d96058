/** OpenFlow 1.3 instructions (ofp_instruction_*), the body of a flow entry. */
import { decodeActions, encodeActions, type Action } from './actions.js';
import { OpenFlowEncodeError } from './errors.js';
import type { Reader, Writer } from './wire.js';

export const OFPIT = {
  GOTO_TABLE: 1,
  WRITE_METADATA: 2,
  WRITE_ACTIONS: 3,
  APPLY_ACTIONS: 4,
  CLEAR_ACTIONS: 5,
  METER: 6,
  EXPERIMENTER: 0xffff,
} as const;

export type Instruction =
  | { type: 'goto_table'; tableId: number }
  | { type: 'write_metadata'; metadata: bigint; mask: bigint }
  | { type: 'write_actions'; actions: Action[] }
  | { type: 'apply_actions'; actions: Action[] }
  | { type: 'clear_actions' }
  | { type: 'meter'; meterId: number }
  /** `data` follows the experimenter id; its length must keep the instruction a multiple of 8 bytes. */
  | { type: 'experimenter'; experimenter: number; data: Uint8Array };

export function encodeInstruction(w: Writer, ins: Instruction): void {
  const start = w.pos;
  const head = (type: number): void => {
    w.u16(type);
    w.u16(0);
  };
  switch (ins.type) {
    case 'goto_table':
      head(OFPIT.GOTO_TABLE);
      w.u8(ins.tableId, 'goto_table table id');
      w.zeros(3);
      break;
    case 'write_metadata':
      head(OFPIT.WRITE_METADATA);
      w.zeros(4);
      w.u64(ins.metadata, 'metadata');
      w.u64(ins.mask, 'metadata mask');
      break;
    case 'write_actions':
    case 'apply_actions':
      head(ins.type === 'write_actions' ? OFPIT.WRITE_ACTIONS : OFPIT.APPLY_ACTIONS);
      w.zeros(4);
      encodeActions(w, ins.actions);
      break;
    case 'clear_actions':
      head(OFPIT.CLEAR_ACTIONS);
      w.zeros(4);
      break;
    case 'meter':
      head(OFPIT.METER);
      w.u32(ins.meterId, 'meter id');
      break;
    case 'experimenter':
      head(OFPIT.EXPERIMENTER);
      w.u32(ins.experimenter, 'experimenter id');
      if (ins.data.length % 8 !== 0) throw new OpenFlowEncodeError('experimenter instruction: data length must be a multiple of 8');
      w.bytes(ins.data);
      break;
    default:
      throw new OpenFlowEncodeError(`unknown instruction type ${String((ins as { type?: unknown }).type)}`);
  }
  w.setU16At(start + 2, w.pos - start, 'instruction length');
}

export function decodeInstruction(r: Reader): Instruction {
  const type = r.u16('instruction type');
  const len = r.u16('instruction length');
  if (len < 8 || len % 8 !== 0) r.fail(`instruction ${type}: length ${len} is not a positive multiple of 8`);
  const b = r.sub(len - 4, 'instruction body');
  const fixed = (n: number): void => {
    if (len !== n) b.fail(`instruction ${type}: length ${len}, expected ${n}`);
  };
  switch (type) {
    case OFPIT.GOTO_TABLE:
      fixed(8);
      return { type: 'goto_table', tableId: b.u8() };
    case OFPIT.WRITE_METADATA: {
      fixed(24);
      b.skip(4);
      const metadata = b.u64();
      return { type: 'write_metadata', metadata, mask: b.u64() };
    }
    case OFPIT.WRITE_ACTIONS:
    case OFPIT.APPLY_ACTIONS:
      b.skip(4);
      return { type: type === OFPIT.WRITE_ACTIONS ? 'write_actions' : 'apply_actions', actions: decodeActions(b) };
    case OFPIT.CLEAR_ACTIONS:
      fixed(8);
      return { type: 'clear_actions' };
    case OFPIT.METER:
      fixed(8);
      return { type: 'meter', meterId: b.u32() };
    case OFPIT.EXPERIMENTER: {
      const experimenter = b.u32('experimenter id');
      return { type: 'experimenter', experimenter, data: b.rest() };
    }
  }
  return r.fail(`unknown instruction type ${type}`);
}

export function encodeInstructions(w: Writer, list: readonly Instruction[]): void {
  if (!Array.isArray(list)) throw new OpenFlowEncodeError('instructions: expected an array');
  for (const i of list) encodeInstruction(w, i);
}

export function decodeInstructions(r: Reader): Instruction[] {
  const out: Instruction[] = [];
  while (r.remaining > 0) out.push(decodeInstruction(r));
  return out;
}
