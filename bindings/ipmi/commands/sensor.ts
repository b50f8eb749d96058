/**
 * Sensor readings (IPMI 2.0 sections 35-36): Get Sensor Reading and Get Sensor Thresholds, the
 * linear(ised) conversion y = L[(M·x + B·10^K1)·10^K2], units, and the threshold state.
 */
import { Reader } from '../bytes.js';
import { IpmiCompletionError } from '../errors.js';
import { NetFn } from '../message.js';
import type { CommandChannel } from '../session.js';
import type { ConversionFactors, FullSensorRecord, SdrRecord } from './sdr.js';
import { sensorTypeName, unitName } from './sensor-units.js';

export const SensorCmd = { getThresholds: 0x27, getReading: 0x2d } as const;

/** x in the SDR's analog data format, as a signed number. */
export function rawToSigned(raw: number, analogFormat: number): number {
  raw &= 0xff;
  if (analogFormat === 1) return raw & 0x80 ? -((~raw) & 0x7f) : raw;
  if (analogFormat === 2) return raw & 0x80 ? raw - 256 : raw;
  return raw;
}

function linearize(kind: number, y: number): number {
  switch (kind) {
    case 0:
      return y;
    case 1:
      return Math.log(y);
    case 2:
      return Math.log10(y);
    case 3:
      return Math.log2(y);
    case 4:
      return Math.exp(y);
    case 5:
      return Math.pow(10, y);
    case 6:
      return Math.pow(2, y);
    case 7:
      return 1 / y;
    case 8:
      return y * y;
    case 9:
      return y * y * y;
    case 10:
      return Math.sqrt(y);
    case 11:
      return Math.cbrt(y);
    default:
      return Number.NaN;
  }
}

/** y = L[(M·x + B·10^K1)·10^K2] (section 36.3). */
export function convertReading(raw: number, c: ConversionFactors): number {
  const x = rawToSigned(raw, c.analogFormat);
  const y = (c.m * x + c.b * Math.pow(10, c.bExp)) * Math.pow(10, c.rExp);
  const v = linearize(c.linearization, y);
  // Round away binary noise from the powers of ten (6 significant decimals is what BMCs mean).
  return Number.isFinite(v) ? Number(v.toPrecision(12)) : v;
}

export interface SensorReading {
  raw: number;
  eventMessagesEnabled: boolean;
  scanningEnabled: boolean;
  /** The reading is not valid (initial update in progress, or the sensor is absent). */
  unavailable: boolean;
  /** Threshold comparison bits (bit 0 below LNC .. bit 5 at/above UNR) or discrete states 0-7. */
  state: number;
  /** Discrete states 8-14 when present. */
  state2?: number;
}

export function decodeSensorReading(data: Buffer): SensorReading {
  const r = new Reader(data, 'Get Sensor Reading response');
  const raw = r.u8();
  const flags = r.u8();
  const out: SensorReading = {
    raw,
    eventMessagesEnabled: (flags & 0x80) !== 0,
    scanningEnabled: (flags & 0x40) !== 0,
    unavailable: (flags & 0x20) !== 0,
    state: r.remaining > 0 ? r.u8() : 0,
  };
  if (r.remaining > 0) out.state2 = r.u8() & 0x7f;
  return out;
}

export async function getSensorReading(ch: CommandChannel, sensorNumber: number): Promise<SensorReading> {
  const d = await ch.request(NetFn.sensorEvent, SensorCmd.getReading, Buffer.from([sensorNumber]), `Get Sensor Reading ${sensorNumber}`);
  return decodeSensorReading(d);
}

export interface RawThresholds {
  /** Bit 0 LNC, 1 LCR, 2 LNR, 3 UNC, 4 UCR, 5 UNR. */
  readable: number;
  lnc: number;
  lcr: number;
  lnr: number;
  unc: number;
  ucr: number;
  unr: number;
}

export function decodeThresholds(data: Buffer): RawThresholds {
  const r = new Reader(data, 'Get Sensor Thresholds response');
  return { readable: r.u8() & 0x3f, lnc: r.u8(), lcr: r.u8(), lnr: r.u8(), unc: r.u8(), ucr: r.u8(), unr: r.u8() };
}

export async function getSensorThresholds(ch: CommandChannel, sensorNumber: number): Promise<RawThresholds> {
  return decodeThresholds(await ch.request(NetFn.sensorEvent, SensorCmd.getThresholds, Buffer.from([sensorNumber]), `Get Sensor Thresholds ${sensorNumber}`));
}

export type ThresholdName = 'lnr' | 'lcr' | 'lnc' | 'unc' | 'ucr' | 'unr';
export type ThresholdState = 'ok' | ThresholdName | 'ns';

export interface Sensor {
  name: string;
  number: number;
  type: string;
  sensorType: number;
  eventReadingType: number;
  /** Converted reading for threshold sensors with a full record; undefined otherwise. */
  value?: number;
  unit: string;
  /** Threshold state (the most severe crossed), 'ns' when there is no reading. */
  state: ThresholdState;
  thresholds: Partial<Record<ThresholdName, number>>;
  /** Discrete sensors: the asserted state bits 0-14. */
  discreteState?: number;
  reading?: SensorReading;
}

/** The most severe threshold crossed, from the comparison bits of Get Sensor Reading. */
export function thresholdState(bits: number): ThresholdState {
  if (bits & 0x20) return 'unr';
  if (bits & 0x04) return 'lnr';
  if (bits & 0x10) return 'ucr';
  if (bits & 0x02) return 'lcr';
  if (bits & 0x08) return 'unc';
  if (bits & 0x01) return 'lnc';
  return 'ok';
}

function unitText(rec: FullSensorRecord | { baseUnit: number; modifierUnit: number; modifierUse: number; percentage: boolean }): string {
  let u = unitName(rec.baseUnit);
  if (rec.modifierUse === 1) u = `${u}/${unitName(rec.modifierUnit)}`;
  else if (rec.modifierUse === 2) u = `${u}*${unitName(rec.modifierUnit)}`;
  return rec.percentage ? `% ${u}` : u;
}

/**
 * Reads every sensor that has a full or compact record: converted values with units and
 * thresholds for threshold sensors, state bits for discrete ones. Sensors that cannot be read
 * (completion code, "reading unavailable", scanning disabled) come back with state 'ns'.
 */
export async function readSensors(ch: CommandChannel, sdrs: readonly SdrRecord[]): Promise<Sensor[]> {
  const out: Sensor[] = [];
  for (const rec of sdrs) {
    if (rec.kind !== 'full' && rec.kind !== 'compact') continue;
    const s: Sensor = {
      name: rec.name,
      number: rec.sensorNumber,
      type: sensorTypeName(rec.sensorType),
      sensorType: rec.sensorType,
      eventReadingType: rec.eventReadingType,
      unit: rec.eventReadingType === 0x01 ? unitText(rec) : 'discrete',
      state: 'ns',
      thresholds: {},
    };
    let reading: SensorReading | undefined;
    try {
      reading = await getSensorReading(ch, rec.sensorNumber);
    } catch (e) {
      if (!(e instanceof IpmiCompletionError)) throw e;
    }
    const readable = reading !== undefined && !reading.unavailable && reading.scanningEnabled;
    if (reading !== undefined) s.reading = reading;
    if (rec.eventReadingType === 0x01 && rec.kind === 'full') {
      if (readable && reading !== undefined) {
        s.value = convertReading(reading.raw, rec.conversion);
        s.state = thresholdState(reading.state);
      }
      try {
        const t = await getSensorThresholds(ch, rec.sensorNumber);
        const names: [ThresholdName, number][] = [
          ['lnc', 0],
          ['lcr', 1],
          ['lnr', 2],
          ['unc', 3],
          ['ucr', 4],
          ['unr', 5],
        ];
        for (const [n, bit] of names) if (t.readable & (1 << bit)) s.thresholds[n] = convertReading(t[n], rec.conversion);
      } catch (e) {
        if (!(e instanceof IpmiCompletionError)) throw e;
      }
    } else if (readable && reading !== undefined) {
      s.discreteState = reading.state | ((reading.state2 ?? 0) << 8);
      s.state = 'ok';
    }
    out.push(s);
  }
  return out;
}
