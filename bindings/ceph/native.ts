/**
 * Loads the Node-API addon (native/ceph) lazily: importing the binding never fails, the first call
 * that needs librados throws CephNativeUnavailableError naming the Debian packages.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../../common/package-root.js';
import { CephNativeUnavailableError, nativeError } from './errors.js';
import type { PoolStats } from './ioctx.js';

export interface NativeImageOptions {
  features?: bigint;
  order?: number;
  stripeUnit?: number;
  stripeCount?: number;
  dataPool?: string;
}

export interface NativeCluster {
  connect(o: { id: string; conf?: string; options: [string, string][] }): Promise<void>;
  fsid(): string;
  instanceId(): bigint;
  confGet(name: string): string;
  stats(): Promise<{ kb: number; kbUsed: number; kbAvail: number; numObjects: number }>;
  poolList(): Promise<string[]>;
  poolCreate(name: string): Promise<void>;
  poolDelete(name: string): Promise<void>;
  poolLookup(name: string): Promise<number>;
  monCommand(json: string, input?: Buffer): Promise<{ outbuf: Buffer; outs: string }>;
  openIoctx(pool: string): Promise<NativeIoctx>;
  close(): Promise<void>;
  isClosed(): boolean;
}

export type NativeWatchCallback = (kind: 'notify' | 'error', notifyId: bigint, notifierId: bigint, payload: Buffer | Error) => void;

export interface NativeIoctx {
  setNamespace(ns: string): void;
  setLocator(key: string): void;
  poolId(): number;
  write(oid: string, data: Buffer, offset: number): Promise<void>;
  writeFull(oid: string, data: Buffer): Promise<void>;
  append(oid: string, data: Buffer): Promise<void>;
  read(oid: string, into: Buffer, offset: number): Promise<number>;
  stat(oid: string): Promise<{ size: number; mtime: number }>;
  remove(oid: string): Promise<void>;
  truncate(oid: string, size: number): Promise<void>;
  create(oid: string, exclusive: boolean): Promise<void>;
  getXattr(oid: string, name: string, into: Buffer): Promise<number>;
  setXattr(oid: string, name: string, value: Buffer): Promise<void>;
  rmXattr(oid: string, name: string): Promise<void>;
  getXattrs(oid: string): Promise<[string, Buffer][]>;
  omapSet(oid: string, keys: string[], values: Buffer[]): Promise<void>;
  omapGetByKeys(oid: string, keys: string[]): Promise<{ entries: [string, Buffer][]; more: boolean }>;
  omapGetVals(oid: string, startAfter: string, prefix: string, max: number): Promise<{ entries: [string, Buffer][]; more: boolean }>;
  omapRemoveKeys(oid: string, keys: string[]): Promise<void>;
  omapClear(oid: string): Promise<void>;
  compareAndWrite(oid: string, cmp: Buffer, cmpOffset: number, data: Buffer, offset: number): Promise<number>;
  list(allNamespaces: boolean): Promise<[string, string, string][]>;
  lockExclusive(oid: string, name: string, cookie: string, desc: string, durationMs: number, flags: number): Promise<void>;
  lockShared(oid: string, name: string, cookie: string, tag: string, desc: string, durationMs: number, flags: number): Promise<void>;
  unlock(oid: string, name: string, cookie: string): Promise<void>;
  listLockers(oid: string, name: string): Promise<{ exclusive: boolean; tag: string; lockers: [string, string, string][] }>;
  breakLock(oid: string, name: string, client: string, cookie: string): Promise<void>;
  poolStat(): Promise<PoolStats>;
  watch(oid: string, timeoutSeconds: number, cb: NativeWatchCallback): Promise<NativeWatch>;
  notify(oid: string, data: Buffer, timeoutMs: number): Promise<{ acks: [bigint, bigint, Buffer][]; timeouts: [bigint, bigint][]; timedOut: boolean }>;
  close(): Promise<void>;
  isClosed(): boolean;
}

export interface NativeWatch {
  ack(notifyId: bigint, reply?: Buffer): void;
  check(): number;
  cookie(): bigint;
  close(): Promise<void>;
  isClosed(): boolean;
}

export interface NativeImage {
  read(into: Buffer, offset: number): Promise<number>;
  write(data: Buffer, offset: number): Promise<number>;
  discard(offset: number, length: number): Promise<number>;
  flush(): Promise<number>;
  stat(): Promise<{ size: number; objectSize: number; numObjects: number; order: number; blockNamePrefix: string }>;
  size(): Promise<number>;
  features(): Promise<bigint>;
  id(): Promise<string>;
  resize(size: number, allowShrink: boolean): Promise<void>;
  snapCreate(name: string): Promise<void>;
  snapList(): Promise<[number, number, string, boolean][]>;
  snapRemove(name: string): Promise<void>;
  snapRollback(name: string): Promise<void>;
  snapProtect(name: string): Promise<void>;
  snapUnprotect(name: string): Promise<void>;
  snapIsProtected(name: string): Promise<boolean>;
  snapSet(name: string): Promise<void>;
  flatten(): Promise<void>;
  children(): Promise<[string, string, string, string, boolean][]>;
  parent(): Promise<[string, string, string, string, string, number] | null>;
  copy(dest: NativeIoctx, name: string, opts: NativeImageOptions): Promise<void>;
  diffIterate(fromSnap: string, offset: number, length: number, includeParent: boolean, wholeObject: boolean): Promise<[number, number, boolean][]>;
  watchers(): Promise<[string, number, bigint][]>;
  metadataGet(key: string): Promise<string>;
  metadataSet(key: string, value: string): Promise<void>;
  metadataRemove(key: string): Promise<void>;
  metadataList(): Promise<[string, string][]>;
  close(): Promise<void>;
  isClosed(): boolean;
}

export interface CephAddon {
  Cluster: new () => NativeCluster;
  setErrorFactory(f: typeof nativeError): void;
  versions(): { rados: string; rbd: string };
  rbdCreate(io: NativeIoctx, name: string, size: number, opts: NativeImageOptions): Promise<void>;
  rbdList(io: NativeIoctx): Promise<[string, string][]>;
  rbdRemove(io: NativeIoctx, name: string): Promise<void>;
  rbdRename(io: NativeIoctx, from: string, to: string): Promise<void>;
  rbdClone(p: NativeIoctx, parent: string, snap: string, c: NativeIoctx, name: string, opts: NativeImageOptions): Promise<void>;
  rbdTrashMove(io: NativeIoctx, name: string, delaySeconds: number): Promise<void>;
  rbdTrashRestore(io: NativeIoctx, id: string, name: string): Promise<void>;
  rbdTrashRemove(io: NativeIoctx, id: string, force: boolean): Promise<void>;
  rbdTrashList(io: NativeIoctx): Promise<[string, string, number, number][]>;
  rbdOpen(io: NativeIoctx, name: string, snapshot: string, readOnly: boolean): Promise<NativeImage>;
  /**
   * The object write path's thresholds for writes started afterwards: at `zeroCopyBytes` and above
   * librados reads the caller's Buffer in place; at `offThreadBytes` and above every write goes
   * through the submission thread (otherwise only throttle-bound ones). For the bench's A/B runs.
   */
  tuneWrites(zeroCopyBytes: number, offThreadBytes: number): void;
  /** Zero-copy writes so far, how many librados still referred to when they settled, and how many Buffers are still held. */
  writeStats(): NativeWriteStats;
  /**
   * Tests only: the next `count` zero-copy writes get an extra reference to their data, standing in
   * for a librados that lets go only after the completion, until debugReleaseHeld().
   */
  debugHoldWrites(count: number): void;
  debugReleaseHeld(): void;
}

export interface NativeWriteStats {
  zeroCopyWrites: number;
  heldAtSettle: number;
  held: number;
}

/** Defaults of CephAddon.tuneWrites (native/ceph/src/ioctx.h). */
export const DEFAULT_ZERO_COPY_BYTES = 64 * 1024;
export const NEVER_OFF_THREAD = Number.MAX_SAFE_INTEGER;

let loaded: CephAddon | undefined;
let failure: unknown;

/** The addon, loaded at first use; throws CephNativeUnavailableError when it cannot load. */
export function addon(): CephAddon {
  if (loaded !== undefined) return loaded;
  if (failure !== undefined) throw new CephNativeUnavailableError(failure);
  try {
    const require = createRequire(import.meta.url);
    const load = require('node-gyp-build') as (dir: string) => unknown;
    // TSTACK_CEPH_NATIVE_DIR points at another build (or prebuilds/) of the addon.
    const dir = process.env['TSTACK_CEPH_NATIVE_DIR'] ?? path.join(packageRoot(), 'native', 'ceph');
    const mod = load(dir) as CephAddon;
    mod.setErrorFactory(nativeError);
    loaded = mod;
    return mod;
  } catch (err) {
    failure = err;
    throw new CephNativeUnavailableError(err);
  }
}

/** True when the addon loads (for tests and feature checks); never throws. */
export function nativeAvailable(): boolean {
  try {
    addon();
    return true;
  } catch {
    return false;
  }
}
