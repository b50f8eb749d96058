/**
 * Messages with no body or a small fixed one: echo, experimenter, features, switch config,
 * barrier, role, async config, table_mod.
 */
import type { Reader, Writer } from '../wire.js';

export interface EchoRequest {
  type: 'echo_request';
  xid: number;
  data: Uint8Array;
}
export interface EchoReply {
  type: 'echo_reply';
  xid: number;
  data: Uint8Array;
}
export interface Experimenter {
  type: 'experimenter';
  xid: number;
  experimenter: number;
  expType: number;
  data: Uint8Array;
}
export interface FeaturesRequest {
  type: 'features_request';
  xid: number;
}
export interface FeaturesReply {
  type: 'features_reply';
  xid: number;
  datapathId: bigint;
  nBuffers: number;
  nTables: number;
  auxiliaryId: number;
  /** OFPC_* bits: FLOW_STATS 1, TABLE_STATS 2, PORT_STATS 4, GROUP_STATS 8, IP_REASM 32, QUEUE_STATS 64, PORT_BLOCKED 256. */
  capabilities: number;
  reserved: number;
}
export interface GetConfigRequest {
  type: 'get_config_request';
  xid: number;
}
export interface SwitchConfig {
  /** OFPC_FRAG_* */
  flags: number;
  /** Bytes of a packet sent to the controller on a table miss; 0xffff = whole packet. */
  missSendLen: number;
}
export interface GetConfigReply extends SwitchConfig {
  type: 'get_config_reply';
  xid: number;
}
export interface SetConfig extends SwitchConfig {
  type: 'set_config';
  xid: number;
}
export interface BarrierRequest {
  type: 'barrier_request';
  xid: number;
}
export interface BarrierReply {
  type: 'barrier_reply';
  xid: number;
}
export interface RoleBody {
  /** OFPCR_ROLE_* */
  role: number;
  generationId: bigint;
}
export interface RoleRequest extends RoleBody {
  type: 'role_request';
  xid: number;
}
export interface RoleReply extends RoleBody {
  type: 'role_reply';
  xid: number;
}
export interface GetAsyncRequest {
  type: 'get_async_request';
  xid: number;
}
/** Each mask pair is [master/equal role, slave role] bit sets of reasons. */
export interface AsyncConfig {
  packetInMask: [number, number];
  portStatusMask: [number, number];
  flowRemovedMask: [number, number];
}
export interface GetAsyncReply extends AsyncConfig {
  type: 'get_async_reply';
  xid: number;
}
export interface SetAsync extends AsyncConfig {
  type: 'set_async';
  xid: number;
}
export interface TableMod {
  type: 'table_mod';
  xid: number;
  tableId: number;
  config: number;
}
export interface QueueGetConfigRequest {
  type: 'queue_get_config_request';
  xid: number;
  port: number;
}

export function encodeData(w: Writer, m: { data: Uint8Array }): void {
  w.bytes(m.data, 'data');
}

export function encodeExperimenter(w: Writer, m: Experimenter): void {
  w.u32(m.experimenter, 'experimenter');
  w.u32(m.expType, 'exp_type');
  w.bytes(m.data);
}
export function decodeExperimenter(r: Reader, xid: number): Experimenter {
  const experimenter = r.u32('experimenter');
  const expType = r.u32('exp_type');
  return { type: 'experimenter', xid, experimenter, expType, data: r.rest() };
}

export function encodeFeaturesReply(w: Writer, m: FeaturesReply): void {
  w.u64(m.datapathId, 'datapath_id');
  w.u32(m.nBuffers, 'n_buffers');
  w.u8(m.nTables, 'n_tables');
  w.u8(m.auxiliaryId, 'auxiliary_id');
  w.zeros(2);
  w.u32(m.capabilities, 'capabilities');
  w.u32(m.reserved, 'reserved');
}
export function decodeFeaturesReply(r: Reader, xid: number): FeaturesReply {
  const datapathId = r.u64('datapath_id');
  const nBuffers = r.u32();
  const nTables = r.u8();
  const auxiliaryId = r.u8();
  r.skip(2);
  const capabilities = r.u32();
  const reserved = r.u32();
  return { type: 'features_reply', xid, datapathId, nBuffers, nTables, auxiliaryId, capabilities, reserved };
}

export function encodeSwitchConfig(w: Writer, m: SwitchConfig): void {
  w.u16(m.flags, 'config flags');
  w.u16(m.missSendLen, 'miss_send_len');
}
export function decodeSwitchConfig(r: Reader): SwitchConfig {
  const flags = r.u16('config flags');
  return { flags, missSendLen: r.u16('miss_send_len') };
}

export function encodeRole(w: Writer, m: RoleBody): void {
  w.u32(m.role, 'role');
  w.zeros(4);
  w.u64(m.generationId, 'generation_id');
}
export function decodeRole(r: Reader): RoleBody {
  const role = r.u32('role');
  r.skip(4);
  return { role, generationId: r.u64('generation_id') };
}

export function encodeAsync(w: Writer, m: AsyncConfig): void {
  for (const pair of [m.packetInMask, m.portStatusMask, m.flowRemovedMask]) {
    w.u32(pair[0], 'async mask');
    w.u32(pair[1], 'async mask');
  }
}
export function decodeAsync(r: Reader): AsyncConfig {
  const pair = (): [number, number] => [r.u32('async mask'), r.u32('async mask')];
  const packetInMask = pair();
  const portStatusMask = pair();
  return { packetInMask, portStatusMask, flowRemovedMask: pair() };
}

export function encodeTableMod(w: Writer, m: TableMod): void {
  w.u8(m.tableId, 'table id');
  w.zeros(3);
  w.u32(m.config, 'table config');
}
export function decodeTableMod(r: Reader, xid: number): TableMod {
  const tableId = r.u8('table id');
  r.skip(3);
  return { type: 'table_mod', xid, tableId, config: r.u32('table config') };
}

export function encodeQueueGetConfigRequest(w: Writer, m: QueueGetConfigRequest): void {
  w.u32(m.port, 'port');
  w.zeros(4);
}
export function decodeQueueGetConfigRequest(r: Reader, xid: number): QueueGetConfigRequest {
  const port = r.u32('port');
  r.skip(4);
  return { type: 'queue_get_config_request', xid, port };
}
