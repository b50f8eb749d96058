/** OFPT_GROUP_MOD and the ofp_bucket list shared with group-description replies. */
import { decodeActions, encodeActions, type Action } from '../actions.js';
import { OFPG, OFPP } from '../constants.js';
import type { Reader, Writer } from '../wire.js';

export interface Bucket {
  /** Relative weight (select groups only). */
  weight: number;
  /** Port/group whose liveness gates the bucket (fast-failover groups); OFPP_ANY/OFPG_ANY otherwise. */
  watchPort: number;
  watchGroup: number;
  actions: Action[];
}

export interface GroupMod {
  type: 'group_mod';
  xid: number;
  /** OFPGC_* */
  command: number;
  /** OFPGT_* */
  groupType: number;
  groupId: number;
  buckets: Bucket[];
}

export function bucket(actions: Action[], opts: Partial<Omit<Bucket, 'actions'>> = {}): Bucket {
  return { weight: opts.weight ?? 0, watchPort: opts.watchPort ?? OFPP.ANY, watchGroup: opts.watchGroup ?? OFPG.ANY, actions };
}

export function encodeBuckets(w: Writer, buckets: readonly Bucket[]): void {
  for (const b of buckets) {
    const start = w.pos;
    w.u16(0);
    w.u16(b.weight, 'bucket weight');
    w.u32(b.watchPort, 'watch_port');
    w.u32(b.watchGroup, 'watch_group');
    w.zeros(4);
    encodeActions(w, b.actions);
    w.setU16At(start, w.pos - start, 'bucket length');
  }
}

export function decodeBuckets(r: Reader): Bucket[] {
  const out: Bucket[] = [];
  while (r.remaining > 0) {
    const len = r.u16('bucket length');
    if (len < 16) r.fail(`bucket length ${len} < 16`);
    const b = r.sub(len - 2, 'bucket');
    const weight = b.u16();
    const watchPort = b.u32();
    const watchGroup = b.u32();
    b.skip(4);
    out.push({ weight, watchPort, watchGroup, actions: decodeActions(b) });
  }
  return out;
}

export function encodeGroupMod(w: Writer, m: GroupMod): void {
  w.u16(m.command, 'group command');
  w.u8(m.groupType, 'group type');
  w.zeros(1);
  w.u32(m.groupId, 'group id');
  encodeBuckets(w, m.buckets);
}

export function decodeGroupMod(r: Reader, xid: number): GroupMod {
  const command = r.u16('group command');
  const groupType = r.u8();
  r.skip(1);
  const groupId = r.u32();
  return { type: 'group_mod', xid, command, groupType, groupId, buckets: decodeBuckets(r) };
}
