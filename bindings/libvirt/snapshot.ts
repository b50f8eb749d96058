import { SnapshotDelete, SnapshotRevert } from './constants.js';
import { HandleBase, type Liveness } from './handle.js';
import type { NativeSnapshot } from './native.js';

export interface RevertOptions {
  /** Leave the domain running (or paused) after the revert whatever the snapshot's state. */
  start?: 'running' | 'paused';
  force?: boolean;
}

/** One domain snapshot (virDomainSnapshotPtr). */
export class Snapshot extends HandleBase<NativeSnapshot> {
  readonly name: string;

  /** @internal */
  constructor(native: NativeSnapshot, parent: Liveness) {
    super(native, parent, 'snapshot');
    this.name = native.name;
  }

  xml(): Promise<string> {
    return this.run('xml', (n) => n.getXMLDesc(0));
  }

  revert(options: RevertOptions = {}): Promise<void> {
    let flags = 0;
    if (options.start === 'running') flags |= SnapshotRevert.RUNNING;
    if (options.start === 'paused') flags |= SnapshotRevert.PAUSED;
    if (options.force === true) flags |= SnapshotRevert.FORCE;
    return this.run('revert', (n) => n.revert(flags));
  }

  delete(options: { children?: boolean; metadataOnly?: boolean } = {}): Promise<void> {
    let flags = 0;
    if (options.children === true) flags |= SnapshotDelete.CHILDREN;
    if (options.metadataOnly === true) flags |= SnapshotDelete.METADATA_ONLY;
    return this.run('delete', (n) => n.delete(flags));
  }

  async parent(): Promise<Snapshot | null> {
    const p = await this.run('parent', (n) => n.getParent());
    return p === null ? null : new Snapshot(p, this.owner ?? this);
  }

  isCurrent(): Promise<boolean> {
    return this.run('isCurrent', (n) => n.isCurrent());
  }
}
