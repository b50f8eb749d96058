/**
 * tstack-host/ovsdb: a pure-TypeScript OVSDB (RFC 7047) client for Open vSwitch, with a live
 * replica (IDL) and the vswitch operations a host agent needs.
 */
export * from './errors.js';
export { JsonStreamParser, type JsonStreamParserOptions } from './framing.js';
export { JsonRpcSession, type JsonRpcSessionOptions } from './jsonrpc.js';
export { parseEndpoint, formatEndpoint, type Endpoint } from './transport.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export {
  OvsdbClient,
  checkTransactReply,
  type OvsdbClientOptions,
  type RequestOptions,
  type MonitorRequest,
  type MonitorRequests,
  type MonitorHandle,
  type MonitorKind,
  type TableUpdates,
  type UpdateListener,
  type TransactResult,
} from './client.js';
export * from './schema.js';
export * from './datum.js';
export * from './uuid.js';
export * from './rows.js';
export { Operations, type Mutation, type Mutator, type InsertResult, type SelectResult, type CountResult, type OperationError } from './operations.js';
export { applyDiff, applyUpdate1, applyUpdate2, type RowChange } from './updates.js';
export { RowIndex, datumKey } from './row-index.js';
export { ReplicaTable } from './replica-table.js';
export { Replica, type ReplicaOptions, type ReplicaTableSpec, type ReplicaIndexSpec, type ChangeEvent, type ReplicaEvents } from './replica.js';
export { ReplicaTransaction, VerificationFailed, type RowRef } from './replica-txn.js';
export * from './models/open-vswitch.js';
export * from './vswitch/index.js';
