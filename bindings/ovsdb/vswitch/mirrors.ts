/**
 * Port mirroring: a Mirror row on a bridge selecting traffic (all, or from/to given ports, or
 * VLANs) and sending it to an output port or VLAN. Mirror is not a root table: removing it from
 * the bridge deletes it.
 */
import type { DatumValue } from '../datum.js';
import { OvsdbArgumentError, OvsdbNotFoundError } from '../errors.js';
import { freshName } from '../uuid.js';
import type { CommitOptions, StringMap, VswitchContext } from './context.js';
import { checkName, toMap } from './context.js';

export interface MirrorSpec extends CommitOptions {
  selectAll?: boolean;
  /** Port names whose received packets are mirrored. */
  selectSrcPorts?: string[];
  /** Port names whose sent packets are mirrored. */
  selectDstPorts?: string[];
  selectVlans?: number[];
  /** Port name that receives the copies (or use outputVlan). */
  outputPort?: string;
  outputVlan?: number;
  externalIds?: StringMap;
}

/** Adds a mirror to a bridge; resolves with its uuid. */
export async function addMirror(ctx: VswitchContext, bridge: string, name: string, s: MirrorSpec): Promise<string> {
  checkName('mirror', name);
  if ((s.outputPort === undefined) === (s.outputVlan === undefined)) throw new OvsdbArgumentError(`mirror ${name}: give exactly one of outputPort and outputVlan`);
  const names = new Set([...(s.selectSrcPorts ?? []), ...(s.selectDstPorts ?? []), ...(s.outputPort ? [s.outputPort] : [])]);
  const uuids = new Map<string, string>();
  for (const n of names) uuids.set(n, (await ctx.byName('Port', n, ['_uuid']))._uuid);
  const t = await ctx.txn();
  t.mustExist('Bridge', bridge);
  // The mirror's name is unique per bridge (not per schema); check among this bridge's mirrors.
  const existing = await ctx.select('Mirror', [['name', '==', name]], ['_uuid']);
  for (const m of existing) {
    t.mustNotExist('Bridge', `${bridge} mirror ${name}`, [['name', '==', bridge], ['mirrors', 'includes', [m._uuid]]]);
  }
  for (const [n, u] of uuids) t.mustExist('Port', n, [['_uuid', '==', u]]);
  const row: Record<string, DatumValue> = {
    name,
    select_all: s.selectAll ?? false,
    select_src_port: (s.selectSrcPorts ?? []).map((n) => uuids.get(n) as string),
    select_dst_port: (s.selectDstPorts ?? []).map((n) => uuids.get(n) as string),
    select_vlan: s.selectVlans ?? [],
    output_port: s.outputPort ? (uuids.get(s.outputPort) as string) : null,
    output_vlan: s.outputVlan ?? null,
    external_ids: toMap(s.externalIds),
  };
  const m = freshName('mirror');
  const i = t.ops.insert('Mirror', row, m);
  t.ops.mutate('Bridge', [['name', '==', bridge]], [['mirrors', 'insert', [m]]]);
  const r = await ctx.commit(t, s);
  return (r[i] as { uuid: string }).uuid;
}

/** Removes a bridge's mirror by name. */
export async function deleteMirror(ctx: VswitchContext, bridge: string, name: string, o: CommitOptions = {}): Promise<void> {
  const b = await ctx.byName('Bridge', bridge, ['mirrors']);
  const mirrors = (b['mirrors'] as string[]) ?? [];
  const rows = mirrors.length === 0 ? [] : await ctx.select('Mirror', [['name', '==', name]], ['_uuid']);
  const uuid = rows.find((r) => mirrors.includes(r._uuid))?._uuid;
  if (uuid === undefined) throw new OvsdbNotFoundError('Mirror', `${bridge}/${name}`);
  const t = await ctx.txn();
  t.mustExist('Mirror', name, [['_uuid', '==', uuid]]);
  t.ops.mutate('Bridge', [['name', '==', bridge]], [['mirrors', 'delete', [uuid]]]);
  await ctx.commit(t, o);
}
