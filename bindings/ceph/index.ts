/**
 * tstack-host/ceph: Ceph RADOS and RBD through librados/librbd (Node-API addon in native/ceph).
 * Importing never fails; the first call that needs the addon throws ERR_CEPH_NATIVE_UNAVAILABLE
 * when it is not built.
 */
export { Cluster, type ClusterStats, type ConnectOptions, type CephTimeouts, type MonCommandResult } from './cluster.js';
export {
  IoCtx,
  type CompareAndWriteResult,
  type ListedObject,
  type LockInfo,
  type Locker,
  type LockOptions,
  type NotifyAck,
  type NotifyResult,
  type ObjectStat,
  type OmapIterateOptions,
  type PoolStats,
} from './ioctx.js';
export { Watch, type NotifyEvent, type WatchOptions } from './watch.js';
export * from './rbd/index.js';
export { CephError, CephClosedError, CephInvalidArgumentError, CephNativeUnavailableError, type CephErrorCode } from './errors.js';
export { nativeAvailable } from './native.js';
export type { Data } from './args.js';
