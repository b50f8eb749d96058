import { name, optionalString, toBuffer, uint, type Data } from './args.js';
import type { Cluster } from './cluster.js';
import { CephError, CephInvalidArgumentError } from './errors.js';
import type { NativeIoctx } from './native.js';
import { Watch, type WatchOptions } from './watch.js';

export interface ObjectStat {
  size: number;
  mtime: Date;
}

export interface ListedObject {
  oid: string;
  namespace: string;
  locator: string;
}

export interface LockOptions {
  /** Distinguishes this holder's lock from others of the same client (default: `''`). */
  cookie?: string;
  description?: string;
  /** The lock lapses after this long unless renewed (default 0: until unlocked). */
  durationMs?: number;
  /** Renew a lock this cookie already holds instead of failing with ERR_CEPH_EXISTS. */
  renew?: boolean;
}

export interface Locker {
  /** `client.N` */
  client: string;
  cookie: string;
  address: string;
}

export interface LockInfo {
  exclusive: boolean;
  tag: string;
  lockers: Locker[];
}

export type CompareAndWriteResult = { written: true } | { written: false; mismatchOffset: number };

export interface NotifyAck {
  notifierId: bigint;
  cookie: bigint;
  reply: Buffer;
}

export interface NotifyResult {
  acks: NotifyAck[];
  /** Watchers that did not acknowledge in time. */
  timeouts: { notifierId: bigint; cookie: bigint }[];
  timedOut: boolean;
}

export interface PoolStats {
  numBytes: number;
  numKb: number;
  numObjects: number;
  numObjectClones: number;
  numObjectCopies: number;
  numObjectsDegraded: number;
  numRd: number;
  numRdKb: number;
  numWr: number;
  numWrKb: number;
}

export interface OmapIterateOptions {
  /** Only keys starting with this. */
  prefix?: string;
  /** Start after this key. */
  startAfter?: string;
  /** Entries fetched per round trip (default 512). */
  pageSize?: number;
}

const LOCK_FLAG_RENEW = 1;
const XATTR_READ_SIZE = 64 * 1024;

/**
 * An I/O context: objects of one pool in one namespace (and, when set, under one object locator).
 * Every data call is a librados aio operation; many may be in flight at once.
 */
export class IoCtx implements AsyncDisposable {
  readonly pool: string;
  readonly namespace: string;
  readonly locator: string;
  /** @internal */
  readonly native: NativeIoctx;
  readonly #cluster: Cluster;

  private constructor(native: NativeIoctx, pool: string, namespace: string, locator: string, cluster: Cluster) {
    this.native = native;
    this.pool = pool;
    this.namespace = namespace;
    this.locator = locator;
    this.#cluster = cluster;
  }

  /** @internal */
  static fromNative(native: NativeIoctx, pool: string, namespace: string, locator: string, cluster: Cluster): IoCtx {
    if (namespace !== '') native.setNamespace(optionalString(namespace, 'namespace'));
    if (locator !== '') native.setLocator(optionalString(locator, 'locator'));
    return new IoCtx(native, pool, namespace, locator, cluster);
  }

  get closed(): boolean {
    return this.native.isClosed();
  }

  poolId(): number {
    return this.native.poolId();
  }

  /** Another context on the same pool in namespace `ns` (each context keeps its own namespace). */
  withNamespace(ns: string, options: { locator?: string } = {}): Promise<IoCtx> {
    return this.#cluster.openIoctx(this.pool, { namespace: optionalString(ns, 'namespace'), locator: options.locator ?? this.locator });
  }

  // The data calls below return the addon's promise itself (no async wrapper: one promise and one
  // microtask less per operation, which counts at one operation in flight); bad arguments still
  // reject rather than throw.

  /**
   * Writes `data` at `offset`.
   *
   * Data of 64 KiB or more is not copied: librados sends it straight from `data`'s memory, which
   * the binding keeps referenced until librados has let go of it (possibly a little after the
   * promise settles). Smaller data is copied by librados when the call is made. So, as with
   * `fs.write` or `socket.write`: **do not modify `data` (or the memory a Uint8Array views), nor
   * transfer its ArrayBuffer, until the promise settles**; a change made while the write is in
   * flight may or may not be written. After it settles the Buffer is the caller's again.
   *
   * The call never blocks the event loop: a write that would wait in librados' in-flight throttle
   * (`objecter_inflight_ops` / `objecter_inflight_op_bytes`) is submitted from a native thread, in
   * call order with the operations that follow it.
   */
  write(oid: string, data: Data, offset = 0): Promise<void> {
    try {
      return this.native.write(name(oid, 'oid'), toBuffer(data, 'data'), uint(offset, 'offset'));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Replaces the whole object. Same buffer rule as {@link IoCtx.write}: 64 KiB or more is sent
   * from `data` without a copy, so do not modify `data` until the promise settles.
   */
  writeFull(oid: string, data: Data): Promise<void> {
    try {
      return this.native.writeFull(name(oid, 'oid'), toBuffer(data, 'data'));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Appends `data`. Same buffer rule as {@link IoCtx.write}: 64 KiB or more is sent from `data`
   * without a copy, so do not modify `data` until the promise settles.
   */
  append(oid: string, data: Data): Promise<void> {
    try {
      return this.native.append(name(oid, 'oid'), toBuffer(data, 'data'));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Reads up to `length` bytes at `offset`; shorter at the end of the object. */
  async read(oid: string, length: number, offset = 0): Promise<Buffer> {
    const into = Buffer.allocUnsafe(uint(length, 'length'));
    const n = await this.native.read(name(oid, 'oid'), into, uint(offset, 'offset'));
    return n === into.length ? into : into.subarray(0, n);
  }

  /** Reads into the caller's buffer (librados writes straight into it); resolves with the bytes read. */
  readInto(oid: string, into: Buffer, offset = 0): Promise<number> {
    try {
      return this.native.read(name(oid, 'oid'), into, uint(offset, 'offset'));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The whole object (stat, then read). */
  async readAll(oid: string): Promise<Buffer> {
    const { size } = await this.stat(oid);
    return this.read(oid, size, 0);
  }

  async stat(oid: string): Promise<ObjectStat> {
    const s = await this.native.stat(name(oid, 'oid'));
    return { size: s.size, mtime: new Date(s.mtime * 1000) };
  }

  async remove(oid: string): Promise<void> {
    await this.native.remove(name(oid, 'oid'));
  }

  /** Sets the object's size (ERR_CEPH_NOT_FOUND when it does not exist). */
  async truncate(oid: string, size: number): Promise<void> {
    await this.native.truncate(name(oid, 'oid'), uint(size, 'size'));
  }

  /** Creates an empty object; with `exclusive` an existing one is ERR_CEPH_EXISTS. */
  async create(oid: string, options: { exclusive?: boolean } = {}): Promise<void> {
    await this.native.create(name(oid, 'oid'), options.exclusive === true);
  }

  async getXattr(oid: string, attr: string): Promise<Buffer> {
    let size = XATTR_READ_SIZE;
    for (;;) {
      const into = Buffer.allocUnsafe(size);
      try {
        const n = await this.native.getXattr(name(oid, 'oid'), name(attr, 'xattr name'), into);
        return into.subarray(0, n);
      } catch (err) {
        if (err instanceof CephError && err.errnoName === 'ERANGE' && size < 64 * 1024 * 1024) {
          size *= 8;
          continue;
        }
        throw err;
      }
    }
  }

  async setXattr(oid: string, attr: string, value: Data): Promise<void> {
    await this.native.setXattr(name(oid, 'oid'), name(attr, 'xattr name'), toBuffer(value, 'value'));
  }

  async removeXattr(oid: string, attr: string): Promise<void> {
    await this.native.rmXattr(name(oid, 'oid'), name(attr, 'xattr name'));
  }

  async getXattrs(oid: string): Promise<Map<string, Buffer>> {
    return new Map(await this.native.getXattrs(name(oid, 'oid')));
  }

  /** Sets omap entries (creates the object when missing). */
  async omapSet(oid: string, entries: ReadonlyMap<string, Data> | Readonly<Record<string, Data>>): Promise<void> {
    const pairs = entries instanceof Map ? [...entries] : Object.entries(entries);
    const keys: string[] = [];
    const values: Buffer[] = [];
    for (const [k, v] of pairs) {
      keys.push(optionalString(k, 'omap key'));
      values.push(toBuffer(v, 'omap value'));
    }
    await this.native.omapSet(name(oid, 'oid'), keys, values);
  }

  /** The entries for `keys` that exist. */
  async omapGet(oid: string, keys: readonly string[]): Promise<Map<string, Buffer>> {
    const r = await this.native.omapGetByKeys(name(oid, 'oid'), keys.map((k) => optionalString(k, 'omap key')));
    return new Map(r.entries);
  }

  /** Omap entries in key order, fetched a page at a time. */
  async *omapIterate(oid: string, options: OmapIterateOptions = {}): AsyncGenerator<[string, Buffer]> {
    const o = name(oid, 'oid');
    const prefix = optionalString(options.prefix, 'prefix');
    const page = options.pageSize === undefined ? 512 : uint(options.pageSize, 'pageSize');
    if (page === 0) throw new CephInvalidArgumentError('pageSize must be at least 1');
    let after = optionalString(options.startAfter, 'startAfter');
    for (;;) {
      const r = await this.native.omapGetVals(o, after, prefix, page);
      for (const e of r.entries) yield e;
      const last = r.entries[r.entries.length - 1];
      if (!r.more || last === undefined) return;
      after = last[0];
    }
  }

  /** All omap entries (optionally under a prefix / after a key) as a Map. */
  async omapList(oid: string, options: OmapIterateOptions = {}): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for await (const [k, v] of this.omapIterate(oid, options)) out.set(k, v);
    return out;
  }

  async omapRemove(oid: string, keys: readonly string[]): Promise<void> {
    await this.native.omapRemoveKeys(name(oid, 'oid'), keys.map((k) => optionalString(k, 'omap key')));
  }

  async omapClear(oid: string): Promise<void> {
    await this.native.omapClear(name(oid, 'oid'));
  }

  /**
   * Atomically: if the bytes at `compareOffset` equal `compare`, write `data` at `offset`. A
   * mismatch is a result carrying the offset of the first differing byte, not an error.
   */
  async compareAndWrite(
    oid: string,
    args: { compare: Data; compareOffset?: number; data: Data; offset?: number },
  ): Promise<CompareAndWriteResult> {
    const at = await this.native.compareAndWrite(
      name(oid, 'oid'),
      toBuffer(args.compare, 'compare'),
      uint(args.compareOffset ?? 0, 'compareOffset'),
      toBuffer(args.data, 'data'),
      uint(args.offset ?? 0, 'offset'),
    );
    return at < 0 ? { written: true } : { written: false, mismatchOffset: at };
  }

  /** Objects of this namespace, or of every namespace. */
  async list(options: { allNamespaces?: boolean } = {}): Promise<ListedObject[]> {
    const rows = await this.native.list(options.allNamespaces === true);
    return rows.map(([oid, namespace, locator]) => ({ oid, namespace, locator }));
  }

  /** Takes an exclusive advisory lock (cls_lock); ERR_CEPH_BUSY when another holder has it. */
  async lockExclusive(oid: string, lock: string, options: LockOptions = {}): Promise<void> {
    await this.native.lockExclusive(
      name(oid, 'oid'),
      name(lock, 'lock name'),
      optionalString(options.cookie, 'cookie'),
      optionalString(options.description, 'description'),
      uint(options.durationMs ?? 0, 'durationMs'),
      options.renew === true ? LOCK_FLAG_RENEW : 0,
    );
  }

  /** Takes a shared lock under `tag`; ERR_CEPH_BUSY when held exclusively or under another tag. */
  async lockShared(oid: string, lock: string, options: LockOptions & { tag?: string } = {}): Promise<void> {
    await this.native.lockShared(
      name(oid, 'oid'),
      name(lock, 'lock name'),
      optionalString(options.cookie, 'cookie'),
      optionalString(options.tag, 'tag'),
      optionalString(options.description, 'description'),
      uint(options.durationMs ?? 0, 'durationMs'),
      options.renew === true ? LOCK_FLAG_RENEW : 0,
    );
  }

  async unlock(oid: string, lock: string, cookie = ''): Promise<void> {
    await this.native.unlock(name(oid, 'oid'), name(lock, 'lock name'), optionalString(cookie, 'cookie'));
  }

  async lockInfo(oid: string, lock: string): Promise<LockInfo> {
    const r = await this.native.listLockers(name(oid, 'oid'), name(lock, 'lock name'));
    return { exclusive: r.exclusive, tag: r.tag, lockers: r.lockers.map(([client, cookie, address]) => ({ client, cookie, address })) };
  }

  /** Removes another client's lock (`client` as in lockInfo: `client.N`). */
  async breakLock(oid: string, lock: string, client: string, cookie = ''): Promise<void> {
    await this.native.breakLock(name(oid, 'oid'), name(lock, 'lock name'), name(client, 'client'), optionalString(cookie, 'cookie'));
  }

  /** Watches an object: notifications arrive as `notify` events on the returned Watch. */
  async watch(oid: string, options: WatchOptions = {}): Promise<Watch> {
    return Watch.start(this.native, name(oid, 'oid'), options);
  }

  /**
   * Notifies the object's watchers and waits for their acks, at most `timeoutMs` (default 10 s;
   * librados counts whole seconds, so it is rounded up; 0 means the OSD's default, 30 s).
   */
  async notify(oid: string, data: Data = Buffer.alloc(0), options: { timeoutMs?: number } = {}): Promise<NotifyResult> {
    const ms = uint(options.timeoutMs ?? 10_000, 'timeoutMs');
    const r = await this.native.notify(name(oid, 'oid'), toBuffer(data, 'data'), Math.ceil(ms / 1000) * 1000);
    return {
      acks: r.acks.map(([notifierId, cookie, reply]) => ({ notifierId, cookie, reply })),
      timeouts: r.timeouts.map(([notifierId, cookie]) => ({ notifierId, cookie })),
      timedOut: r.timedOut,
    };
  }

  poolStats(): Promise<PoolStats> {
    return this.native.poolStat();
  }

  /** Waits for this context's operations, closes its watches and images, then releases it. */
  close(): Promise<void> {
    return this.native.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
