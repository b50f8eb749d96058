/** LAN configuration parameters (IPMI 2.0 section 23.2): read-only view of a LAN channel. */
import { Reader } from '../bytes.js';
import { IpmiCompletionError } from '../errors.js';
import { NetFn } from '../message.js';
import type { CommandChannel } from '../session.js';

export const LanCmd = { getConfig: 0x02 } as const;

export const LanParam = {
  setInProgress: 0,
  authTypeSupport: 1,
  authTypeEnables: 2,
  ipAddress: 3,
  ipSource: 4,
  macAddress: 5,
  subnetMask: 6,
  ipv4Header: 7,
  defaultGateway: 12,
  defaultGatewayMac: 13,
  backupGateway: 14,
  backupGatewayMac: 15,
  community: 16,
  vlanId: 20,
  vlanPriority: 21,
  cipherSuiteSupport: 22,
  cipherSuites: 23,
  cipherSuitePrivileges: 24,
} as const;

/** One parameter's data (after the revision byte); undefined when the BMC does not support it (0x80). */
export async function getLanParameter(ch: CommandChannel, channel: number, parameter: number, set = 0, block = 0): Promise<Buffer | undefined> {
  const r = await ch.requestRaw(NetFn.transport, LanCmd.getConfig, Buffer.from([channel & 0x0f, parameter, set, block]));
  if (r.completionCode === 0x80) return undefined;
  if (r.completionCode !== 0) throw new IpmiCompletionError(NetFn.transport, LanCmd.getConfig, r.completionCode, `Get LAN Configuration Parameter ${parameter}`);
  return r.data.subarray(1);
}

export type IpSource = 'unspecified' | 'static' | 'dhcp' | 'bios' | 'other';

export interface LanConfig {
  channel: number;
  ipAddress?: string;
  ipSource?: IpSource;
  macAddress?: string;
  subnetMask?: string;
  defaultGateway?: string;
  defaultGatewayMac?: string;
  backupGateway?: string;
  backupGatewayMac?: string;
  community?: string;
  /** undefined when VLAN is disabled or not reported. */
  vlanId?: number;
  vlanEnabled?: boolean;
  vlanPriority?: number;
  /** Cipher suite IDs the channel supports (parameter 23). */
  cipherSuites?: number[];
  /** Max privilege per cipher suite entry, as ipmitool prints it ("aaaa..."), parameter 24. */
  cipherSuitePrivileges?: string;
  /** Auth types supported (bit 0 none, 1 MD2, 2 MD5, 4 straight, 5 OEM). */
  authTypeSupport?: number;
}

const ip = (b: Buffer): string => [...b.subarray(0, 4)].join('.');
const mac = (b: Buffer): string => [...b.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');

export function decodeIpSource(b: number): IpSource {
  return (['unspecified', 'static', 'dhcp', 'bios', 'other'] as const)[b & 0x0f] ?? 'other';
}

export function decodeCipherSuitePrivileges(d: Buffer): string {
  const letters = 'XcuoaO';
  let s = '';
  for (const byte of d.subarray(1, 9)) {
    for (const nibble of [byte & 0x0f, byte >> 4]) s += letters[nibble] ?? 'X';
  }
  return s;
}

export async function getLanConfig(ch: CommandChannel, channel = 1): Promise<LanConfig> {
  const out: LanConfig = { channel };
  const get = (p: number): Promise<Buffer | undefined> => getLanParameter(ch, channel, p);
  const reader = (d: Buffer, what: string): Reader => new Reader(d, what);
  let d = await get(LanParam.authTypeSupport);
  if (d !== undefined) out.authTypeSupport = reader(d, 'auth type support').u8() & 0x3f;
  d = await get(LanParam.ipAddress);
  if (d !== undefined && d.length >= 4) out.ipAddress = ip(d);
  d = await get(LanParam.ipSource);
  if (d !== undefined && d.length >= 1) out.ipSource = decodeIpSource(d[0] as number);
  d = await get(LanParam.macAddress);
  if (d !== undefined && d.length >= 6) out.macAddress = mac(d);
  d = await get(LanParam.subnetMask);
  if (d !== undefined && d.length >= 4) out.subnetMask = ip(d);
  d = await get(LanParam.defaultGateway);
  if (d !== undefined && d.length >= 4) out.defaultGateway = ip(d);
  d = await get(LanParam.defaultGatewayMac);
  if (d !== undefined && d.length >= 6) out.defaultGatewayMac = mac(d);
  d = await get(LanParam.backupGateway);
  if (d !== undefined && d.length >= 4) out.backupGateway = ip(d);
  d = await get(LanParam.backupGatewayMac);
  if (d !== undefined && d.length >= 6) out.backupGatewayMac = mac(d);
  d = await get(LanParam.community);
  if (d !== undefined) {
    const end = d.indexOf(0);
    out.community = d.subarray(0, end < 0 ? d.length : end).toString('latin1');
  }
  d = await get(LanParam.vlanId);
  if (d !== undefined && d.length >= 2) {
    const v = d.readUInt16LE(0);
    out.vlanEnabled = (v & 0x8000) !== 0;
    if (out.vlanEnabled) out.vlanId = v & 0x0fff;
  }
  d = await get(LanParam.vlanPriority);
  if (d !== undefined && d.length >= 1) out.vlanPriority = (d[0] as number) & 0x07;
  d = await get(LanParam.cipherSuiteSupport);
  const count = d !== undefined && d.length >= 1 ? (d[0] as number) & 0x1f : 0;
  d = await get(LanParam.cipherSuites);
  if (d !== undefined && d.length >= 1) out.cipherSuites = [...d.subarray(1, 1 + count)];
  d = await get(LanParam.cipherSuitePrivileges);
  if (d !== undefined && d.length >= 2) out.cipherSuitePrivileges = decodeCipherSuitePrivileges(d).slice(0, count);
  return out;
}
