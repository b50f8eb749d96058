/** OFPT_METER_MOD and the meter band list shared with meter-config replies. */
import type { Reader, Writer } from '../wire.js';

export const OFPMBT = { DROP: 1, DSCP_REMARK: 2, EXPERIMENTER: 0xffff } as const;

export type MeterBand =
  | { type: 'drop'; rate: number; burstSize: number }
  | { type: 'dscp_remark'; rate: number; burstSize: number; precLevel: number }
  /** `data` follows the 16-byte band; its length must be a multiple of 8. */
  | { type: 'experimenter'; rate: number; burstSize: number; experimenter: number; data: Uint8Array };

export interface MeterMod {
  type: 'meter_mod';
  xid: number;
  /** OFPMC_* */
  command: number;
  /** OFPMF_* bits. */
  flags: number;
  meterId: number;
  bands: MeterBand[];
}

export function encodeBands(w: Writer, bands: readonly MeterBand[]): void {
  for (const b of bands) {
    const start = w.pos;
    w.u16(b.type === 'drop' ? OFPMBT.DROP : b.type === 'dscp_remark' ? OFPMBT.DSCP_REMARK : OFPMBT.EXPERIMENTER);
    w.u16(0);
    w.u32(b.rate, 'band rate');
    w.u32(b.burstSize, 'band burst_size');
    if (b.type === 'dscp_remark') {
      w.u8(b.precLevel, 'prec_level');
      w.zeros(3);
    } else if (b.type === 'experimenter') {
      w.u32(b.experimenter, 'band experimenter');
      w.bytes(b.data);
      w.pad8(start);
    } else {
      w.zeros(4);
    }
    w.setU16At(start + 2, w.pos - start, 'band length');
  }
}

export function decodeBands(r: Reader): MeterBand[] {
  const out: MeterBand[] = [];
  while (r.remaining > 0) {
    const type = r.u16('band type');
    const len = r.u16('band length');
    if (len < 16) r.fail(`meter band length ${len} < 16`);
    const b = r.sub(len - 4, 'meter band');
    const rate = b.u32();
    const burstSize = b.u32();
    if (type === OFPMBT.DROP) out.push({ type: 'drop', rate, burstSize });
    else if (type === OFPMBT.DSCP_REMARK) out.push({ type: 'dscp_remark', rate, burstSize, precLevel: b.u8() });
    else if (type === OFPMBT.EXPERIMENTER) out.push({ type: 'experimenter', rate, burstSize, experimenter: b.u32(), data: b.rest() });
    else r.fail(`unknown meter band type ${type}`);
  }
  return out;
}

export function encodeMeterMod(w: Writer, m: MeterMod): void {
  w.u16(m.command, 'meter command');
  w.u16(m.flags, 'meter flags');
  w.u32(m.meterId, 'meter id');
  encodeBands(w, m.bands);
}

export function decodeMeterMod(r: Reader, xid: number): MeterMod {
  const command = r.u16('meter command');
  const flags = r.u16();
  const meterId = r.u32();
  return { type: 'meter_mod', xid, command, flags, meterId, bands: decodeBands(r) };
}
