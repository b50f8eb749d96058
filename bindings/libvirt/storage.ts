import { HandleBase, type Liveness } from './handle.js';
import type { NativePool, NativeVolume } from './native.js';
import { escapeAttr, escapeText } from './domain-xml/xml.js';

const POOL_STATES = ['inactive', 'building', 'running', 'degraded', 'inaccessible'] as const;
export type StoragePoolState = (typeof POOL_STATES)[number];

/** A storage pool (virStoragePoolPtr). */
export class StoragePool extends HandleBase<NativePool> {
  readonly name: string;
  readonly uuid: string;

  /** @internal */
  constructor(native: NativePool, connection: Liveness) {
    super(native, connection, 'storagePool');
    this.name = native.name;
    this.uuid = native.uuid;
  }

  start(): Promise<void> {
    return this.run('start', (n) => n.create(0));
  }
  build(): Promise<void> {
    return this.run('build', (n) => n.build(0));
  }
  stop(): Promise<void> {
    return this.run('stop', (n) => n.destroy());
  }
  undefine(): Promise<void> {
    return this.run('undefine', (n) => n.undefine());
  }
  refresh(): Promise<void> {
    return this.run('refresh', (n) => n.refresh(0));
  }
  async info(): Promise<{ state: StoragePoolState; capacity: number; allocation: number; available: number }> {
    const i = await this.run('info', (n) => n.getInfo());
    return { ...i, state: POOL_STATES[i.state] ?? 'inaccessible' };
  }
  xml(): Promise<string> {
    return this.run('xml', (n) => n.getXMLDesc(0));
  }
  isActive(): Promise<boolean> {
    return this.run('isActive', (n) => n.isActive());
  }
  setAutostart(on: boolean): Promise<void> {
    return this.run('setAutostart', (n) => n.setAutostart(on));
  }
  async volumes(): Promise<StorageVolume[]> {
    const list = await this.run('volumes', (n) => n.listAllVolumes(0));
    return list.map((v) => new StorageVolume(v, this.owner ?? this));
  }
  async volume(name: string): Promise<StorageVolume> {
    return new StorageVolume(await this.run('volume', (n) => n.volLookupByName(name)), this.owner ?? this);
  }
  /** Creates a volume from XML, or a raw/qcow2 volume of `capacityBytes`. */
  async createVolume(volume: string | { name: string; capacityBytes: number; format?: 'raw' | 'qcow2' }): Promise<StorageVolume> {
    const xml =
      typeof volume === 'string'
        ? volume
        : `<volume><name>${escapeText(volume.name)}</name><capacity unit="bytes">${Math.floor(volume.capacityBytes)}</capacity>` +
          `<target><format type="${escapeAttr(volume.format ?? 'raw')}"/></target></volume>`;
    return new StorageVolume(await this.run('createVolume', (n) => n.volCreateXML(xml, 0)), this.owner ?? this);
  }
}

/** A storage volume (virStorageVolPtr). */
export class StorageVolume extends HandleBase<NativeVolume> {
  readonly name: string;
  readonly key: string;
  readonly path: string | null;

  /** @internal */
  constructor(native: NativeVolume, connection: Liveness) {
    super(native, connection, 'storageVolume');
    this.name = native.name;
    this.key = native.key;
    this.path = native.path;
  }

  info(): Promise<{ type: number; capacity: number; allocation: number }> {
    return this.run('info', (n) => n.getInfo());
  }
  xml(): Promise<string> {
    return this.run('xml', (n) => n.getXMLDesc(0));
  }
  delete(): Promise<void> {
    return this.run('delete', (n) => n.delete(0));
  }
  resize(capacityBytes: number): Promise<void> {
    return this.run('resize', (n) => n.resize(capacityBytes, 0));
  }
}

/** XML of an RBD pool: Ceph `pool` on `hosts`, authenticated with the libvirt secret `secretUuid`. */
export function rbdPoolXml(name: string, cephPool: string, hosts: { name: string; port?: number }[], auth: { username: string; secretUuid: string }): string {
  const h = hosts.map((x) => `<host name="${escapeAttr(x.name)}"${x.port === undefined ? '' : ` port="${Math.floor(x.port)}"`}/>`).join('');
  return (
    `<pool type="rbd"><name>${escapeText(name)}</name><source><name>${escapeText(cephPool)}</name>${h}` +
    `<auth type="ceph" username="${escapeAttr(auth.username)}"><secret uuid="${escapeAttr(auth.secretUuid)}"/></auth></source></pool>`
  );
}
