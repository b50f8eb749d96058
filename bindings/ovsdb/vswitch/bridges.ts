/**
 * Bridges: add (with its internal port, datapath type, OpenFlow protocols, fail mode, controllers
 * and external_ids) and delete, each in one transaction; controller and fail-mode changes.
 */
import type { DatumValue } from '../datum.js';
import { OvsdbNotFoundError } from '../errors.js';
import { freshName } from '../uuid.js';
import type { CommitOptions, StringMap, VswitchContext } from './context.js';
import { checkName, toMap } from './context.js';

export type OpenFlowProtocol = 'OpenFlow10' | 'OpenFlow11' | 'OpenFlow12' | 'OpenFlow13' | 'OpenFlow14' | 'OpenFlow15';

export interface AddBridgeOptions extends CommitOptions {
  /** "system" (the default datapath; the dummy one on a userspace-only host), "netdev", "dummy"… */
  datapathType?: string;
  protocols?: OpenFlowProtocol[];
  failMode?: 'standalone' | 'secure';
  /** Controller targets, e.g. "tcp:127.0.0.1:6653" or "ptcp:6653:127.0.0.1". */
  controllers?: string[];
  externalIds?: StringMap;
  otherConfig?: StringMap;
  /** Succeed without change when the bridge exists (default: OvsdbExistsError). */
  mayExist?: boolean;
}

/** Adds a bridge and its local internal port; resolves with the bridge's uuid. */
export async function addBridge(ctx: VswitchContext, name: string, o: AddBridgeOptions = {}): Promise<string> {
  checkName('bridge', name);
  if (o.mayExist) {
    const rows = await ctx.select('Bridge', [['name', '==', name]], ['_uuid']);
    if (rows[0]) return rows[0]._uuid;
  }
  const t = await ctx.txn();
  t.mustNotExist('Bridge', name);
  t.mustNotExist('Port', name);
  const iface = freshName('iface');
  const port = freshName('port');
  const bridge = freshName('bridge');
  t.ops.insert('Interface', { name, type: 'internal' }, iface);
  t.ops.insert('Port', { name, interfaces: [iface] }, port);
  const controllers = (o.controllers ?? []).map((target) => {
    const c = freshName('ctl');
    t.ops.insert('Controller', { target }, c);
    return c;
  });
  const bi = t.ops.insert(
    'Bridge',
    {
      name,
      ports: [port],
      datapath_type: o.datapathType ?? '',
      protocols: o.protocols ?? [],
      fail_mode: o.failMode ?? null,
      controller: controllers,
      external_ids: toMap(o.externalIds),
      other_config: toMap(o.otherConfig),
    },
    bridge,
  );
  t.ops.mutate('Open_vSwitch', [], [['bridges', 'insert', [bridge]]]);
  const results = await ctx.commit(t, o);
  return (results[bi] as { uuid: string }).uuid;
}

/** Deletes a bridge with its ports, interfaces, mirrors and controllers (garbage-collected by OVSDB). */
export async function deleteBridge(ctx: VswitchContext, name: string, o: CommitOptions & { ifExists?: boolean } = {}): Promise<boolean> {
  checkName('bridge', name);
  const rows = await ctx.select('Bridge', [['name', '==', name]], ['_uuid']);
  const uuid = rows[0]?._uuid;
  if (uuid === undefined) {
    if (o.ifExists) return false;
    throw new OvsdbNotFoundError('Bridge', name);
  }
  const t = await ctx.txn();
  // Still the same row: a bridge deleted and re-created meanwhile must not be touched.
  t.mustExist('Bridge', name, [['_uuid', '==', uuid], ['name', '==', name]]);
  t.ops.mutate('Open_vSwitch', [], [['bridges', 'delete', [uuid]]]);
  await ctx.commit(t, o);
  return true;
}

/** Replaces a bridge's controllers (an empty list removes them). */
export async function setControllers(ctx: VswitchContext, bridge: string, targets: string[], o: CommitOptions = {}): Promise<void> {
  const t = await ctx.txn();
  t.mustExist('Bridge', bridge);
  const refs = targets.map((target) => {
    const c = freshName('ctl');
    t.ops.insert('Controller', { target }, c);
    return c;
  });
  t.ops.update('Bridge', [['name', '==', bridge]], { controller: refs });
  await ctx.commit(t, o);
}

export interface BridgeSettings {
  protocols?: OpenFlowProtocol[];
  failMode?: 'standalone' | 'secure' | null;
  datapathType?: string;
  externalIds?: StringMap;
  otherConfig?: StringMap;
}

/** Changes some settings of a bridge (absent fields are left alone). */
export async function updateBridge(ctx: VswitchContext, bridge: string, s: BridgeSettings, o: CommitOptions = {}): Promise<void> {
  const t = await ctx.txn();
  t.mustExist('Bridge', bridge);
  const row: Record<string, DatumValue> = {};
  if (s.protocols !== undefined) row['protocols'] = s.protocols;
  if (s.failMode !== undefined) row['fail_mode'] = s.failMode;
  if (s.datapathType !== undefined) row['datapath_type'] = s.datapathType;
  if (s.externalIds !== undefined) row['external_ids'] = toMap(s.externalIds);
  if (s.otherConfig !== undefined) row['other_config'] = toMap(s.otherConfig);
  t.ops.update('Bridge', [['name', '==', bridge]], row);
  await ctx.commit(t, o);
}
