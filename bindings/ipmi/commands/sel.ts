/**
 * The System Event Log (IPMI 2.0 sections 31-32): info, reservation, entries read and decoded,
 * entries added, and clear with reservation (polling until the erase completes).
 */
import { Reader } from '../bytes.js';
import { IpmiArgumentError, IpmiCompletionError, IpmiDecodeError } from '../errors.js';
import { NetFn } from '../message.js';
import type { CommandChannel } from '../session.js';
import { sensorTypeName } from './sensor-units.js';

export const SelCmd = { getInfo: 0x40, reserve: 0x42, getEntry: 0x43, addEntry: 0x44, clear: 0x47 } as const;

/** 0xffffffff: "unspecified" (no add or erase yet). */
function timestamp(v: number): Date | undefined {
  return v === 0xffffffff ? undefined : new Date(v * 1000);
}

export interface SelInfo {
  version: string;
  entries: number;
  freeBytes: number;
  lastAdd?: Date;
  lastErase?: Date;
  overflow: boolean;
  supportsDelete: boolean;
  supportsPartialAdd: boolean;
  supportsReserve: boolean;
  supportsAllocationInfo: boolean;
}

export function decodeSelInfo(data: Buffer): SelInfo {
  const r = new Reader(data, 'Get SEL Info response');
  const v = r.u8();
  const entries = r.u16();
  const freeBytes = r.u16();
  const add = r.u32();
  const erase = r.u32();
  const ops = r.u8();
  const out: SelInfo = {
    version: `${v & 0x0f}.${v >> 4}`,
    entries,
    freeBytes,
    overflow: (ops & 0x80) !== 0,
    supportsDelete: (ops & 0x08) !== 0,
    supportsPartialAdd: (ops & 0x04) !== 0,
    supportsReserve: (ops & 0x02) !== 0,
    supportsAllocationInfo: (ops & 0x01) !== 0,
  };
  const a = timestamp(add);
  const e = timestamp(erase);
  if (a !== undefined) out.lastAdd = a;
  if (e !== undefined) out.lastErase = e;
  return out;
}

export async function getSelInfo(ch: CommandChannel): Promise<SelInfo> {
  return decodeSelInfo(await ch.request(NetFn.storage, SelCmd.getInfo, undefined, 'Get SEL Info'));
}

export async function reserveSel(ch: CommandChannel): Promise<number> {
  return new Reader(await ch.request(NetFn.storage, SelCmd.reserve, undefined, 'Reserve SEL'), 'Reserve SEL response').u16();
}

export interface SystemEventRecord {
  recordId: number;
  recordType: 0x02;
  kind: 'system';
  timestamp: Date;
  /** Seconds as stored; values below 0x20000000 count from BMC initialisation ("Pre-Init"), not 1970. */
  rawTimestamp: number;
  /** Generator ID: slave address or software ID (bit 0 of the first byte says which), and LUN/channel. */
  generatorId: number;
  evmRevision: number;
  sensorType: number;
  sensorTypeName: string;
  sensorNumber: number;
  direction: 'assertion' | 'deassertion';
  eventType: number;
  eventData: [number, number, number];
  /** The event offset (event data 1, bits 3:0). */
  offset: number;
  /** Threshold events (event type 0x01): "Upper Non-critical going high" and so on. */
  description?: string;
}

/** Generic threshold event offsets (table 42-2), in ipmitool's words. */
const THRESHOLD_EVENTS = [
  'Lower Non-critical going low',
  'Lower Non-critical going high',
  'Lower Critical going low',
  'Lower Critical going high',
  'Lower Non-recoverable going low',
  'Lower Non-recoverable going high',
  'Upper Non-critical going low',
  'Upper Non-critical going high',
  'Upper Critical going low',
  'Upper Critical going high',
  'Upper Non-recoverable going low',
  'Upper Non-recoverable going high',
];

export interface OemRecord {
  recordId: number;
  recordType: number;
  kind: 'oem-timestamped' | 'oem';
  timestamp?: Date;
  manufacturerId?: number;
  data: Buffer;
}

export type SelEntry = SystemEventRecord | OemRecord;

export function decodeSelRecord(rec: Buffer): SelEntry {
  if (rec.length < 16) throw new IpmiDecodeError(`SEL record of ${rec.length} bytes, need 16`);
  const r = new Reader(rec, 'SEL record');
  const recordId = r.u16();
  const recordType = r.u8();
  if (recordType === 0x02) {
    const ts = r.u32();
    const generatorId = r.u16();
    const evmRevision = r.u8();
    const sensorType = r.u8();
    const sensorNumber = r.u8();
    const dt = r.u8();
    const d = r.bytes(3);
    const offset = (d[0] as number) & 0x0f;
    const eventType = dt & 0x7f;
    const description = eventType === 0x01 ? THRESHOLD_EVENTS[offset] : undefined;
    return {
      ...(description === undefined ? {} : { description }),
      recordId,
      recordType,
      kind: 'system',
      timestamp: new Date(ts * 1000),
      rawTimestamp: ts,
      generatorId,
      evmRevision,
      sensorType,
      sensorTypeName: sensorTypeName(sensorType),
      sensorNumber,
      direction: dt & 0x80 ? 'deassertion' : 'assertion',
      eventType,
      eventData: [d[0] as number, d[1] as number, d[2] as number],
      offset,
    };
  }
  if (recordType >= 0xc0 && recordType <= 0xdf) {
    const ts = r.u32();
    const m = r.bytes(3);
    return {
      recordId,
      recordType,
      kind: 'oem-timestamped',
      timestamp: new Date(ts * 1000),
      manufacturerId: (m[0] as number) | ((m[1] as number) << 8) | ((m[2] as number) << 16),
      data: Buffer.from(r.bytes(6)),
    };
  }
  return { recordId, recordType, kind: 'oem', data: Buffer.from(r.bytes(13)) };
}

/** What Add SEL Entry takes: a system event (the BMC fills in record ID and usually the timestamp). */
export interface NewSystemEvent {
  timestamp?: Date;
  generatorId?: number;
  evmRevision?: number;
  sensorType: number;
  sensorNumber: number;
  direction?: 'assertion' | 'deassertion';
  eventType: number;
  eventData: [number, number, number];
}

export function encodeSystemEvent(e: NewSystemEvent): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(0, 0);
  b[2] = 0x02;
  b.writeUInt32LE(Math.floor((e.timestamp?.getTime() ?? 0) / 1000) >>> 0, 3);
  b.writeUInt16LE((e.generatorId ?? 0x0041) & 0xffff, 7);
  b[9] = e.evmRevision ?? 0x04;
  b[10] = e.sensorType & 0xff;
  b[11] = e.sensorNumber & 0xff;
  b[12] = (e.direction === 'deassertion' ? 0x80 : 0) | (e.eventType & 0x7f);
  for (const [i, v] of e.eventData.entries()) {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new IpmiArgumentError('event data bytes must be 0..255');
    b[13 + i] = v;
  }
  return b;
}

export async function addSelEntry(ch: CommandChannel, e: NewSystemEvent): Promise<number> {
  const d = await ch.request(NetFn.storage, SelCmd.addEntry, encodeSystemEvent(e), 'Add SEL Entry');
  return new Reader(d, 'Add SEL Entry response').u16();
}

export function encodeGetSelEntry(reservation: number, recordId: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16LE(reservation & 0xffff, 0);
  b.writeUInt16LE(recordId & 0xffff, 2);
  b[4] = 0;
  b[5] = 0xff;
  return b;
}

/** Every entry, oldest first. */
export async function listSel(ch: CommandChannel): Promise<SelEntry[]> {
  const info = await getSelInfo(ch);
  if (info.entries === 0) return [];
  // Reading needs no reservation when the offset is 0 (reservation ID 0000h).
  const out: SelEntry[] = [];
  let id = 0x0000;
  const seen = new Set<number>();
  while (id !== 0xffff && !seen.has(id)) {
    seen.add(id);
    const d = await ch.request(NetFn.storage, SelCmd.getEntry, encodeGetSelEntry(0, id), `Get SEL Entry ${id}`);
    const r = new Reader(d, 'Get SEL Entry response');
    const next = r.u16();
    out.push(decodeSelRecord(Buffer.from(r.rest())));
    id = next;
  }
  return out;
}

/** Clears the SEL: reserve, initiate erase, then poll the erase status until complete. */
export async function clearSel(ch: CommandChannel, maxPolls = 50): Promise<void> {
  const reservation = await reserveSel(ch);
  const req = (action: number): Buffer => {
    const b = Buffer.from([0, 0, 0x43, 0x4c, 0x52, action]);
    b.writeUInt16LE(reservation, 0);
    return b;
  };
  let d = await ch.request(NetFn.storage, SelCmd.clear, req(0xaa), 'Clear SEL');
  for (let i = 0; i < maxPolls; i++) {
    if (d.length > 0 && ((d[0] as number) & 0x0f) === 0x01) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
    d = await ch.request(NetFn.storage, SelCmd.clear, req(0x00), 'Clear SEL (status)');
  }
  throw new IpmiCompletionError(NetFn.storage, SelCmd.clear, 0xff, 'Clear SEL (erase did not complete)');
}
