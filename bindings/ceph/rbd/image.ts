import { name, optionalString, toBuffer, uint, type Data } from '../args.js';
import type { IoCtx } from '../ioctx.js';
import type { NativeImage } from '../native.js';
import { featureNames, type RbdFeature } from './features.js';
import { nativeImageOptions, type ImageOptions } from './options.js';

export interface ImageInfo {
  size: number;
  objectSize: number;
  numObjects: number;
  order: number;
  blockNamePrefix: string;
}

export interface SnapshotInfo {
  id: number;
  name: string;
  size: number;
  protected: boolean;
}

export interface LinkedImage {
  pool: string;
  namespace: string;
  name: string;
  id: string;
  trash: boolean;
}

export interface ParentInfo {
  pool: string;
  namespace: string;
  name: string;
  id: string;
  snapshot: string;
  snapshotId: number;
}

export interface DiffExtent {
  offset: number;
  length: number;
  /** false: the range was discarded (reads as zeros). */
  exists: boolean;
}

export interface ImageWatcher {
  address: string;
  id: number;
  cookie: bigint;
}

/** An open RBD image. Data I/O is librbd aio; many operations may be in flight. */
export class Image implements AsyncDisposable {
  readonly name: string;
  readonly readOnly: boolean;
  readonly #native: NativeImage;

  /** @internal */
  constructor(native: NativeImage, imageName: string, readOnly: boolean) {
    this.#native = native;
    this.name = imageName;
    this.readOnly = readOnly;
  }

  get closed(): boolean {
    return this.#native.isClosed();
  }

  /** Reads `length` bytes at `offset` (a range past the end is refused by librbd). */
  async read(offset: number, length: number): Promise<Buffer> {
    const into = Buffer.allocUnsafe(uint(length, 'length'));
    const n = await this.#native.read(into, uint(offset, 'offset'));
    return n === into.length ? into : into.subarray(0, n);
  }

  /** Reads into the caller's buffer; resolves with the bytes read. */
  readInto(into: Buffer, offset: number): Promise<number> {
    return this.#native.read(into, uint(offset, 'offset'));
  }

  /** Writes `data` at `offset`. The Buffer must not change until this resolves (librbd may use it without a copy). */
  async write(data: Data, offset: number): Promise<void> {
    await this.#native.write(toBuffer(data, 'data'), uint(offset, 'offset'));
  }

  async discard(offset: number, length: number): Promise<void> {
    await this.#native.discard(uint(offset, 'offset'), uint(length, 'length'));
  }

  async flush(): Promise<void> {
    await this.#native.flush();
  }

  info(): Promise<ImageInfo> {
    return this.#native.stat();
  }

  /** The current size; an online resize by another client shows up here. */
  size(): Promise<number> {
    return this.#native.size();
  }

  async features(): Promise<RbdFeature[]> {
    return featureNames(await this.#native.features());
  }

  featureBits(): Promise<bigint> {
    return this.#native.features();
  }

  id(): Promise<string> {
    return this.#native.id();
  }

  /** Grows (online, while others read and write) or, with allowShrink, shrinks the image. */
  async resize(size: number, options: { allowShrink?: boolean } = {}): Promise<void> {
    await this.#native.resize(uint(size, 'size'), options.allowShrink === true);
  }

  async createSnapshot(snap: string): Promise<void> {
    await this.#native.snapCreate(name(snap, 'snapshot'));
  }

  async listSnapshots(): Promise<SnapshotInfo[]> {
    const rows = await this.#native.snapList();
    return rows.map(([id, size, n, prot]) => ({ id, size, name: n, protected: prot }));
  }

  async removeSnapshot(snap: string): Promise<void> {
    await this.#native.snapRemove(name(snap, 'snapshot'));
  }

  async rollbackSnapshot(snap: string): Promise<void> {
    await this.#native.snapRollback(name(snap, 'snapshot'));
  }

  async protectSnapshot(snap: string): Promise<void> {
    await this.#native.snapProtect(name(snap, 'snapshot'));
  }

  async unprotectSnapshot(snap: string): Promise<void> {
    await this.#native.snapUnprotect(name(snap, 'snapshot'));
  }

  isSnapshotProtected(snap: string): Promise<boolean> {
    return this.#native.snapIsProtected(name(snap, 'snapshot'));
  }

  /** Makes reads see `snap` (undefined: the live image). */
  async setSnapshot(snap?: string): Promise<void> {
    await this.#native.snapSet(optionalString(snap, 'snapshot'));
  }

  /** Copies the parent's data into this clone and detaches it. */
  async flatten(): Promise<void> {
    await this.#native.flatten();
  }

  /** Clones of this image's snapshot (open the image at that snapshot first). */
  async children(): Promise<LinkedImage[]> {
    const rows = await this.#native.children();
    return rows.map(([pool, namespace, n, id, trash]) => ({ pool, namespace, name: n, id, trash }));
  }

  /** The parent snapshot of a clone, or null. */
  async parent(): Promise<ParentInfo | null> {
    const p = await this.#native.parent();
    if (p === null) return null;
    const [pool, namespace, n, id, snapshot, snapshotId] = p;
    return { pool, namespace, name: n, id, snapshot, snapshotId };
  }

  /** Full copy to `dest` (any pool). */
  async copy(dest: IoCtx, destName: string, options: ImageOptions = {}): Promise<void> {
    await this.#native.copy(dest.native, name(destName, 'name'), nativeImageOptions(options));
  }

  /** Extents changed since `fromSnapshot` (all allocated extents when omitted). */
  async diff(
    options: { fromSnapshot?: string; offset?: number; length?: number; includeParent?: boolean; wholeObject?: boolean } = {},
  ): Promise<DiffExtent[]> {
    const length = options.length ?? (await this.size());
    const rows = await this.#native.diffIterate(
      optionalString(options.fromSnapshot, 'fromSnapshot'),
      uint(options.offset ?? 0, 'offset'),
      uint(length, 'length'),
      options.includeParent !== false,
      options.wholeObject === true,
    );
    return rows.map(([offset, len, exists]) => ({ offset, length: len, exists }));
  }

  async watchers(): Promise<ImageWatcher[]> {
    const rows = await this.#native.watchers();
    return rows.map(([address, id, cookie]) => ({ address, id, cookie }));
  }

  getMetadata(key: string): Promise<string> {
    return this.#native.metadataGet(name(key, 'key'));
  }

  async setMetadata(key: string, value: string): Promise<void> {
    await this.#native.metadataSet(name(key, 'key'), optionalString(value, 'value'));
  }

  async removeMetadata(key: string): Promise<void> {
    await this.#native.metadataRemove(name(key, 'key'));
  }

  async listMetadata(): Promise<Map<string, string>> {
    return new Map(await this.#native.metadataList());
  }

  /** Waits for in-flight I/O, then closes. */
  close(): Promise<void> {
    return this.#native.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
