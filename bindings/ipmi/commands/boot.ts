/**
 * System boot options (IPMI 2.0 section 28.12-28.13): the next boot device, persistent or one-time,
 * legacy or EFI, the boot flag valid bit's automatic clearing, and reading them back.
 */
import { Reader } from '../bytes.js';
import { IpmiArgumentError, IpmiCompletionError } from '../errors.js';
import { NetFn } from '../message.js';
import type { CommandChannel } from '../session.js';
import { ChassisCmd } from './chassis.js';

export const BootParam = { setInProgress: 0, serviceParitionSelector: 1, serviceParitionScan: 2, validBitClearing: 3, infoAck: 4, flags: 5, initiatorInfo: 6, initiatorMailbox: 7 } as const;

export type BootDevice =
  | 'none'
  | 'pxe'
  | 'disk'
  | 'disk-safe'
  | 'diag'
  | 'cdrom'
  | 'bios'
  | 'remote-floppy'
  | 'remote-cdrom'
  | 'remote-media'
  | 'remote-disk'
  | 'floppy';

const DEVICE_CODE: Record<BootDevice, number> = {
  none: 0x0,
  pxe: 0x1,
  disk: 0x2,
  'disk-safe': 0x3,
  diag: 0x4,
  cdrom: 0x5,
  bios: 0x6,
  'remote-floppy': 0x7,
  'remote-cdrom': 0x8,
  'remote-media': 0x9,
  'remote-disk': 0xb,
  floppy: 0xf,
};

export interface BootFlags {
  device: BootDevice;
  /** Apply to every boot (true) or the next one only (false, the default). */
  persistent?: boolean;
  /** EFI boot (true) or legacy PC-compatible BIOS boot (false, the default). */
  efi?: boolean;
  clearCmos?: boolean;
  lockKeyboard?: boolean;
  screenBlank?: boolean;
  lockResetButton?: boolean;
}

export interface DecodedBootFlags extends Required<BootFlags> {
  /** The boot flags valid bit: the BMC will apply these flags. */
  valid: boolean;
  /** The device selector number (also for codes outside BootDevice). */
  deviceCode: number;
  /** The 5 raw data bytes. */
  raw: Buffer;
}

export function encodeBootFlags(f: BootFlags): Buffer {
  const code = DEVICE_CODE[f.device];
  if (code === undefined) throw new IpmiArgumentError(`unknown boot device ${String(f.device)}`);
  return Buffer.from([
    0x80 | (f.persistent ? 0x40 : 0) | (f.efi ? 0x20 : 0),
    (f.clearCmos ? 0x80 : 0) | (f.lockKeyboard ? 0x40 : 0) | (code << 2) | (f.screenBlank ? 0x02 : 0) | (f.lockResetButton ? 0x01 : 0),
    0,
    0,
    0,
  ]);
}

export function decodeBootFlags(data: Buffer): DecodedBootFlags {
  const r = new Reader(data, 'boot flags');
  const b1 = r.u8();
  const b2 = r.u8();
  const deviceCode = (b2 >> 2) & 0x0f;
  const device = (Object.entries(DEVICE_CODE).find(([, v]) => v === deviceCode)?.[0] ?? 'none') as BootDevice;
  return {
    valid: (b1 & 0x80) !== 0,
    persistent: (b1 & 0x40) !== 0,
    efi: (b1 & 0x20) !== 0,
    device,
    deviceCode,
    clearCmos: (b2 & 0x80) !== 0,
    lockKeyboard: (b2 & 0x40) !== 0,
    screenBlank: (b2 & 0x02) !== 0,
    lockResetButton: (b2 & 0x01) !== 0,
    raw: Buffer.from(data.subarray(0, Math.min(5, data.length))),
  };
}

export interface BootOptionParameter {
  version: number;
  /** The parameter valid bit of the response: false means "invalid/locked". */
  parameterValid: boolean;
  parameter: number;
  data: Buffer;
}

export function decodeBootOptionResponse(data: Buffer): BootOptionParameter {
  const r = new Reader(data, 'Get System Boot Options response');
  const version = r.u8() & 0x0f;
  const p = r.u8();
  return { version, parameterValid: (p & 0x80) === 0, parameter: p & 0x7f, data: Buffer.from(r.rest()) };
}

export async function getBootOption(ch: CommandChannel, parameter: number, setSelector = 0, blockSelector = 0): Promise<BootOptionParameter> {
  return decodeBootOptionResponse(
    await ch.request(NetFn.chassis, ChassisCmd.getBootOptions, Buffer.from([parameter & 0x7f, setSelector, blockSelector]), `Get System Boot Options (parameter ${parameter})`),
  );
}

export async function setBootOption(ch: CommandChannel, parameter: number, data: Buffer, markInvalid = false): Promise<void> {
  await ch.request(NetFn.chassis, ChassisCmd.setBootOptions, Buffer.concat([Buffer.from([(markInvalid ? 0x80 : 0) | (parameter & 0x7f)]), data]), `Set System Boot Options (parameter ${parameter})`);
}

/** Reads the boot flags (parameter 5). */
export async function getBootFlags(ch: CommandChannel): Promise<DecodedBootFlags & { parameterValid: boolean }> {
  const p = await getBootOption(ch, BootParam.flags);
  return { ...decodeBootFlags(p.data), parameterValid: p.parameterValid };
}

/** Optional steps: BMCs that lack them answer with an error that must not fail the whole change. */
async function tolerant(step: Promise<void>): Promise<void> {
  try {
    await step;
  } catch (e) {
    if (!(e instanceof IpmiCompletionError)) throw e;
  }
}

/**
 * Sets the next boot device the way the spec's set-in-progress protocol asks: set in progress,
 * clear the BIOS POST acknowledge, write the flags, commit, set complete.
 */
export async function setBootDevice(ch: CommandChannel, flags: BootFlags): Promise<void> {
  const data = encodeBootFlags(flags);
  await tolerant(setBootOption(ch, BootParam.setInProgress, Buffer.from([0x01])));
  try {
    await tolerant(setBootOption(ch, BootParam.infoAck, Buffer.from([0x01, 0x01])));
    await setBootOption(ch, BootParam.flags, data);
    await tolerant(setBootOption(ch, BootParam.setInProgress, Buffer.from([0x02])));
  } finally {
    await tolerant(setBootOption(ch, BootParam.setInProgress, Buffer.from([0x00])));
  }
}

/** When the BMC may clear the boot flags valid bit on its own (parameter 3). */
export interface ValidBitClearing {
  /** Keep the flags beyond the 60-second window in which a restart must follow (bit 3). */
  noTimeout: boolean;
  noClearOnPefReset?: boolean;
  noClearOnWatchdogReset?: boolean;
  noClearOnPushbuttonReset?: boolean;
  noClearOnPowerUp?: boolean;
}

export function encodeValidBitClearing(v: ValidBitClearing): Buffer {
  return Buffer.from([
    (v.noClearOnPefReset ? 0x10 : 0) | (v.noTimeout ? 0x08 : 0) | (v.noClearOnWatchdogReset ? 0x04 : 0) | (v.noClearOnPushbuttonReset ? 0x02 : 0) | (v.noClearOnPowerUp ? 0x01 : 0),
  ]);
}

/** Disables (or re-enables) the 60-second boot flag timeout and the other automatic clearings. */
export async function setBootFlagValidBitClearing(ch: CommandChannel, v: ValidBitClearing): Promise<void> {
  await setBootOption(ch, BootParam.validBitClearing, encodeValidBitClearing(v));
}
