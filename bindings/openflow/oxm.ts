/**
 * OXM (OpenFlow Extensible Match) TLVs and the ofp_match that carries them. Every
 * OFPXMC_OPENFLOW_BASIC field of OpenFlow 1.3 is typed; fields of other classes (OVS's NXM
 * registers, experimenter fields) are kept as raw TLVs so that a switch's flow dump still decodes.
 */
import { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac } from './addresses.js';
import { OpenFlowEncodeError } from './errors.js';
import type { Reader, Writer } from './wire.js';

export const OFPXMC_OPENFLOW_BASIC = 0x8000;
export const OFPXMC_EXPERIMENTER = 0xffff;
const OFPMT_OXM = 1;

type Kind = 'u8' | 'u16' | 'u24' | 'u32' | 'u64' | 'mac' | 'ipv4' | 'ipv6';
interface KindValue {
  u8: number;
  u16: number;
  u24: number;
  u32: number;
  u64: bigint;
  mac: string;
  ipv4: string;
  ipv6: string;
}
const KIND_SIZE: Record<Kind, number> = { u8: 1, u16: 2, u24: 3, u32: 4, u64: 8, mac: 6, ipv4: 4, ipv6: 16 };

/** The spec's table of basic fields: wire code, value kind, and whether a mask is allowed. */
export const OXM_FIELDS = {
  in_port: { code: 0, kind: 'u32', maskable: false },
  in_phy_port: { code: 1, kind: 'u32', maskable: false },
  metadata: { code: 2, kind: 'u64', maskable: true },
  eth_dst: { code: 3, kind: 'mac', maskable: true },
  eth_src: { code: 4, kind: 'mac', maskable: true },
  eth_type: { code: 5, kind: 'u16', maskable: false },
  vlan_vid: { code: 6, kind: 'u16', maskable: true },
  vlan_pcp: { code: 7, kind: 'u8', maskable: false },
  ip_dscp: { code: 8, kind: 'u8', maskable: false },
  ip_ecn: { code: 9, kind: 'u8', maskable: false },
  ip_proto: { code: 10, kind: 'u8', maskable: false },
  ipv4_src: { code: 11, kind: 'ipv4', maskable: true },
  ipv4_dst: { code: 12, kind: 'ipv4', maskable: true },
  tcp_src: { code: 13, kind: 'u16', maskable: false },
  tcp_dst: { code: 14, kind: 'u16', maskable: false },
  udp_src: { code: 15, kind: 'u16', maskable: false },
  udp_dst: { code: 16, kind: 'u16', maskable: false },
  sctp_src: { code: 17, kind: 'u16', maskable: false },
  sctp_dst: { code: 18, kind: 'u16', maskable: false },
  icmpv4_type: { code: 19, kind: 'u8', maskable: false },
  icmpv4_code: { code: 20, kind: 'u8', maskable: false },
  arp_op: { code: 21, kind: 'u16', maskable: false },
  arp_spa: { code: 22, kind: 'ipv4', maskable: true },
  arp_tpa: { code: 23, kind: 'ipv4', maskable: true },
  arp_sha: { code: 24, kind: 'mac', maskable: true },
  arp_tha: { code: 25, kind: 'mac', maskable: true },
  ipv6_src: { code: 26, kind: 'ipv6', maskable: true },
  ipv6_dst: { code: 27, kind: 'ipv6', maskable: true },
  ipv6_flabel: { code: 28, kind: 'u32', maskable: true },
  icmpv6_type: { code: 29, kind: 'u8', maskable: false },
  icmpv6_code: { code: 30, kind: 'u8', maskable: false },
  ipv6_nd_target: { code: 31, kind: 'ipv6', maskable: false },
  ipv6_nd_sll: { code: 32, kind: 'mac', maskable: false },
  ipv6_nd_tll: { code: 33, kind: 'mac', maskable: false },
  mpls_label: { code: 34, kind: 'u32', maskable: false },
  mpls_tc: { code: 35, kind: 'u8', maskable: false },
  mpls_bos: { code: 36, kind: 'u8', maskable: false },
  pbb_isid: { code: 37, kind: 'u24', maskable: true },
  tunnel_id: { code: 38, kind: 'u64', maskable: true },
  ipv6_exthdr: { code: 39, kind: 'u16', maskable: true },
} as const satisfies Record<string, { code: number; kind: Kind; maskable: boolean }>;

export type OxmFieldName = keyof typeof OXM_FIELDS;
type ValueOf<K extends OxmFieldName> = KindValue[(typeof OXM_FIELDS)[K]['kind']];

/** A basic OXM field; `mask` only on maskable fields (1 bits are matched). */
export type OxmBasic = {
  [K in OxmFieldName]: { field: K; value: ValueOf<K>; mask?: ValueOf<K> };
}[OxmFieldName];

/** A TLV of another OXM class, kept as it was on the wire (payload includes an experimenter id). */
export interface OxmOther {
  field: 'other';
  oxmClass: number;
  fieldCode: number;
  hasMask: boolean;
  payload: Uint8Array;
}

export type OxmField = OxmBasic | OxmOther;
/** An ofp_match: the OXM fields, in order. An empty list matches every packet. */
export type Match = OxmField[];

const BY_CODE: ({ name: OxmFieldName; kind: Kind; maskable: boolean } | undefined)[] = [];
for (const [name, def] of Object.entries(OXM_FIELDS)) BY_CODE[def.code] = { name: name as OxmFieldName, kind: def.kind, maskable: def.maskable };

function writeValue(w: Writer, kind: Kind, v: unknown, what: string): void {
  switch (kind) {
    case 'u8':
      return w.u8(v as number, what);
    case 'u16':
      return w.u16(v as number, what);
    case 'u24':
      return w.u24(v as number, what);
    case 'u32':
      return w.u32(v as number, what);
    case 'u64':
      return w.u64(v as bigint, what);
    case 'mac':
      return w.bytes(parseMac(v as string, what));
    case 'ipv4':
      return w.bytes(parseIpv4(v as string, what));
    case 'ipv6':
      return w.bytes(parseIpv6(v as string, what));
  }
}

function readValue(r: Reader, kind: Kind, what: string): number | bigint | string {
  switch (kind) {
    case 'u8':
      return r.u8(what);
    case 'u16':
      return r.u16(what);
    case 'u24':
      return r.u24(what);
    case 'u32':
      return r.u32(what);
    case 'u64':
      return r.u64(what);
    case 'mac': {
      r.need(6, what);
      const s = formatMac(r.bytes, r.pos);
      r.pos += 6;
      return s;
    }
    case 'ipv4': {
      r.need(4, what);
      const s = formatIpv4(r.bytes, r.pos);
      r.pos += 4;
      return s;
    }
    case 'ipv6': {
      r.need(16, what);
      const s = formatIpv6(r.bytes, r.pos);
      r.pos += 16;
      return s;
    }
  }
}

export function encodeOxm(w: Writer, f: OxmField): void {
  if (f.field === 'other') {
    if (f.payload.length > 255) throw new OpenFlowEncodeError(`OXM class ${f.oxmClass} field ${f.fieldCode}: payload longer than 255 bytes`);
    w.u16(f.oxmClass, 'oxm class');
    w.u8(((f.fieldCode & 0x7f) << 1) | (f.hasMask ? 1 : 0), 'oxm field');
    w.u8(f.payload.length);
    w.bytes(f.payload);
    return;
  }
  const def = OXM_FIELDS[f.field] as { code: number; kind: Kind; maskable: boolean } | undefined;
  if (def === undefined) throw new OpenFlowEncodeError(`unknown OXM field ${String(f.field)}`);
  const hasMask = f.mask !== undefined;
  if (hasMask && !def.maskable) throw new OpenFlowEncodeError(`OXM field ${f.field} takes no mask in OpenFlow 1.3`);
  const size = KIND_SIZE[def.kind];
  w.u16(OFPXMC_OPENFLOW_BASIC);
  w.u8((def.code << 1) | (hasMask ? 1 : 0));
  w.u8(hasMask ? size * 2 : size);
  writeValue(w, def.kind, f.value, f.field);
  if (hasMask) writeValue(w, def.kind, f.mask, `${f.field} mask`);
}

export function decodeOxm(r: Reader): OxmField {
  const oxmClass = r.u16('oxm class');
  const fh = r.u8('oxm field');
  const len = r.u8('oxm length');
  const fieldCode = fh >> 1;
  const hasMask = (fh & 1) === 1;
  const body = r.sub(len, 'oxm payload');
  const def = oxmClass === OFPXMC_OPENFLOW_BASIC ? BY_CODE[fieldCode] : undefined;
  if (def === undefined) return { field: 'other', oxmClass, fieldCode, hasMask, payload: body.rest() };
  const size = KIND_SIZE[def.kind];
  if (len !== (hasMask ? 2 * size : size)) body.fail(`OXM ${def.name}: length ${len}, expected ${hasMask ? 2 * size : size}`);
  const value = readValue(body, def.kind, def.name);
  if (!hasMask) return { field: def.name, value } as OxmBasic;
  return { field: def.name, value, mask: readValue(body, def.kind, `${def.name} mask`) } as OxmBasic;
}

/** Encodes an ofp_match (OFPMT_OXM), padded to 8 bytes. */
export function encodeMatch(w: Writer, match: Match): void {
  if (!Array.isArray(match)) throw new OpenFlowEncodeError('match: expected an array of OXM fields');
  const start = w.pos;
  w.u16(OFPMT_OXM);
  w.u16(0);
  for (const f of match) encodeOxm(w, f);
  w.setU16At(start + 2, w.pos - start, 'match length');
  w.pad8(start);
}

export function decodeMatch(r: Reader): Match {
  const start = r.pos;
  const type = r.u16('match type');
  const len = r.u16('match length');
  if (type !== OFPMT_OXM) r.fail(`match type ${type} is not OFPMT_OXM`);
  if (len < 4) r.fail(`match length ${len} < 4`);
  const body = r.sub(len - 4, 'match fields');
  const out: Match = [];
  while (body.remaining > 0) out.push(decodeOxm(body));
  r.skip((8 - ((r.pos - start) % 8)) % 8, 'match padding');
  return out;
}
