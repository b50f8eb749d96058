/**
 * Reading state: bridges, ports, interface statistics and link state (as ovs-vswitchd reports them
 * in the Interface table, refreshed every stats-update-interval, 5 s by default).
 */
import type { AtomValue } from '../datum.js';
import type { Row } from '../rows.js';
import type { VswitchContext } from './context.js';

export interface InterfaceStatus {
  name: string;
  uuid: string;
  type: string;
  ofport: number | null;
  adminState: 'up' | 'down' | null;
  linkState: 'up' | 'down' | null;
  linkSpeed: number | null;
  mtu: number | null;
  macInUse: string | null;
  error: string | null;
  /** rx_packets, tx_bytes, rx_dropped, collisions… as OVS names them. */
  statistics: Record<string, number>;
}

function numMap(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (v instanceof Map) for (const [k, x] of v as Map<AtomValue, AtomValue>) out[String(k)] = Number(x);
  return out;
}

function str<T extends string>(v: unknown): T | null {
  return typeof v === 'string' ? (v as T) : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

export function toInterfaceStatus(r: Row): InterfaceStatus {
  return {
    name: String(r['name']),
    uuid: r._uuid,
    type: typeof r['type'] === 'string' ? r['type'] : '',
    ofport: num(r['ofport']),
    adminState: str(r['admin_state']),
    linkState: str(r['link_state']),
    linkSpeed: num(r['link_speed']),
    mtu: num(r['mtu']),
    macInUse: str(r['mac_in_use']),
    error: str(r['error']),
    statistics: numMap(r['statistics']),
  };
}

const IFACE_COLUMNS = ['name', 'type', 'ofport', 'admin_state', 'link_state', 'link_speed', 'mtu', 'mac_in_use', 'error', 'statistics'];

export async function interfaceStatus(ctx: VswitchContext, name: string): Promise<InterfaceStatus> {
  return toInterfaceStatus(await ctx.byName('Interface', name, IFACE_COLUMNS));
}

export async function allInterfaceStatus(ctx: VswitchContext): Promise<InterfaceStatus[]> {
  return (await ctx.select('Interface', [], ['_uuid', ...IFACE_COLUMNS])).map(toInterfaceStatus);
}

export async function listBridges(ctx: VswitchContext): Promise<string[]> {
  return (await ctx.select('Bridge', [], ['name'])).map((r) => String(r['name'])).sort();
}

/** Names of a bridge's ports (without the bridge's own local port, as `ovs-vsctl list-ports`). */
export async function listPorts(ctx: VswitchContext, bridge: string): Promise<string[]> {
  const b = await ctx.byName('Bridge', bridge, ['ports']);
  const ids = new Set(b['ports'] as string[]);
  const ports = await ctx.select('Port', [], ['name']);
  return ports
    .filter((p) => ids.has(p._uuid) && p['name'] !== bridge)
    .map((p) => String(p['name']))
    .sort();
}
