/**
 * Ports and interfaces: internal, tap, system/dummy, patch pairs, vxlan/geneve tunnels (remote_ip,
 * key), VLAN access tag and trunks; each add/delete is one transaction. The OpenFlow port number
 * arrives once ovs-vswitchd has created the interface: waitForOfport blocks on the server until
 * Interface.ofport is set.
 */
import type { DatumValue } from '../datum.js';
import { OvsdbArgumentError, OvsdbInterfaceError, OvsdbNotFoundError, OvsdbTimeoutError, OvsdbTransactionError } from '../errors.js';
import type { Row } from '../rows.js';
import { freshName } from '../uuid.js';
import type { CommitOptions, StringMap, VswitchContext, VswitchTxn } from './context.js';
import { checkName, toMap } from './context.js';

export type VlanMode = 'trunk' | 'access' | 'native-tagged' | 'native-untagged' | 'dot1q-tunnel';

export interface VlanSettings {
  /** Access VLAN (1..4095), or null to clear. */
  tag?: number | null;
  /** Trunked VLANs (empty: all). */
  trunks?: number[];
  vlanMode?: VlanMode | null;
}

export interface InterfaceSpec {
  name: string;
  /** "" (system), "internal", "tap", "patch", "vxlan", "geneve", "dummy"… */
  type?: string;
  options?: StringMap;
  externalIds?: StringMap;
  /** Ask for this OpenFlow port number. */
  ofportRequest?: number;
  mtuRequest?: number;
}

export interface AddPortOptions extends CommitOptions, VlanSettings {
  /** Interface settings (the interface is named like the port). */
  type?: string;
  options?: StringMap;
  ifaceExternalIds?: StringMap;
  ofportRequest?: number;
  mtuRequest?: number;
  /** Port external_ids. */
  externalIds?: StringMap;
  /** More than one interface makes a bond (then type/options above are ignored). */
  interfaces?: InterfaceSpec[];
  /** Succeed without change when the port exists on this bridge. */
  mayExist?: boolean;
}

function interfaceRow(spec: InterfaceSpec): Record<string, DatumValue> {
  const row: Record<string, DatumValue> = { name: checkName('interface', spec.name) };
  if (spec.type !== undefined) row['type'] = spec.type;
  if (spec.options !== undefined) row['options'] = toMap(spec.options);
  if (spec.externalIds !== undefined) row['external_ids'] = toMap(spec.externalIds);
  if (spec.ofportRequest !== undefined) row['ofport_request'] = spec.ofportRequest;
  if (spec.mtuRequest !== undefined) row['mtu_request'] = spec.mtuRequest;
  return row;
}

function vlanRow(v: VlanSettings): Record<string, DatumValue> {
  const row: Record<string, DatumValue> = {};
  if (v.tag !== undefined) row['tag'] = v.tag;
  if (v.trunks !== undefined) row['trunks'] = [...v.trunks];
  if (v.vlanMode !== undefined) row['vlan_mode'] = v.vlanMode;
  return row;
}

/** Adds the port's rows to `t` (used by addPort and addPatchPair). */
function addPortOps(t: VswitchTxn, bridge: string, name: string, o: AddPortOptions): number {
  checkName('port', name);
  t.mustExist('Bridge', bridge);
  t.mustNotExist('Port', name);
  const specs: InterfaceSpec[] = o.interfaces ?? [
    { name, type: o.type, options: o.options, externalIds: o.ifaceExternalIds, ofportRequest: o.ofportRequest, mtuRequest: o.mtuRequest } as InterfaceSpec,
  ];
  if (specs.length === 0) throw new OvsdbArgumentError(`port ${name}: no interfaces`);
  const ifaces = specs.map((s) => {
    const n = freshName('iface');
    t.mustNotExist('Interface', s.name);
    t.ops.insert('Interface', interfaceRow(s), n);
    return n;
  });
  const port = freshName('port');
  const index = t.ops.insert('Port', { name, interfaces: ifaces, external_ids: toMap(o.externalIds), ...vlanRow(o) }, port);
  t.ops.mutate('Bridge', [['name', '==', bridge]], [['ports', 'insert', [port]]]);
  return index;
}

/** Adds a port with its interface(s) to a bridge; resolves with the port's uuid. */
export async function addPort(ctx: VswitchContext, bridge: string, name: string, o: AddPortOptions = {}): Promise<string> {
  if (o.mayExist) {
    const rows = await ctx.select('Port', [['name', '==', name]], ['_uuid']);
    if (rows[0]) {
      const owner = await ctx.select('Bridge', [['name', '==', bridge], ['ports', 'includes', [rows[0]._uuid]]], ['_uuid']);
      if (owner.length > 0) return rows[0]._uuid;
    }
  }
  const t = await ctx.txn();
  const i = addPortOps(t, bridge, name, o);
  const r = await ctx.commit(t, o);
  return (r[i] as { uuid: string }).uuid;
}

export interface TunnelOptions extends CommitOptions, VlanSettings {
  kind: 'vxlan' | 'geneve' | 'gre';
  remoteIp: string;
  /** VNI / tunnel key: a number, or "flow" to set it per flow. */
  key?: number | 'flow';
  localIp?: string;
  dstPort?: number;
  /** Any further interface options. */
  options?: StringMap;
  externalIds?: StringMap;
  ofportRequest?: number;
}

/** Adds a vxlan/geneve/gre tunnel port. */
export async function addTunnelPort(ctx: VswitchContext, bridge: string, name: string, o: TunnelOptions): Promise<string> {
  const options = toMap(o.options);
  options.set('remote_ip', o.remoteIp);
  if (o.key !== undefined) options.set('key', String(o.key));
  if (o.localIp !== undefined) options.set('local_ip', o.localIp);
  if (o.dstPort !== undefined) options.set('dst_port', String(o.dstPort));
  return addPort(ctx, bridge, name, { ...o, type: o.kind, options, ifaceExternalIds: o.externalIds, externalIds: undefined });
}

/** Adds two patch ports peered with each other, on two bridges, in one transaction. */
export async function addPatchPair(ctx: VswitchContext, bridgeA: string, portA: string, bridgeB: string, portB: string, o: CommitOptions = {}): Promise<[string, string]> {
  const t = await ctx.txn();
  const ia = addPortOps(t, bridgeA, portA, { type: 'patch', options: { peer: portB } });
  const ib = addPortOps(t, bridgeB, portB, { type: 'patch', options: { peer: portA } });
  const r = await ctx.commit(t, o);
  return [(r[ia] as { uuid: string }).uuid, (r[ib] as { uuid: string }).uuid];
}

/** Removes a port (and its interfaces) from its bridge. */
export async function deletePort(ctx: VswitchContext, bridge: string, name: string, o: CommitOptions & { ifExists?: boolean } = {}): Promise<boolean> {
  const rows = await ctx.select('Port', [['name', '==', name]], ['_uuid']);
  const uuid = rows[0]?._uuid;
  if (uuid === undefined) {
    if (o.ifExists) return false;
    throw new OvsdbNotFoundError('Port', name);
  }
  const t = await ctx.txn();
  t.mustExist('Port', `${bridge}/${name}`, [['_uuid', '==', uuid], ['name', '==', name]]);
  t.mustExist('Bridge', bridge, [['name', '==', bridge], ['ports', 'includes', [uuid]]]);
  t.ops.mutate('Bridge', [['name', '==', bridge]], [['ports', 'delete', [uuid]]]);
  await ctx.commit(t, o);
  return true;
}

/** Sets the access tag / trunks / VLAN mode of a port. */
export async function setPortVlan(ctx: VswitchContext, port: string, v: VlanSettings, o: CommitOptions = {}): Promise<void> {
  const t = await ctx.txn();
  t.mustExist('Port', port);
  t.ops.update('Port', [['name', '==', port]], vlanRow(v));
  await ctx.commit(t, o);
}

/** Sets (replaces) options/external_ids of an interface. */
export async function updateInterface(ctx: VswitchContext, iface: string, s: { options?: StringMap; externalIds?: StringMap; type?: string; mtuRequest?: number | null }, o: CommitOptions = {}): Promise<void> {
  const t = await ctx.txn();
  t.mustExist('Interface', iface);
  const row: Record<string, DatumValue> = {};
  if (s.options !== undefined) row['options'] = toMap(s.options);
  if (s.externalIds !== undefined) row['external_ids'] = toMap(s.externalIds);
  if (s.type !== undefined) row['type'] = s.type;
  if (s.mtuRequest !== undefined) row['mtu_request'] = s.mtuRequest;
  t.ops.update('Interface', [['name', '==', iface]], row);
  await ctx.commit(t, o);
}

/**
 * Resolves with the interface's OpenFlow port number once ovs-vswitchd has assigned it. The wait
 * happens on the server (a `wait` operation), so no polling.
 */
export async function waitForOfport(ctx: VswitchContext, iface: string, timeoutMs = 30_000): Promise<number> {
  const t = await ctx.txn();
  t.mustExist('Interface', iface);
  t.ops.wait('Interface', [['name', '==', iface]], ['ofport'], '!=', [{ ofport: null }], timeoutMs);
  const sel = t.ops.select('Interface', [['name', '==', iface]], ['ofport', 'error']);
  let r;
  try {
    r = await ctx.client.transact(t.ops, { timeoutMs: timeoutMs + 5000 });
  } catch (err) {
    if (err instanceof OvsdbTransactionError && err.error === 'timed out' && err.index === 1) throw new OvsdbTimeoutError(`ofport of ${iface}`, timeoutMs);
    throw t.mapError(err);
  }
  const row = (r[sel] as { rows: Row[] }).rows[0];
  const ofport = row?.['ofport'];
  if (typeof ofport !== 'number' || ofport < 0) throw new OvsdbInterfaceError(iface, typeof row?.['error'] === 'string' ? row['error'] : 'no OpenFlow port');
  return ofport;
}
