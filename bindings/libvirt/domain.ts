import { BlockResize, DomainXml, MemoryFlags, MetadataType, Migrate, Shutdown, SnapshotCreate, Undefine, affectFlags, domainStateName, type AffectName, type DomainStateName } from './constants.js';
import { diskXml, interfaceXml, parseDomainXml, type DiskSpec, type DomainSpec, type InterfaceSpec } from './domain-xml/index.js';
import { serialize, el } from './domain-xml/xml.js';
import { LibvirtError } from './errors.js';
import { HandleBase, type Liveness } from './handle.js';
import type { NativeDomain } from './native.js';
import { Snapshot } from './snapshot.js';

export interface DomainInfo {
  state: DomainStateName;
  maxMemKiB: number;
  memoryKiB: number;
  vcpus: number;
  cpuTimeNs: number;
}

export interface XmlOptions {
  inactive?: boolean;
  /** Include secrets such as VNC passwords. */
  secure?: boolean;
  migratable?: boolean;
}

export interface UndefineOptions {
  managedSave?: boolean;
  snapshotsMetadata?: boolean;
  nvram?: boolean;
  keepNvram?: boolean;
}

/** Typed parameters of virDomainMigrateToURI3 (VIR_MIGRATE_PARAM_*). */
export interface MigrateParams {
  uri?: string;
  destName?: string;
  destXml?: string;
  persistXml?: string;
  bandwidthMiBs?: number;
  listenAddress?: string;
  migrateDisks?: string[];
  parallelConnections?: number;
}

export interface MigrateOptions {
  live?: boolean;
  peer2peer?: boolean;
  persistDest?: boolean;
  undefineSource?: boolean;
  tunnelled?: boolean;
  nonSharedDisk?: boolean;
  autoConverge?: boolean;
  abortOnError?: boolean;
  offline?: boolean;
}

const PARAM_NAMES: Record<keyof MigrateParams, { name: string; type: 'string' | 'ullong' | 'int' }> = {
  uri: { name: 'migrate_uri', type: 'string' },
  destName: { name: 'destination_name', type: 'string' },
  destXml: { name: 'destination_xml', type: 'string' },
  persistXml: { name: 'persistent_xml', type: 'string' },
  bandwidthMiBs: { name: 'bandwidth', type: 'ullong' },
  listenAddress: { name: 'listen_address', type: 'string' },
  migrateDisks: { name: 'migrate_disks', type: 'string' },
  parallelConnections: { name: 'parallel.connections', type: 'int' },
};

export function migrateFlags(o: MigrateOptions): number {
  let f = 0;
  if (o.live === true) f |= Migrate.LIVE;
  if (o.peer2peer === true) f |= Migrate.PEER2PEER;
  if (o.persistDest === true) f |= Migrate.PERSIST_DEST;
  if (o.undefineSource === true) f |= Migrate.UNDEFINE_SOURCE;
  if (o.tunnelled === true) f |= Migrate.TUNNELLED;
  if (o.nonSharedDisk === true) f |= Migrate.NON_SHARED_DISK;
  if (o.autoConverge === true) f |= Migrate.AUTO_CONVERGE;
  if (o.abortOnError === true) f |= Migrate.ABORT_ON_ERROR;
  if (o.offline === true) f |= Migrate.OFFLINE;
  return f;
}

export function migrateParams(p: MigrateParams): { name: string; type: string; value: string | number }[] {
  const out: { name: string; type: string; value: string | number }[] = [];
  for (const [k, v] of Object.entries(p) as [keyof MigrateParams, MigrateParams[keyof MigrateParams]][]) {
    if (v === undefined) continue;
    const def = PARAM_NAMES[k];
    if (Array.isArray(v)) for (const s of v) out.push({ name: def.name, type: def.type, value: s });
    else out.push({ name: def.name, type: def.type, value: v });
  }
  return out;
}

function deviceXml(device: string | DiskSpec | InterfaceSpec): string {
  if (typeof device === 'string') return device;
  if ('target' in device && 'source' in device && !('type' in device && (device.type === 'bridge' || device.type === 'network' || device.type === 'user'))) return diskXml(device as DiskSpec);
  return interfaceXml(device as InterfaceSpec);
}

/** One libvirt domain (virDomainPtr). name and uuid were read when the handle was made. */
export class Domain extends HandleBase<NativeDomain> {
  readonly name: string;
  readonly uuid: string;

  /** @internal */
  constructor(native: NativeDomain, connection: Liveness) {
    super(native, connection, 'domain');
    this.name = native.name;
    this.uuid = native.uuid;
  }

  /** @internal the native handle, for event filters. */
  nativeHandle(): NativeDomain {
    if (this.closed) throw new LibvirtError('ERR_LIBVIRT_CLOSED', 'domain is closed');
    return this.native;
  }

  /** The hypervisor id while running, null when shut off. */
  id(): Promise<number | null> {
    return this.runMap('id', (n) => n.getID(), (id) => (id < 0 ? null : id));
  }

  state(): Promise<{ state: DomainStateName; reason: number }> {
    return this.runMap('state', (n) => n.getState(), (s) => ({ state: domainStateName(s[0]), reason: s[1] }));
  }

  info(): Promise<DomainInfo> {
    return this.runMap('info', (n) => n.getInfo(), (i) => ({ state: domainStateName(i[0]), maxMemKiB: i[1], memoryKiB: i[2], vcpus: i[3], cpuTimeNs: i[4] }));
  }

  xml(options: XmlOptions = {}): Promise<string> {
    let f = 0;
    if (options.inactive === true) f |= DomainXml.INACTIVE;
    if (options.secure === true) f |= DomainXml.SECURE;
    if (options.migratable === true) f |= DomainXml.MIGRATABLE;
    return this.run('xml', (n) => n.getXMLDesc(f));
  }

  /** The domain's XML read back into a DomainSpec. */
  async spec(options: XmlOptions = {}): Promise<DomainSpec> {
    return parseDomainXml(await this.xml(options));
  }

  isActive(): Promise<boolean> {
    return this.run('isActive', (n) => n.isActive());
  }
  isPersistent(): Promise<boolean> {
    return this.run('isPersistent', (n) => n.isPersistent());
  }
  isUpdated(): Promise<boolean> {
    return this.run('isUpdated', (n) => n.isUpdated());
  }

  /** Starts a defined domain (virDomainCreateWithFlags). */
  start(options: { paused?: boolean } = {}): Promise<void> {
    return this.run('start', (n) => n.create(options.paused === true ? 1 : 0));
  }
  /** Hard power-off. */
  destroy(): Promise<void> {
    return this.run('destroy', (n) => n.destroy(0));
  }
  /** Asks the guest to shut down (ACPI power button by default). */
  shutdown(mode: 'default' | 'acpi' | 'agent' = 'default'): Promise<void> {
    const f = mode === 'acpi' ? Shutdown.ACPI_POWER_BTN : mode === 'agent' ? Shutdown.GUEST_AGENT : Shutdown.DEFAULT;
    return this.run('shutdown', (n) => n.shutdown(f));
  }
  reboot(): Promise<void> {
    return this.run('reboot', (n) => n.reboot(0));
  }
  reset(): Promise<void> {
    return this.run('reset', (n) => n.reset(0));
  }
  suspend(): Promise<void> {
    return this.run('suspend', (n) => n.suspend());
  }
  resume(): Promise<void> {
    return this.run('resume', (n) => n.resume());
  }
  managedSave(): Promise<void> {
    return this.run('managedSave', (n) => n.managedSave(0));
  }
  hasManagedSaveImage(): Promise<boolean> {
    return this.run('hasManagedSaveImage', (n) => n.hasManagedSaveImage(0));
  }
  managedSaveRemove(): Promise<void> {
    return this.run('managedSaveRemove', (n) => n.managedSaveRemove(0));
  }
  /** Saves memory to `path` and stops the domain (restore with Connection.restore). */
  save(path: string): Promise<void> {
    return this.run('save', (n) => n.save(path, null, 0));
  }

  undefine(options: UndefineOptions = {}): Promise<void> {
    let f = 0;
    if (options.managedSave === true) f |= Undefine.MANAGED_SAVE;
    if (options.snapshotsMetadata === true) f |= Undefine.SNAPSHOTS_METADATA;
    if (options.nvram === true) f |= Undefine.NVRAM;
    if (options.keepNvram === true) f |= Undefine.KEEP_NVRAM;
    return this.run('undefine', (n) => n.undefine(f));
  }

  autostart(): Promise<boolean> {
    return this.run('autostart', (n) => n.getAutostart());
  }
  setAutostart(on: boolean): Promise<void> {
    return this.run('setAutostart', (n) => n.setAutostart(on));
  }

  setVcpus(count: number, affect?: AffectName): Promise<void> {
    return this.run('setVcpus', (n) => n.setVcpus(count, affectFlags(affect)));
  }
  vcpus(affect?: AffectName): Promise<number> {
    return this.run('vcpus', (n) => n.getVcpus(affectFlags(affect)));
  }
  /** Sets the current (balloon) memory in KiB. */
  setMemory(kib: number, affect?: AffectName): Promise<void> {
    return this.run('setMemory', (n) => n.setMemory(kib, affectFlags(affect)));
  }
  /** Sets the maximum memory in KiB (usually only with affect 'config'). */
  setMaxMemory(kib: number, affect: AffectName = 'config'): Promise<void> {
    return this.run('setMaxMemory', (n) => n.setMemory(kib, affectFlags(affect) | MemoryFlags.MAXIMUM));
  }
  maxMemory(): Promise<number> {
    return this.run('maxMemory', (n) => n.getMaxMemory());
  }

  attachDevice(device: string | DiskSpec | InterfaceSpec, affect?: AffectName): Promise<void> {
    const xml = deviceXml(device);
    return this.run('attachDevice', (n) => n.attachDevice(xml, affectFlags(affect)));
  }
  detachDevice(device: string | DiskSpec | InterfaceSpec, affect?: AffectName): Promise<void> {
    const xml = deviceXml(device);
    return this.run('detachDevice', (n) => n.detachDevice(xml, affectFlags(affect)));
  }
  updateDevice(device: string | DiskSpec | InterfaceSpec, affect?: AffectName): Promise<void> {
    const xml = deviceXml(device);
    return this.run('updateDevice', (n) => n.updateDevice(xml, affectFlags(affect)));
  }

  /** Grows (or shrinks) a disk by target name or path while the guest runs; size in bytes. */
  blockResize(disk: string, bytes: number): Promise<void> {
    if (!Number.isSafeInteger(bytes) || bytes < 0) return Promise.reject(new LibvirtError('ERR_LIBVIRT_INVALID_ARGUMENT', `blockResize: bad size ${bytes}`));
    return this.run('blockResize', (n) => n.blockResize(disk, bytes, BlockResize.BYTES));
  }
  blockInfo(disk: string): Promise<{ capacity: number; allocation: number; physical: number }> {
    return this.run('blockInfo', (n) => n.blockInfo(disk));
  }
  blockStats(disk: string): Promise<{ rdReq: number; rdBytes: number; wrReq: number; wrBytes: number; errs: number }> {
    return this.run('blockStats', (n) => n.blockStats(disk));
  }
  interfaceStats(device: string): Promise<Record<string, number>> {
    return this.run('interfaceStats', (n) => n.interfaceStats(device));
  }
  /** virDomainMemoryStats keyed by VIR_DOMAIN_MEMORY_STAT_* tag number. */
  memoryStats(): Promise<Record<string, number>> {
    return this.run('memoryStats', (n) => n.memoryStats());
  }

  /** Our own metadata element under `uri` (key = element prefix), or title/description. */
  setMetadata(kind: 'title' | 'description', text: string | null, affect?: AffectName): Promise<void>;
  setMetadata(kind: 'element', xml: string | null, affect: AffectName | undefined, ns: { prefix: string; uri: string }): Promise<void>;
  setMetadata(kind: 'title' | 'description' | 'element', value: string | null, affect?: AffectName, ns?: { prefix: string; uri: string }): Promise<void> {
    const type = kind === 'title' ? MetadataType.TITLE : kind === 'description' ? MetadataType.DESCRIPTION : MetadataType.ELEMENT;
    return this.run('setMetadata', (n) => n.setMetadata(type, value, ns?.prefix ?? null, ns?.uri ?? null, affectFlags(affect)));
  }
  metadata(kind: 'title' | 'description' | 'element', uri?: string, affect?: AffectName): Promise<string> {
    const type = kind === 'title' ? MetadataType.TITLE : kind === 'description' ? MetadataType.DESCRIPTION : MetadataType.ELEMENT;
    return this.run('metadata', (n) => n.getMetadata(type, uri ?? null, affectFlags(affect)));
  }

  /** virDomainMigrateToURI3: `dconnuri` is the destination libvirt URI (for peer-to-peer). */
  migrate(dconnuri: string | null, params: MigrateParams = {}, options: MigrateOptions = { live: true, peer2peer: true }): Promise<void> {
    const p = migrateParams(params);
    const f = migrateFlags(options);
    return this.run('migrate', (n) => n.migrateToURI3(dconnuri, p, f));
  }

  /** guest-ping through the QEMU guest agent: true when it answers within `timeoutSec`. */
  async agentPing(timeoutSec = 5): Promise<boolean> {
    try {
      await this.run('agentPing', (n) => n.agentCommand('{"execute":"guest-ping"}', timeoutSec));
      return true;
    } catch (err) {
      if (err instanceof LibvirtError && err.code === 'ERR_LIBVIRT') return false;
      throw err;
    }
  }

  jobStats(): Promise<{ type: number; params: Record<string, number | string | boolean> }> {
    return this.run('jobStats', (n) => n.getJobStats(0));
  }

  // ---------------------------------------------------------------- snapshots

  /** Creates a snapshot from XML or from a name (+ description); internal for qcow2/test. */
  async createSnapshot(snapshot: string | { name: string; description?: string }, options: { atomic?: boolean; diskOnly?: boolean; live?: boolean } = {}): Promise<Snapshot> {
    const xml =
      typeof snapshot === 'string'
        ? snapshot
        : serialize(el('domainsnapshot', {}, [el('name', {}, [snapshot.name]), snapshot.description !== undefined && el('description', {}, [snapshot.description])]));
    let f = 0;
    if (options.atomic === true) f |= SnapshotCreate.ATOMIC;
    if (options.diskOnly === true) f |= SnapshotCreate.DISK_ONLY;
    if (options.live === true) f |= SnapshotCreate.LIVE;
    const s = await this.run('createSnapshot', (n) => n.snapshotCreateXML(xml, f));
    return new Snapshot(s, this.owner ?? this);
  }
  async listSnapshots(): Promise<Snapshot[]> {
    const list = await this.run('listSnapshots', (n) => n.listAllSnapshots(0));
    return list.map((s) => new Snapshot(s, this.owner ?? this));
  }
  async snapshot(name: string): Promise<Snapshot> {
    const s = await this.run('snapshot', (n) => n.snapshotLookupByName(name));
    return new Snapshot(s, this.owner ?? this);
  }
  async currentSnapshot(): Promise<Snapshot | null> {
    const s = await this.run('currentSnapshot', (n) => n.snapshotCurrent());
    return s === null ? null : new Snapshot(s, this.owner ?? this);
  }
}
