import { name, uint } from '../args.js';
import type { IoCtx } from '../ioctx.js';
import { addon } from '../native.js';
import { Image } from './image.js';
import { nativeImageOptions, type ImageOptions } from './options.js';

export interface ImageSpec {
  id: string;
  name: string;
}

export interface TrashEntry {
  id: string;
  name: string;
  deletedAt: Date;
  /** Before this the image may not be removed from the trash without force. */
  deferredUntil: Date;
}

export interface CloneOptions extends ImageOptions {
  /** Pool for the clone (default: the parent's). */
  ioctx?: IoCtx;
}

/** RBD images of one pool (the pool of `ioctx`). */
export class Rbd {
  readonly ioctx: IoCtx;

  constructor(ioctx: IoCtx) {
    this.ioctx = ioctx;
  }

  async create(image: string, size: number, options: ImageOptions = {}): Promise<void> {
    await addon().rbdCreate(this.ioctx.native, name(image, 'image'), uint(size, 'size'), nativeImageOptions(options));
  }

  async list(): Promise<ImageSpec[]> {
    const rows = await addon().rbdList(this.ioctx.native);
    return rows.map(([id, n]) => ({ id, name: n }));
  }

  /** Opens an image (at a snapshot when given; read-only opens take no exclusive lock). */
  async open(image: string, options: { readOnly?: boolean; snapshot?: string } = {}): Promise<Image> {
    const readOnly = options.readOnly === true;
    const snap = options.snapshot === undefined ? '' : name(options.snapshot, 'snapshot');
    const native = await addon().rbdOpen(this.ioctx.native, name(image, 'image'), snap, readOnly);
    return new Image(native, image, readOnly);
  }

  async remove(image: string): Promise<void> {
    await addon().rbdRemove(this.ioctx.native, name(image, 'image'));
  }

  async rename(from: string, to: string): Promise<void> {
    await addon().rbdRename(this.ioctx.native, name(from, 'image'), name(to, 'new name'));
  }

  /** Copy-on-write clone of `parent@snapshot` (the snapshot must be protected for clone v1). */
  async clone(parent: string, snapshot: string, child: string, options: CloneOptions = {}): Promise<void> {
    const target = options.ioctx ?? this.ioctx;
    await addon().rbdClone(
      this.ioctx.native,
      name(parent, 'parent'),
      name(snapshot, 'snapshot'),
      target.native,
      name(child, 'name'),
      nativeImageOptions(options),
    );
  }

  /** Moves an image to the trash; it may be restored until removed. */
  async trashMove(image: string, options: { delaySeconds?: number } = {}): Promise<void> {
    await addon().rbdTrashMove(this.ioctx.native, name(image, 'image'), uint(options.delaySeconds ?? 0, 'delaySeconds'));
  }

  async trashList(): Promise<TrashEntry[]> {
    const rows = await addon().rbdTrashList(this.ioctx.native);
    return rows.map(([id, n, del, end]) => ({ id, name: n, deletedAt: new Date(del * 1000), deferredUntil: new Date(end * 1000) }));
  }

  /** Restores a trashed image under `newName` (default: its old name). */
  async trashRestore(id: string, newName = ''): Promise<void> {
    await addon().rbdTrashRestore(this.ioctx.native, name(id, 'id'), newName);
  }

  async trashRemove(id: string, options: { force?: boolean } = {}): Promise<void> {
    await addon().rbdTrashRemove(this.ioctx.native, name(id, 'id'), options.force === true);
  }
}
