/**
 * Quality of service on a port: egress shaping with a QoS row (linux-htb with queues, or
 * egress-policer) and ingress policing on an interface. Setting a port's QoS replaces and deletes
 * the port's previous QoS and its queues in the same transaction (QoS and Queue are root tables,
 * so OVSDB would otherwise keep them forever).
 */
import type { AtomValue, DatumValue } from '../datum.js';
import type { Row } from '../rows.js';
import { freshName, type NamedUuid } from '../uuid.js';
import type { CommitOptions, StringMap, VswitchContext, VswitchTxn } from './context.js';
import { toMap } from './context.js';

export interface QueueSpec {
  /** bits/s */
  minRate?: number;
  maxRate?: number;
  /** bits */
  burst?: number;
  priority?: number;
  dscp?: number;
  otherConfig?: StringMap;
}

export interface QosSpec {
  /** "linux-htb", "linux-hfsc", "egress-policer", "linux-sfq"… */
  type: string;
  /** Overall ceiling in bits/s (other_config:max-rate). */
  maxRate?: number;
  /** egress-policer: committed rate in bytes/s and burst in bytes (other_config:cir, cbs). */
  cir?: number;
  cbs?: number;
  /** Queue number → queue. */
  queues?: Record<number, QueueSpec> | Map<number, QueueSpec>;
  otherConfig?: StringMap;
  externalIds?: StringMap;
}

function queueRow(q: QueueSpec): Record<string, DatumValue> {
  const oc = toMap(q.otherConfig);
  if (q.minRate !== undefined) oc.set('min-rate', String(q.minRate));
  if (q.maxRate !== undefined) oc.set('max-rate', String(q.maxRate));
  if (q.burst !== undefined) oc.set('burst', String(q.burst));
  if (q.priority !== undefined) oc.set('priority', String(q.priority));
  const row: Record<string, DatumValue> = { other_config: oc };
  if (q.dscp !== undefined) row['dscp'] = q.dscp;
  return row;
}

/** Asserts the port still has the QoS we read (must precede the port's update). */
function verifyOldQos(t: VswitchTxn, { port }: CurrentQos): void {
  t.ops.wait('Port', [['_uuid', '==', port._uuid]], ['qos'], '==', [{ qos: port['qos'] ?? null }], 0);
}

/** Deletes the port's previous QoS row and its queues. */
function dropOldQos(t: VswitchTxn, { port, queues }: CurrentQos): void {
  const old = port['qos'];
  if (typeof old !== 'string') return;
  t.ops.delete('QoS', [['_uuid', '==', old]]);
  for (const q of queues) t.ops.delete('Queue', [['_uuid', '==', q]]);
}

interface CurrentQos {
  port: Row;
  /** The queues of the port's current QoS. */
  queues: string[];
}

async function currentQos(ctx: VswitchContext, port: string): Promise<CurrentQos> {
  const row = await ctx.byName('Port', port, ['qos']);
  const qos = row['qos'];
  if (typeof qos !== 'string') return { port: row, queues: [] };
  const q = await ctx.select('QoS', [['_uuid', '==', qos]], ['queues']);
  const queues = q[0]?.['queues'];
  return { port: row, queues: queues instanceof Map ? [...new Set([...queues.values()].map(String))] : [] };
}

/** Sets a port's egress QoS (with queues); returns the new QoS row's uuid. */
export async function setPortQos(ctx: VswitchContext, port: string, spec: QosSpec, o: CommitOptions = {}): Promise<string> {
  const current = await currentQos(ctx, port);
  const t = await ctx.txn();
  t.mustExist('Port', port);
  verifyOldQos(t, current);
  const queues = new Map<AtomValue, AtomValue>();
  const entries = spec.queues instanceof Map ? [...spec.queues] : Object.entries(spec.queues ?? {}).map(([k, v]) => [Number(k), v] as const);
  for (const [id, q] of entries) {
    const n: NamedUuid = freshName('queue');
    t.ops.insert('Queue', queueRow(q), n);
    queues.set(id, n);
  }
  const oc = toMap(spec.otherConfig);
  if (spec.maxRate !== undefined) oc.set('max-rate', String(spec.maxRate));
  if (spec.cir !== undefined) oc.set('cir', String(spec.cir));
  if (spec.cbs !== undefined) oc.set('cbs', String(spec.cbs));
  const qn = freshName('qos');
  const qi = t.ops.insert('QoS', { type: spec.type, other_config: oc, queues, external_ids: toMap(spec.externalIds) }, qn);
  t.ops.update('Port', [['name', '==', port]], { qos: qn });
  dropOldQos(t, current);
  const r = await ctx.commit(t, o);
  return (r[qi] as { uuid: string }).uuid;
}

/** Removes a port's QoS, deleting the QoS row and its queues. */
export async function clearPortQos(ctx: VswitchContext, port: string, o: CommitOptions = {}): Promise<void> {
  const current = await currentQos(ctx, port);
  const t = await ctx.txn();
  t.mustExist('Port', port);
  verifyOldQos(t, current);
  t.ops.update('Port', [['name', '==', port]], { qos: null });
  dropOldQos(t, current);
  await ctx.commit(t, o);
}

/** Ingress policing on an interface: rate in kbit/s (0 disables), burst in kbit. */
export async function setIngressPolicing(ctx: VswitchContext, iface: string, rateKbps: number, burstKb = 0, o: CommitOptions = {}): Promise<void> {
  const t = await ctx.txn();
  t.mustExist('Interface', iface);
  t.ops.update('Interface', [['name', '==', iface]], { ingress_policing_rate: rateKbps, ingress_policing_burst: burstKb });
  await ctx.commit(t, o);
}
