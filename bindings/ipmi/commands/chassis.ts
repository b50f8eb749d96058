/** Chassis commands (IPMI 2.0 section 28): status, power control, identify. */
import { Reader } from '../bytes.js';
import { IpmiArgumentError } from '../errors.js';
import { NetFn } from '../message.js';
import type { CommandChannel } from '../session.js';

export const ChassisCmd = { getStatus: 0x01, control: 0x02, identify: 0x04, setBootOptions: 0x08, getBootOptions: 0x09 } as const;

export type PowerRestorePolicy = 'always-off' | 'previous' | 'always-on' | 'unknown';

export interface ChassisStatus {
  powerOn: boolean;
  powerOverload: boolean;
  powerInterlock: boolean;
  mainPowerFault: boolean;
  powerControlFault: boolean;
  powerRestorePolicy: PowerRestorePolicy;
  lastPowerEvent: { acFailed: boolean; overload: boolean; interlock: boolean; fault: boolean; commandedOn: boolean };
  chassisIntrusion: boolean;
  frontPanelLockout: boolean;
  driveFault: boolean;
  coolingFault: boolean;
  /** Present when the BMC reports it: off, timed, indefinite. */
  identify?: 'off' | 'timed' | 'indefinite';
  frontPanel?: number;
}

const POLICY: PowerRestorePolicy[] = ['always-off', 'previous', 'always-on', 'unknown'];

export function decodeChassisStatus(data: Buffer): ChassisStatus {
  const r = new Reader(data, 'Get Chassis Status response');
  const p = r.u8();
  const e = r.u8();
  const m = r.u8();
  const out: ChassisStatus = {
    powerOn: (p & 0x01) !== 0,
    powerOverload: (p & 0x02) !== 0,
    powerInterlock: (p & 0x04) !== 0,
    mainPowerFault: (p & 0x08) !== 0,
    powerControlFault: (p & 0x10) !== 0,
    powerRestorePolicy: POLICY[(p >> 5) & 3] as PowerRestorePolicy,
    lastPowerEvent: { acFailed: (e & 0x01) !== 0, overload: (e & 0x02) !== 0, interlock: (e & 0x04) !== 0, fault: (e & 0x08) !== 0, commandedOn: (e & 0x10) !== 0 },
    chassisIntrusion: (m & 0x01) !== 0,
    frontPanelLockout: (m & 0x02) !== 0,
    driveFault: (m & 0x04) !== 0,
    coolingFault: (m & 0x08) !== 0,
  };
  if ((m & 0x40) !== 0) out.identify = (['off', 'timed', 'indefinite', 'indefinite'] as const)[(m >> 4) & 3];
  if (r.remaining > 0) out.frontPanel = r.u8();
  return out;
}

export async function getChassisStatus(ch: CommandChannel): Promise<ChassisStatus> {
  return decodeChassisStatus(await ch.request(NetFn.chassis, ChassisCmd.getStatus, undefined, 'Get Chassis Status'));
}

export type PowerAction = 'off' | 'on' | 'cycle' | 'reset' | 'diag' | 'soft';

const ACTION: Record<PowerAction, number> = { off: 0, on: 1, cycle: 2, reset: 3, diag: 4, soft: 5 };

export function encodeChassisControl(action: PowerAction): Buffer {
  const v = ACTION[action];
  if (v === undefined) throw new IpmiArgumentError(`unknown power action ${String(action)}`);
  return Buffer.from([v]);
}

/** Chassis Control: off, on, cycle, reset (hard), diag (pulse diagnostic interrupt), soft (ACPI shutdown). */
export async function chassisControl(ch: CommandChannel, action: PowerAction): Promise<void> {
  await ch.request(NetFn.chassis, ChassisCmd.control, encodeChassisControl(action), `Chassis Control (${action})`);
}

export function encodeIdentify(seconds: number | 'force' | 'off'): Buffer {
  if (seconds === 'force') return Buffer.from([0, 1]);
  if (seconds === 'off') return Buffer.from([0, 0]);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 255) throw new IpmiArgumentError('identify interval must be 0..255 seconds');
  return Buffer.from([seconds, 0]);
}

/** Chassis Identify: blink for `seconds`, 'force' (on until turned off) or 'off'. */
export async function chassisIdentify(ch: CommandChannel, seconds: number | 'force' | 'off' = 15): Promise<void> {
  await ch.request(NetFn.chassis, ChassisCmd.identify, encodeIdentify(seconds), 'Chassis Identify');
}
