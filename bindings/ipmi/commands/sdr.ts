/**
 * The SDR repository (IPMI 2.0 sections 33 and 43): repository info, reservation, record reads in
 * parts (the whole record rarely fits one answer), and decoding of sensor records.
 */
import { Reader } from '../bytes.js';
import { IpmiCompletionError, IpmiDecodeError } from '../errors.js';
import { NetFn } from '../message.js';
import type { CommandChannel } from '../session.js';

export const SdrCmd = { getInfo: 0x20, reserve: 0x22, getSdr: 0x23 } as const;

export interface SdrRepositoryInfo {
  version: number;
  recordCount: number;
  freeBytes: number;
  lastAdd: number;
  lastErase: number;
  overflow: boolean;
  operations: number;
}

export function decodeSdrRepositoryInfo(data: Buffer): SdrRepositoryInfo {
  const r = new Reader(data, 'Get SDR Repository Info response');
  const version = r.u8();
  const recordCount = r.u16();
  const freeBytes = r.u16();
  const lastAdd = r.u32();
  const lastErase = r.u32();
  const ops = r.u8();
  return { version, recordCount, freeBytes, lastAdd, lastErase, overflow: (ops & 0x80) !== 0, operations: ops };
}

export async function getSdrRepositoryInfo(ch: CommandChannel): Promise<SdrRepositoryInfo> {
  return decodeSdrRepositoryInfo(await ch.request(NetFn.storage, SdrCmd.getInfo, undefined, 'Get SDR Repository Info'));
}

export async function reserveSdrRepository(ch: CommandChannel): Promise<number> {
  const d = await ch.request(NetFn.storage, SdrCmd.reserve, undefined, 'Reserve SDR Repository');
  return new Reader(d, 'Reserve SDR Repository response').u16();
}

export function encodeGetSdr(reservation: number, recordId: number, offset: number, count: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16LE(reservation & 0xffff, 0);
  b.writeUInt16LE(recordId & 0xffff, 2);
  b[4] = offset & 0xff;
  b[5] = count & 0xff;
  return b;
}

const CC_RESERVATION_CANCELED = 0xc5;
/** Answers that mean "ask for fewer bytes". */
const CC_TOO_MANY = new Set([0xca, 0xc7, 0xc8, 0xff, 0xc6]);
const HEADER = 5;

/** Reading state shared across records: the reservation and the largest part the BMC returns. */
export interface SdrReader {
  reservation: number;
  chunk: number;
}

/**
 * Reads one record in parts: the 5-byte header first, then the body `chunk` bytes at a time,
 * shrinking the part size when the BMC says it is too big and reserving again when another
 * party cancels the reservation.
 */
export async function readSdrRecord(ch: CommandChannel, recordId: number, st: SdrReader): Promise<{ nextId: number; record: Buffer }> {
  for (let restart = 0; restart < 8; restart++) {
    try {
      const head = await getSdrPart(ch, st, recordId, 0, HEADER);
      const nextId = head.nextId;
      const header = head.data;
      if (header.length < HEADER) throw new IpmiDecodeError(`SDR ${recordId}: header of ${header.length} bytes`);
      const length = header[4] as number;
      const parts: Buffer[] = [header.subarray(0, HEADER)];
      let offset = HEADER;
      while (offset < HEADER + length) {
        const want = Math.min(st.chunk, HEADER + length - offset);
        const part = await getSdrPart(ch, st, recordId, offset, want);
        if (part.data.length === 0) throw new IpmiDecodeError(`SDR ${recordId}: empty part at offset ${offset}`);
        parts.push(part.data.subarray(0, want));
        offset += Math.min(want, part.data.length);
      }
      return { nextId, record: Buffer.concat(parts) };
    } catch (e) {
      if (e instanceof IpmiCompletionError && e.completionCode === CC_RESERVATION_CANCELED) {
        st.reservation = await reserveSdrRepository(ch);
        continue;
      }
      throw e;
    }
  }
  throw new IpmiCompletionError(NetFn.storage, SdrCmd.getSdr, CC_RESERVATION_CANCELED, `Get SDR ${recordId} (reservation kept being canceled)`);
}

async function getSdrPart(ch: CommandChannel, st: SdrReader, recordId: number, offset: number, count: number): Promise<{ nextId: number; data: Buffer }> {
  for (;;) {
    const n = Math.min(count, st.chunk);
    const r = await ch.requestRaw(NetFn.storage, SdrCmd.getSdr, encodeGetSdr(st.reservation, recordId, offset, n));
    if (r.completionCode === 0) {
      const rd = new Reader(r.data, 'Get SDR response');
      const nextId = rd.u16();
      return { nextId, data: Buffer.from(rd.rest()) };
    }
    if (CC_TOO_MANY.has(r.completionCode) && st.chunk > 4 && offset > 0) {
      st.chunk = Math.max(4, st.chunk >> 1);
      continue;
    }
    throw new IpmiCompletionError(NetFn.storage, SdrCmd.getSdr, r.completionCode, `Get SDR ${recordId}`);
  }
}

// ---- records ----------------------------------------------------------------------------------

export interface SdrCommon {
  recordId: number;
  version: number;
  recordType: number;
  raw: Buffer;
}

/** Conversion factors of a full sensor record (section 36.3). */
export interface ConversionFactors {
  /** 0 unsigned, 1 1's complement, 2 2's complement, 3 no analog reading. */
  analogFormat: number;
  linearization: number;
  m: number;
  b: number;
  bExp: number;
  rExp: number;
  tolerance: number;
  accuracy: number;
}

export interface SensorRecordBase extends SdrCommon {
  ownerId: number;
  ownerLun: number;
  sensorNumber: number;
  entityId: number;
  entityInstance: number;
  sensorType: number;
  eventReadingType: number;
  /** Thresholds the sensor can report (bit 0 LNC .. bit 5 UNR), from the readable mask. */
  readableThresholds: number;
  baseUnit: number;
  modifierUnit: number;
  /** 0 none, 1 base/modifier, 2 base*modifier. */
  modifierUse: number;
  percentage: boolean;
  name: string;
}

export interface FullSensorRecord extends SensorRecordBase {
  kind: 'full';
  conversion: ConversionFactors;
  /** Raw threshold bytes from the SDR: unr, ucr, unc, lnr, lcr, lnc. */
  sdrThresholds: { unr: number; ucr: number; unc: number; lnr: number; lcr: number; lnc: number };
  nominal: number;
  hysteresisPositive: number;
  hysteresisNegative: number;
}

export interface CompactSensorRecord extends SensorRecordBase {
  kind: 'compact';
}

export interface EventOnlyRecord extends SdrCommon {
  kind: 'event-only';
  ownerId: number;
  sensorNumber: number;
  sensorType: number;
  eventReadingType: number;
  name: string;
}

export interface McLocatorRecord extends SdrCommon {
  kind: 'mc-locator';
  slaveAddress: number;
  channel: number;
  name: string;
}

export interface OtherRecord extends SdrCommon {
  kind: 'other';
}

export type SdrRecord = FullSensorRecord | CompactSensorRecord | EventOnlyRecord | McLocatorRecord | OtherRecord;

/** A signed value of `bits` bits in 2's complement. */
export function signed(v: number, bits: number): number {
  const sign = 1 << (bits - 1);
  return v & sign ? v - (1 << bits) : v;
}

/** The ID string: type/length byte then bytes (8-bit ASCII+Latin-1 is what BMCs use). */
function idString(r: Reader): string {
  if (r.remaining < 1) return '';
  const tl = r.u8();
  const len = Math.min(tl & 0x1f, r.remaining);
  const bytes = r.bytes(len);
  const type = tl >> 6;
  if (type === 0) return bytes.toString('hex');
  return bytes.toString('latin1').replace(/\0+$/, '');
}

function sensorBase(r: Reader, common: SdrCommon): SensorRecordBase {
  const ownerId = r.u8();
  const ownerLun = r.u8() & 0x03;
  const sensorNumber = r.u8();
  const entityId = r.u8();
  const entityInstance = r.u8() & 0x7f;
  r.u8(); // initialization
  r.u8(); // capabilities
  const sensorType = r.u8();
  const eventReadingType = r.u8();
  r.u16(); // assertion mask / lower threshold reading mask
  r.u16(); // deassertion mask / upper threshold reading mask
  const readableThresholds = r.u8() & 0x3f; // for threshold sensors: readable threshold mask
  r.u8(); // settable threshold mask
  const units1 = r.u8();
  const baseUnit = r.u8();
  const modifierUnit = r.u8();
  return {
    ...common,
    ownerId,
    ownerLun,
    sensorNumber,
    entityId,
    entityInstance,
    sensorType,
    eventReadingType,
    readableThresholds,
    baseUnit,
    modifierUnit,
    modifierUse: (units1 >> 1) & 0x03,
    percentage: (units1 & 0x01) !== 0,
    name: '',
    // analog format lives in units1 bits 7:6; the full-record decoder reads it again
  };
}

export function decodeSdr(record: Buffer): SdrRecord {
  const r = new Reader(record, 'SDR');
  const recordId = r.u16();
  const version = r.u8();
  const recordType = r.u8();
  const length = r.u8();
  if (r.remaining < length) throw new IpmiDecodeError(`SDR ${recordId}: body of ${r.remaining} bytes, header says ${length}`);
  const common: SdrCommon = { recordId, version, recordType, raw: Buffer.from(record) };
  const body = new Reader(record.subarray(0, HEADER + length), 'SDR', HEADER);
  switch (recordType) {
    case 0x01: {
      const units1 = record[HEADER + 15] ?? 0;
      const base = sensorBase(body, common);
      const linearization = body.u8() & 0x7f;
      const mLo = body.u8();
      const mHiTol = body.u8();
      const bLo = body.u8();
      const bHiAcc = body.u8();
      const accExpDir = body.u8();
      const rbExp = body.u8();
      body.u8(); // analog characteristic flags
      const nominal = body.u8();
      body.u8(); // normal max
      body.u8(); // normal min
      body.u8(); // sensor max
      body.u8(); // sensor min
      const unr = body.u8();
      const ucr = body.u8();
      const unc = body.u8();
      const lnr = body.u8();
      const lcr = body.u8();
      const lnc = body.u8();
      const hysteresisPositive = body.u8();
      const hysteresisNegative = body.u8();
      body.u16();
      body.u8(); // OEM
      const name = idString(body);
      return {
        ...base,
        kind: 'full',
        name,
        conversion: {
          analogFormat: units1 >> 6,
          linearization,
          m: signed(mLo | ((mHiTol & 0xc0) << 2), 10),
          b: signed(bLo | ((bHiAcc & 0xc0) << 2), 10),
          tolerance: mHiTol & 0x3f,
          accuracy: (bHiAcc & 0x3f) | ((accExpDir & 0xf0) << 2),
          rExp: signed(rbExp >> 4, 4),
          bExp: signed(rbExp & 0x0f, 4),
        },
        sdrThresholds: { unr, ucr, unc, lnr, lcr, lnc },
        nominal,
        hysteresisPositive,
        hysteresisNegative,
      };
    }
    case 0x02: {
      const base = sensorBase(body, common);
      body.bytes(2); // record sharing
      body.u8(); // positive hysteresis
      body.u8(); // negative hysteresis
      body.bytes(3);
      body.u8(); // OEM
      return { ...base, kind: 'compact', name: idString(body) };
    }
    case 0x03: {
      const ownerId = body.u8();
      body.u8();
      const sensorNumber = body.u8();
      body.u8();
      body.u8();
      const sensorType = body.u8();
      const eventReadingType = body.u8();
      body.bytes(2);
      body.u8();
      body.u8();
      return { ...common, kind: 'event-only', ownerId, sensorNumber, sensorType, eventReadingType, name: idString(body) };
    }
    case 0x12: {
      const slaveAddress = body.u8();
      const channel = body.u8() & 0x0f;
      body.bytes(7);
      return { ...common, kind: 'mc-locator', slaveAddress, channel, name: idString(body) };
    }
    default:
      return { ...common, kind: 'other' };
  }
}

/** Reads and decodes every record of the repository, in repository order. */
export async function readSdrRepository(ch: CommandChannel, chunk = 32): Promise<SdrRecord[]> {
  const info = await getSdrRepositoryInfo(ch);
  if (info.recordCount === 0) return [];
  const st: SdrReader = { reservation: await reserveSdrRepository(ch), chunk };
  const out: SdrRecord[] = [];
  let id = 0x0000;
  const seen = new Set<number>();
  while (id !== 0xffff && !seen.has(id) && out.length < 0xffff) {
    seen.add(id);
    const { nextId, record } = await readSdrRecord(ch, id, st);
    out.push(decodeSdr(record));
    id = nextId;
  }
  return out;
}
