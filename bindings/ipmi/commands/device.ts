/** BMC device commands (IPMI 2.0 section 20): Get Device ID, Get Self Test Results, cold/warm reset. */
import { Reader } from '../bytes.js';
import { IpmiCompletionError, IpmiTimeoutError } from '../errors.js';
import { NetFn } from '../message.js';
import type { CommandChannel, RawResponse } from '../session.js';

export const Cmd = { getDeviceId: 0x01, coldReset: 0x02, warmReset: 0x03, getSelfTestResults: 0x04, getDeviceGuid: 0x08 } as const;

export interface DeviceId {
  deviceId: number;
  deviceRevision: number;
  providesDeviceSdrs: boolean;
  deviceAvailable: boolean;
  /** "major.minor", minor as two BCD digits (ipmitool prints the same). */
  firmwareRevision: string;
  firmwareMajor: number;
  firmwareMinor: number;
  /** "2.0" for IPMI 2.0. */
  ipmiVersion: string;
  /** Additional device support bits, decoded. */
  support: {
    sensor: boolean;
    sdrRepository: boolean;
    sel: boolean;
    fru: boolean;
    ipmbEventReceiver: boolean;
    ipmbEventGenerator: boolean;
    bridge: boolean;
    chassis: boolean;
  };
  manufacturerId: number;
  productId: number;
  auxFirmwareRevision?: Buffer;
}

export function decodeDeviceId(data: Buffer): DeviceId {
  const r = new Reader(data, 'Get Device ID response');
  const deviceId = r.u8();
  const b2 = r.u8();
  const b3 = r.u8();
  const minorBcd = r.u8();
  const ver = r.u8();
  const sup = r.u8();
  const m = r.bytes(3);
  const productId = r.u16();
  const aux = r.remaining >= 4 ? Buffer.from(r.bytes(4)) : undefined;
  const minor = (minorBcd >> 4) * 10 + (minorBcd & 0x0f);
  const out: DeviceId = {
    deviceId,
    deviceRevision: b2 & 0x0f,
    providesDeviceSdrs: (b2 & 0x80) !== 0,
    deviceAvailable: (b3 & 0x80) === 0,
    firmwareMajor: b3 & 0x7f,
    firmwareMinor: minor,
    firmwareRevision: `${b3 & 0x7f}.${minorBcd.toString(16).padStart(2, '0')}`,
    ipmiVersion: `${ver & 0x0f}.${ver >> 4}`,
    support: {
      sensor: (sup & 0x01) !== 0,
      sdrRepository: (sup & 0x02) !== 0,
      sel: (sup & 0x04) !== 0,
      fru: (sup & 0x08) !== 0,
      ipmbEventReceiver: (sup & 0x10) !== 0,
      ipmbEventGenerator: (sup & 0x20) !== 0,
      bridge: (sup & 0x40) !== 0,
      chassis: (sup & 0x80) !== 0,
    },
    manufacturerId: (m[0] as number) | ((m[1] as number) << 8) | (((m[2] as number) & 0x0f) << 16),
    productId,
  };
  if (aux !== undefined) out.auxFirmwareRevision = aux;
  return out;
}

export async function getDeviceId(ch: CommandChannel): Promise<DeviceId> {
  return decodeDeviceId(await ch.request(NetFn.app, Cmd.getDeviceId, undefined, 'Get Device ID'));
}

export interface SelfTestResult {
  /** 0x55 all passed, 0x56 not implemented, 0x57 corrupted or inaccessible data/devices, 0x58 fatal hardware error. */
  code: number;
  detail: number;
  passed: boolean;
  text: string;
}

export function decodeSelfTest(data: Buffer): SelfTestResult {
  const r = new Reader(data, 'Get Self Test Results response');
  const code = r.u8();
  const detail = r.u8();
  const text =
    code === 0x55 ? 'passed' : code === 0x56 ? 'self test not implemented' : code === 0x57 ? 'corrupted or inaccessible data or devices' : code === 0x58 ? 'fatal hardware error' : 'device-specific failure';
  return { code, detail, passed: code === 0x55, text };
}

export async function getSelfTestResults(ch: CommandChannel): Promise<SelfTestResult> {
  return decodeSelfTest(await ch.request(NetFn.app, Cmd.getSelfTestResults, undefined, 'Get Self Test Results'));
}

/**
 * Cold or warm reset of the BMC itself. A BMC often goes down before its answer leaves, so no
 * answer (after `waitMs`, one retry) counts as done; a completion code other than 0 is an error.
 * The session does not survive a real reset: reopen it (IpmiPool does so by itself).
 */
export async function resetBmc(ch: CommandChannel, kind: 'cold' | 'warm', waitMs = 1000): Promise<void> {
  const cmd = kind === 'cold' ? Cmd.coldReset : Cmd.warmReset;
  let r: RawResponse;
  try {
    r = await ch.requestRaw(NetFn.app, cmd, undefined, { timeoutMs: waitMs, retries: 1, backoff: 0 });
  } catch (e) {
    if (e instanceof IpmiTimeoutError) return;
    throw e;
  }
  if (r.completionCode !== 0) throw new IpmiCompletionError(NetFn.app, cmd, r.completionCode, `BMC ${kind} reset`);
}
