/**
 * OFPT_MULTIPART_REQUEST/REPLY bodies (statistics and descriptions) and the reassembly of a reply
 * the switch split over several messages (OFPMPF_REPLY_MORE).
 */
import { OFPG, OFPMP, OFPP, OFPTT_ALL } from './constants.js';
import { decodeInstructions, encodeInstructions, type Instruction } from './instructions.js';
import { decodeBands, encodeBands, type MeterBand } from './messages/meter-mod.js';
import { decodeBuckets, encodeBuckets, type Bucket } from './messages/group-mod.js';
import { decodePortDesc, encodePortDesc, type PortDesc } from './messages/port.js';
import { decodeMatch, encodeMatch, type Match } from './oxm.js';
import type { Reader, Writer } from './wire.js';

export interface FlowStatsQuery {
  tableId: number;
  outPort: number;
  outGroup: number;
  cookie: bigint;
  cookieMask: bigint;
  match: Match;
}

export type MultipartRequestBody =
  | { kind: 'desc' }
  | ({ kind: 'flow' } & FlowStatsQuery)
  | ({ kind: 'aggregate' } & FlowStatsQuery)
  | { kind: 'table' }
  | { kind: 'port_stats'; portNo: number }
  | { kind: 'queue'; portNo: number; queueId: number }
  | { kind: 'group'; groupId: number }
  | { kind: 'group_desc' }
  | { kind: 'group_features' }
  | { kind: 'meter'; meterId: number }
  | { kind: 'meter_config'; meterId: number }
  | { kind: 'meter_features' }
  /** Table features are carried as raw properties (an empty body asks for the current ones). */
  | { kind: 'table_features'; data: Uint8Array }
  | { kind: 'port_desc' }
  | { kind: 'experimenter'; experimenter: number; expType: number; data: Uint8Array };

export type MultipartKind = MultipartRequestBody['kind'];

export interface FlowStats {
  tableId: number;
  durationSec: number;
  durationNsec: number;
  priority: number;
  idleTimeout: number;
  hardTimeout: number;
  flags: number;
  cookie: bigint;
  packetCount: bigint;
  byteCount: bigint;
  match: Match;
  instructions: Instruction[];
}
export interface TableStats {
  tableId: number;
  activeCount: number;
  lookupCount: bigint;
  matchedCount: bigint;
}
export interface PortStats {
  portNo: number;
  rxPackets: bigint;
  txPackets: bigint;
  rxBytes: bigint;
  txBytes: bigint;
  rxDropped: bigint;
  txDropped: bigint;
  rxErrors: bigint;
  txErrors: bigint;
  rxFrameErr: bigint;
  rxOverErr: bigint;
  rxCrcErr: bigint;
  collisions: bigint;
  durationSec: number;
  durationNsec: number;
}
export interface QueueStats {
  portNo: number;
  queueId: number;
  txBytes: bigint;
  txPackets: bigint;
  txErrors: bigint;
  durationSec: number;
  durationNsec: number;
}
export interface GroupStats {
  groupId: number;
  refCount: number;
  packetCount: bigint;
  byteCount: bigint;
  durationSec: number;
  durationNsec: number;
  buckets: { packetCount: bigint; byteCount: bigint }[];
}
export interface GroupDesc {
  groupType: number;
  groupId: number;
  buckets: Bucket[];
}
export interface GroupFeatures {
  types: number;
  capabilities: number;
  maxGroups: [number, number, number, number];
  actions: [number, number, number, number];
}
export interface MeterStats {
  meterId: number;
  flowCount: number;
  packetInCount: bigint;
  byteInCount: bigint;
  durationSec: number;
  durationNsec: number;
  bands: { packetBandCount: bigint; byteBandCount: bigint }[];
}
export interface MeterConfig {
  flags: number;
  meterId: number;
  bands: MeterBand[];
}
export interface MeterFeatures {
  maxMeter: number;
  bandTypes: number;
  capabilities: number;
  maxBands: number;
  maxColor: number;
}
export interface SwitchDesc {
  mfrDesc: string;
  hwDesc: string;
  swDesc: string;
  serialNum: string;
  dpDesc: string;
}

export type MultipartReplyBody =
  | ({ kind: 'desc' } & SwitchDesc)
  | { kind: 'flow'; flows: FlowStats[] }
  | { kind: 'aggregate'; packetCount: bigint; byteCount: bigint; flowCount: number }
  | { kind: 'table'; tables: TableStats[] }
  | { kind: 'port_stats'; ports: PortStats[] }
  | { kind: 'queue'; queues: QueueStats[] }
  | { kind: 'group'; groups: GroupStats[] }
  | { kind: 'group_desc'; groups: GroupDesc[] }
  | ({ kind: 'group_features' } & GroupFeatures)
  | { kind: 'meter'; meters: MeterStats[] }
  | { kind: 'meter_config'; meters: MeterConfig[] }
  | ({ kind: 'meter_features' } & MeterFeatures)
  | { kind: 'table_features'; data: Uint8Array }
  | { kind: 'port_desc'; ports: PortDesc[] }
  | { kind: 'experimenter'; experimenter: number; expType: number; data: Uint8Array };

const KIND_CODE: Record<MultipartKind, number> = {
  desc: OFPMP.DESC,
  flow: OFPMP.FLOW,
  aggregate: OFPMP.AGGREGATE,
  table: OFPMP.TABLE,
  port_stats: OFPMP.PORT_STATS,
  queue: OFPMP.QUEUE,
  group: OFPMP.GROUP,
  group_desc: OFPMP.GROUP_DESC,
  group_features: OFPMP.GROUP_FEATURES,
  meter: OFPMP.METER,
  meter_config: OFPMP.METER_CONFIG,
  meter_features: OFPMP.METER_FEATURES,
  table_features: OFPMP.TABLE_FEATURES,
  port_desc: OFPMP.PORT_DESC,
  experimenter: OFPMP.EXPERIMENTER,
};
const CODE_KIND = new Map(Object.entries(KIND_CODE).map(([k, v]) => [v, k as MultipartKind]));

export function multipartCode(kind: MultipartKind): number {
  return KIND_CODE[kind];
}

/** A flow/aggregate query over every flow of every table unless narrowed. */
export function flowStatsQuery(q: Partial<FlowStatsQuery> = {}): FlowStatsQuery {
  return { tableId: q.tableId ?? OFPTT_ALL, outPort: q.outPort ?? OFPP.ANY, outGroup: q.outGroup ?? OFPG.ANY, cookie: q.cookie ?? 0n, cookieMask: q.cookieMask ?? 0n, match: q.match ?? [] };
}

function kindOf(r: Reader, code: number): MultipartKind {
  const kind = CODE_KIND.get(code);
  if (kind === undefined) r.fail(`unknown multipart type ${code}`);
  return kind as MultipartKind;
}

export function encodeMultipartRequestBody(w: Writer, b: MultipartRequestBody): void {
  switch (b.kind) {
    case 'flow':
    case 'aggregate':
      w.u8(b.tableId, 'table_id');
      w.zeros(3);
      w.u32(b.outPort, 'out_port');
      w.u32(b.outGroup, 'out_group');
      w.zeros(4);
      w.u64(b.cookie, 'cookie');
      w.u64(b.cookieMask, 'cookie_mask');
      encodeMatch(w, b.match);
      return;
    case 'port_stats':
      w.u32(b.portNo, 'port_no');
      w.zeros(4);
      return;
    case 'queue':
      w.u32(b.portNo, 'port_no');
      w.u32(b.queueId, 'queue_id');
      return;
    case 'group':
      w.u32(b.groupId, 'group_id');
      w.zeros(4);
      return;
    case 'meter':
    case 'meter_config':
      w.u32(b.meterId, 'meter_id');
      w.zeros(4);
      return;
    case 'table_features':
      w.bytes(b.data);
      return;
    case 'experimenter':
      w.u32(b.experimenter, 'experimenter');
      w.u32(b.expType, 'exp_type');
      w.bytes(b.data);
      return;
    default:
      return;
  }
}

export function decodeMultipartRequestBody(r: Reader, code: number): MultipartRequestBody {
  const kind = kindOf(r, code);
  switch (kind) {
    case 'flow':
    case 'aggregate': {
      const tableId = r.u8('table_id');
      r.skip(3);
      const outPort = r.u32();
      const outGroup = r.u32();
      r.skip(4);
      const cookie = r.u64();
      const cookieMask = r.u64();
      return { kind, tableId, outPort, outGroup, cookie, cookieMask, match: decodeMatch(r) };
    }
    case 'port_stats': {
      const portNo = r.u32('port_no');
      r.skip(4);
      return { kind, portNo };
    }
    case 'queue': {
      const portNo = r.u32('port_no');
      return { kind, portNo, queueId: r.u32('queue_id') };
    }
    case 'group': {
      const groupId = r.u32('group_id');
      r.skip(4);
      return { kind, groupId };
    }
    case 'meter':
    case 'meter_config': {
      const meterId = r.u32('meter_id');
      r.skip(4);
      return { kind, meterId };
    }
    case 'table_features':
      return { kind, data: r.rest() };
    case 'experimenter': {
      const experimenter = r.u32('experimenter');
      return { kind, experimenter, expType: r.u32('exp_type'), data: r.rest() };
    }
    default:
      return { kind } as MultipartRequestBody;
  }
}

const DESC_STR_LEN = 256;
const SERIAL_NUM_LEN = 32;

export function encodeMultipartReplyBody(w: Writer, b: MultipartReplyBody): void {
  switch (b.kind) {
    case 'desc':
      w.fixedString(b.mfrDesc, DESC_STR_LEN, 'mfr_desc');
      w.fixedString(b.hwDesc, DESC_STR_LEN, 'hw_desc');
      w.fixedString(b.swDesc, DESC_STR_LEN, 'sw_desc');
      w.fixedString(b.serialNum, SERIAL_NUM_LEN, 'serial_num');
      w.fixedString(b.dpDesc, DESC_STR_LEN, 'dp_desc');
      return;
    case 'flow':
      lengthPrefixed(w, b.flows, 'flow stats', (f) => {
        w.u8(f.tableId, 'table_id');
        w.zeros(1);
        w.u32(f.durationSec, 'duration_sec');
        w.u32(f.durationNsec, 'duration_nsec');
        w.u16(f.priority, 'priority');
        w.u16(f.idleTimeout, 'idle_timeout');
        w.u16(f.hardTimeout, 'hard_timeout');
        w.u16(f.flags, 'flags');
        w.zeros(4);
        w.u64(f.cookie, 'cookie');
        w.u64(f.packetCount, 'packet_count');
        w.u64(f.byteCount, 'byte_count');
        encodeMatch(w, f.match);
        encodeInstructions(w, f.instructions);
      });
      return;
    case 'aggregate':
      w.u64(b.packetCount, 'packet_count');
      w.u64(b.byteCount, 'byte_count');
      w.u32(b.flowCount, 'flow_count');
      w.zeros(4);
      return;
    case 'table':
      for (const t of b.tables) {
        w.u8(t.tableId, 'table_id');
        w.zeros(3);
        w.u32(t.activeCount, 'active_count');
        w.u64(t.lookupCount, 'lookup_count');
        w.u64(t.matchedCount, 'matched_count');
      }
      return;
    case 'port_stats':
      for (const p of b.ports) {
        w.u32(p.portNo, 'port_no');
        w.zeros(4);
        for (const v of [p.rxPackets, p.txPackets, p.rxBytes, p.txBytes, p.rxDropped, p.txDropped, p.rxErrors, p.txErrors, p.rxFrameErr, p.rxOverErr, p.rxCrcErr, p.collisions]) w.u64(v, 'port counter');
        w.u32(p.durationSec, 'duration_sec');
        w.u32(p.durationNsec, 'duration_nsec');
      }
      return;
    case 'queue':
      for (const q of b.queues) {
        w.u32(q.portNo, 'port_no');
        w.u32(q.queueId, 'queue_id');
        w.u64(q.txBytes, 'tx_bytes');
        w.u64(q.txPackets, 'tx_packets');
        w.u64(q.txErrors, 'tx_errors');
        w.u32(q.durationSec, 'duration_sec');
        w.u32(q.durationNsec, 'duration_nsec');
      }
      return;
    case 'group':
      lengthPrefixed(w, b.groups, 'group stats', (g) => {
        w.zeros(2);
        w.u32(g.groupId, 'group_id');
        w.u32(g.refCount, 'ref_count');
        w.zeros(4);
        w.u64(g.packetCount, 'packet_count');
        w.u64(g.byteCount, 'byte_count');
        w.u32(g.durationSec, 'duration_sec');
        w.u32(g.durationNsec, 'duration_nsec');
        for (const c of g.buckets) {
          w.u64(c.packetCount, 'bucket packet_count');
          w.u64(c.byteCount, 'bucket byte_count');
        }
      });
      return;
    case 'group_desc':
      lengthPrefixed(w, b.groups, 'group desc', (g) => {
        w.u8(g.groupType, 'group type');
        w.zeros(1);
        w.u32(g.groupId, 'group_id');
        encodeBuckets(w, g.buckets);
      });
      return;
    case 'group_features':
      w.u32(b.types, 'types');
      w.u32(b.capabilities, 'capabilities');
      for (const v of b.maxGroups) w.u32(v, 'max_groups');
      for (const v of b.actions) w.u32(v, 'actions');
      return;
    case 'meter':
      for (const m of b.meters) {
        w.u32(m.meterId, 'meter_id');
        const lenAt = w.pos;
        w.u16(0);
        w.zeros(6);
        w.u32(m.flowCount, 'flow_count');
        w.u64(m.packetInCount, 'packet_in_count');
        w.u64(m.byteInCount, 'byte_in_count');
        w.u32(m.durationSec, 'duration_sec');
        w.u32(m.durationNsec, 'duration_nsec');
        for (const c of m.bands) {
          w.u64(c.packetBandCount, 'packet_band_count');
          w.u64(c.byteBandCount, 'byte_band_count');
        }
        w.setU16At(lenAt, w.pos - lenAt + 4, 'meter stats length');
      }
      return;
    case 'meter_config':
      lengthPrefixed(w, b.meters, 'meter config', (m) => {
        w.u16(m.flags, 'meter flags');
        w.u32(m.meterId, 'meter_id');
        encodeBands(w, m.bands);
      });
      return;
    case 'meter_features':
      w.u32(b.maxMeter, 'max_meter');
      w.u32(b.bandTypes, 'band_types');
      w.u32(b.capabilities, 'capabilities');
      w.u8(b.maxBands, 'max_bands');
      w.u8(b.maxColor, 'max_color');
      w.zeros(2);
      return;
    case 'table_features':
      w.bytes(b.data);
      return;
    case 'port_desc':
      for (const p of b.ports) encodePortDesc(w, p);
      return;
    case 'experimenter':
      w.u32(b.experimenter, 'experimenter');
      w.u32(b.expType, 'exp_type');
      w.bytes(b.data);
      return;
  }
}

/** Writes each entry after a 16-bit length of the whole entry (what entries() reads back). */
function lengthPrefixed<T>(w: Writer, list: readonly T[], what: string, encode: (e: T) => void): void {
  for (const e of list) {
    const start = w.pos;
    w.u16(0);
    encode(e);
    w.setU16At(start, w.pos - start, `${what} length`);
  }
}

/** Decodes entries of `len` bytes (read from each entry's own length field when `lenAt` is given). */
function entries<T>(r: Reader, what: string, decode: (e: Reader) => T, fixedLen?: number): T[] {
  const out: T[] = [];
  while (r.remaining > 0) {
    let len: number;
    if (fixedLen !== undefined) len = fixedLen;
    else {
      r.need(2, `${what} length`);
      len = ((r.bytes[r.pos] as number) << 8) | (r.bytes[r.pos + 1] as number);
      if (len < 4) r.fail(`${what} length ${len} < 4`);
    }
    out.push(decode(r.sub(len, what)));
  }
  return out;
}

export function decodeMultipartReplyBody(r: Reader, code: number): MultipartReplyBody {
  const kind = kindOf(r, code);
  switch (kind) {
    case 'desc':
      return {
        kind,
        mfrDesc: r.fixedString(DESC_STR_LEN, 'mfr_desc'),
        hwDesc: r.fixedString(DESC_STR_LEN, 'hw_desc'),
        swDesc: r.fixedString(DESC_STR_LEN, 'sw_desc'),
        serialNum: r.fixedString(SERIAL_NUM_LEN, 'serial_num'),
        dpDesc: r.fixedString(DESC_STR_LEN, 'dp_desc'),
      };
    case 'flow':
      return {
        kind,
        flows: entries(r, 'flow stats', (e) => {
          e.skip(2);
          const tableId = e.u8();
          e.skip(1);
          const durationSec = e.u32();
          const durationNsec = e.u32();
          const priority = e.u16();
          const idleTimeout = e.u16();
          const hardTimeout = e.u16();
          const flags = e.u16();
          e.skip(4);
          const cookie = e.u64();
          const packetCount = e.u64();
          const byteCount = e.u64();
          const match = decodeMatch(e);
          return { tableId, durationSec, durationNsec, priority, idleTimeout, hardTimeout, flags, cookie, packetCount, byteCount, match, instructions: decodeInstructions(e) };
        }),
      };
    case 'aggregate': {
      const packetCount = r.u64('packet_count');
      const byteCount = r.u64('byte_count');
      const flowCount = r.u32('flow_count');
      r.skip(4);
      return { kind, packetCount, byteCount, flowCount };
    }
    case 'table':
      return {
        kind,
        tables: entries(
          r,
          'table stats',
          (e) => {
            const tableId = e.u8();
            e.skip(3);
            const activeCount = e.u32();
            const lookupCount = e.u64();
            return { tableId, activeCount, lookupCount, matchedCount: e.u64() };
          },
          24,
        ),
      };
    case 'port_stats':
      return {
        kind,
        ports: entries(
          r,
          'port stats',
          (e) => {
            const portNo = e.u32();
            e.skip(4);
            const c = Array.from({ length: 12 }, () => e.u64());
            const durationSec = e.u32();
            const durationNsec = e.u32();
            const [rxPackets, txPackets, rxBytes, txBytes, rxDropped, txDropped, rxErrors, txErrors, rxFrameErr, rxOverErr, rxCrcErr, collisions] = c as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
            return { portNo, rxPackets, txPackets, rxBytes, txBytes, rxDropped, txDropped, rxErrors, txErrors, rxFrameErr, rxOverErr, rxCrcErr, collisions, durationSec, durationNsec };
          },
          112,
        ),
      };
    case 'queue':
      return {
        kind,
        queues: entries(
          r,
          'queue stats',
          (e) => {
            const portNo = e.u32();
            const queueId = e.u32();
            const txBytes = e.u64();
            const txPackets = e.u64();
            const txErrors = e.u64();
            const durationSec = e.u32();
            return { portNo, queueId, txBytes, txPackets, txErrors, durationSec, durationNsec: e.u32() };
          },
          40,
        ),
      };
    case 'group':
      return {
        kind,
        groups: entries(r, 'group stats', (e) => {
          e.skip(4);
          const groupId = e.u32();
          const refCount = e.u32();
          e.skip(4);
          const packetCount = e.u64();
          const byteCount = e.u64();
          const durationSec = e.u32();
          const durationNsec = e.u32();
          const buckets: GroupStats['buckets'] = [];
          while (e.remaining > 0) buckets.push({ packetCount: e.u64(), byteCount: e.u64() });
          return { groupId, refCount, packetCount, byteCount, durationSec, durationNsec, buckets };
        }),
      };
    case 'group_desc':
      return {
        kind,
        groups: entries(r, 'group desc', (e) => {
          e.skip(2);
          const groupType = e.u8();
          e.skip(1);
          const groupId = e.u32();
          return { groupType, groupId, buckets: decodeBuckets(e) };
        }),
      };
    case 'group_features': {
      const types = r.u32('types');
      const capabilities = r.u32('capabilities');
      const maxGroups: GroupFeatures['maxGroups'] = [r.u32(), r.u32(), r.u32(), r.u32()];
      const actions: GroupFeatures['actions'] = [r.u32(), r.u32(), r.u32(), r.u32()];
      return { kind, types, capabilities, maxGroups, actions };
    }
    case 'meter': {
      const meters: MeterStats[] = [];
      while (r.remaining > 0) {
        const meterId = r.u32('meter_id');
        const len = r.u16('meter stats length');
        if (len < 40) r.fail(`meter stats length ${len} < 40`);
        const e = r.sub(len - 6, 'meter stats');
        e.skip(6);
        const flowCount = e.u32();
        const packetInCount = e.u64();
        const byteInCount = e.u64();
        const durationSec = e.u32();
        const durationNsec = e.u32();
        const bands: MeterStats['bands'] = [];
        while (e.remaining > 0) bands.push({ packetBandCount: e.u64(), byteBandCount: e.u64() });
        meters.push({ meterId, flowCount, packetInCount, byteInCount, durationSec, durationNsec, bands });
      }
      return { kind, meters };
    }
    case 'meter_config':
      return {
        kind,
        meters: entries(r, 'meter config', (e) => {
          e.skip(2);
          const flags = e.u16();
          const meterId = e.u32();
          return { flags, meterId, bands: decodeBands(e) };
        }),
      };
    case 'meter_features': {
      const maxMeter = r.u32('max_meter');
      const bandTypes = r.u32();
      const capabilities = r.u32();
      const maxBands = r.u8();
      const maxColor = r.u8();
      r.skip(2);
      return { kind, maxMeter, bandTypes, capabilities, maxBands, maxColor };
    }
    case 'table_features':
      return { kind, data: r.rest() };
    case 'port_desc':
      return { kind, ports: entries(r, 'port desc', decodePortDesc, 64) };
    case 'experimenter': {
      const experimenter = r.u32('experimenter');
      return { kind, experimenter, expType: r.u32('exp_type'), data: r.rest() };
    }
  }
}

/**
 * Joins the parts of one reply in arrival order: list bodies are concatenated; raw bodies
 * (table features, experimenter) are concatenated bytes; single-record bodies keep the last part.
 */
export function mergeMultipartBodies(parts: readonly MultipartReplyBody[]): MultipartReplyBody {
  const first = parts[0];
  if (first === undefined) throw new TypeError('mergeMultipartBodies: no parts');
  if (parts.length === 1) return first;
  const concat = (chunks: Uint8Array[]): Uint8Array => {
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  };
  const all = <K extends MultipartReplyBody['kind']>(kind: K): Extract<MultipartReplyBody, { kind: K }>[] =>
    parts.filter((p): p is Extract<MultipartReplyBody, { kind: K }> => p.kind === kind);
  switch (first.kind) {
    case 'flow':
      return { kind: 'flow', flows: all('flow').flatMap((p) => p.flows) };
    case 'table':
      return { kind: 'table', tables: all('table').flatMap((p) => p.tables) };
    case 'port_stats':
      return { kind: 'port_stats', ports: all('port_stats').flatMap((p) => p.ports) };
    case 'queue':
      return { kind: 'queue', queues: all('queue').flatMap((p) => p.queues) };
    case 'group':
      return { kind: 'group', groups: all('group').flatMap((p) => p.groups) };
    case 'group_desc':
      return { kind: 'group_desc', groups: all('group_desc').flatMap((p) => p.groups) };
    case 'meter':
      return { kind: 'meter', meters: all('meter').flatMap((p) => p.meters) };
    case 'meter_config':
      return { kind: 'meter_config', meters: all('meter_config').flatMap((p) => p.meters) };
    case 'port_desc':
      return { kind: 'port_desc', ports: all('port_desc').flatMap((p) => p.ports) };
    case 'table_features':
      return { kind: 'table_features', data: concat(all('table_features').map((p) => p.data)) };
    case 'experimenter':
      return { ...first, data: concat(all('experimenter').map((p) => p.data)) };
    default:
      return parts[parts.length - 1] as MultipartReplyBody;
  }
}
