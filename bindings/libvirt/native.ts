/**
 * Loads the addon built from native/libvirt (build/Release or prebuilds/ via node-gyp-build) on
 * first use, never at import: without libvirt the rest of tstack-host keeps working and the first
 * libvirt call throws ERR_LIBVIRT_NATIVE_UNAVAILABLE naming the Debian package.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { LibvirtError } from './errors.js';
import { packageRoot } from '../../common/package-root.js';

/** Fields the addon defines on handle objects, read on the worker thread at creation. */
export interface NativeHandle {
  free(): Promise<void>;
  isClosed(): boolean;
}

export interface NativeConnection {
  close(): Promise<void>;
  isClosed(): boolean;
  getHostname(): Promise<string>;
  getLibVersion(): Promise<number>;
  getVersion(): Promise<number>;
  getType(): Promise<string>;
  getURI(): Promise<string>;
  getCapabilities(): Promise<string>;
  getDomainCapabilities(emulator: string | null, arch: string | null, machine: string | null, virttype: string | null, flags: number): Promise<string>;
  getMaxVcpus(type: string | null): Promise<number>;
  nodeGetInfo(): Promise<NativeNodeInfo>;
  nodeGetMemoryStats(cell: number, flags: number): Promise<Record<string, number>>;
  nodeGetCPUStats(cpu: number, flags: number): Promise<Record<string, number>>;
  nodeGetFreeMemory(): Promise<number>;
  isAlive(): Promise<boolean>;
  isSecure(): Promise<boolean>;
  isEncrypted(): Promise<boolean>;
  setKeepAlive(interval: number, count: number): Promise<boolean>;
  listAllDomains(flags: number): Promise<NativeDomain[]>;
  lookupByName(name: string): Promise<NativeDomain>;
  lookupByUUIDString(uuid: string): Promise<NativeDomain>;
  lookupByID(id: number): Promise<NativeDomain>;
  defineXML(xml: string, flags: number): Promise<NativeDomain>;
  createXML(xml: string, flags: number): Promise<NativeDomain>;
  restore(from: string, xml: string | null, flags: number): Promise<void>;
  getAllDomainStats(stats: number, flags: number): Promise<{ name: string; uuid: string; params: Record<string, number | string | boolean> }[]>;
  listAllStoragePools(flags: number): Promise<NativePool[]>;
  storagePoolLookupByName(name: string): Promise<NativePool>;
  storagePoolDefineXML(xml: string, flags: number): Promise<NativePool>;
  storagePoolCreateXML(xml: string, flags: number): Promise<NativePool>;
  storageVolLookupByPath(path: string): Promise<NativeVolume>;
  secretDefineXML(xml: string, flags: number): Promise<NativeSecret>;
  secretLookupByUUIDString(uuid: string): Promise<NativeSecret>;
  secretLookupByUsage(usageType: number, usageId: string): Promise<NativeSecret>;
  listAllSecrets(flags: number): Promise<NativeSecret[]>;
  domainEventRegister(eventId: number, domain: NativeDomain | null, cb: (ev: NativeEvent) => void): Promise<number>;
  domainEventDeregister(callbackId: number): Promise<void>;
  registerCloseCallback(cb: (ev: { reason: number }) => void): Promise<void>;
  unregisterCloseCallback(): Promise<void>;
}

export interface NativeNodeInfo {
  model: string;
  memoryKiB: number;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

export interface NativeEvent {
  eventId: number;
  domain: string;
  uuid: string;
  [field: string]: unknown;
}

export interface NativeDomain extends NativeHandle {
  readonly name: string;
  readonly uuid: string;
  getID(): Promise<number>;
  /** [state, reason] */
  getState(): Promise<[number, number]>;
  /** [state, maxMemKiB, memoryKiB, vcpus, cpuTimeNs] */
  getInfo(): Promise<[number, number, number, number, number]>;
  getXMLDesc(flags: number): Promise<string>;
  isActive(): Promise<boolean>;
  isPersistent(): Promise<boolean>;
  isUpdated(): Promise<boolean>;
  create(flags: number): Promise<void>;
  destroy(flags: number): Promise<void>;
  shutdown(flags: number): Promise<void>;
  reboot(flags: number): Promise<void>;
  reset(flags: number): Promise<void>;
  suspend(): Promise<void>;
  resume(): Promise<void>;
  managedSave(flags: number): Promise<void>;
  hasManagedSaveImage(flags: number): Promise<boolean>;
  managedSaveRemove(flags: number): Promise<void>;
  save(to: string, xml: string | null, flags: number): Promise<void>;
  undefine(flags: number): Promise<void>;
  getAutostart(): Promise<boolean>;
  setAutostart(on: boolean): Promise<void>;
  setVcpus(n: number, flags: number): Promise<void>;
  getVcpus(flags: number): Promise<number>;
  setMemory(kib: number, flags: number): Promise<void>;
  getMaxMemory(): Promise<number>;
  attachDevice(xml: string, flags: number): Promise<void>;
  detachDevice(xml: string, flags: number): Promise<void>;
  updateDevice(xml: string, flags: number): Promise<void>;
  blockResize(disk: string, size: number, flags: number): Promise<void>;
  blockInfo(disk: string): Promise<{ capacity: number; allocation: number; physical: number }>;
  blockStats(disk: string): Promise<{ rdReq: number; rdBytes: number; wrReq: number; wrBytes: number; errs: number }>;
  interfaceStats(dev: string): Promise<Record<string, number>>;
  memoryStats(): Promise<Record<string, number>>;
  setMetadata(type: number, metadata: string | null, key: string | null, uri: string | null, flags: number): Promise<void>;
  getMetadata(type: number, uri: string | null, flags: number): Promise<string>;
  migrateToURI3(dconnuri: string | null, params: { name: string; type: string; value: string | number | boolean }[], flags: number): Promise<void>;
  agentCommand(cmd: string, timeout: number): Promise<string>;
  getJobStats(flags: number): Promise<{ type: number; params: Record<string, number | string | boolean> }>;
  snapshotCreateXML(xml: string, flags: number): Promise<NativeSnapshot>;
  listAllSnapshots(flags: number): Promise<NativeSnapshot[]>;
  snapshotLookupByName(name: string): Promise<NativeSnapshot>;
  snapshotCurrent(): Promise<NativeSnapshot | null>;
}

export interface NativeSnapshot extends NativeHandle {
  readonly name: string;
  getXMLDesc(flags: number): Promise<string>;
  revert(flags: number): Promise<void>;
  delete(flags: number): Promise<void>;
  getParent(): Promise<NativeSnapshot | null>;
  isCurrent(): Promise<boolean>;
}

export interface NativePool extends NativeHandle {
  readonly name: string;
  readonly uuid: string;
  create(flags: number): Promise<void>;
  build(flags: number): Promise<void>;
  destroy(): Promise<void>;
  undefine(): Promise<void>;
  refresh(flags: number): Promise<void>;
  getInfo(): Promise<{ state: number; capacity: number; allocation: number; available: number }>;
  getXMLDesc(flags: number): Promise<string>;
  isActive(): Promise<boolean>;
  setAutostart(on: boolean): Promise<void>;
  listAllVolumes(flags: number): Promise<NativeVolume[]>;
  volLookupByName(name: string): Promise<NativeVolume>;
  volCreateXML(xml: string, flags: number): Promise<NativeVolume>;
}

export interface NativeVolume extends NativeHandle {
  readonly name: string;
  readonly key: string;
  readonly path: string | null;
  getInfo(): Promise<{ type: number; capacity: number; allocation: number }>;
  getXMLDesc(flags: number): Promise<string>;
  delete(flags: number): Promise<void>;
  resize(capacity: number, flags: number): Promise<void>;
}

export interface NativeSecret extends NativeHandle {
  readonly uuid: string;
  readonly usageType: number;
  readonly usageId: string | null;
  getXMLDesc(): Promise<string>;
  setValue(value: Buffer): Promise<void>;
  getValue(): Promise<Buffer>;
  undefine(): Promise<void>;
}

export interface NativeAddon {
  Connection: {
    open(uri: string, flags: number, username?: string | null, password?: string | null): Promise<NativeConnection>;
  };
  eventLoopRunning(): boolean;
  libVersion(): number;
  /** Tests only: a pool task that is not brief and holds its worker for `ms`. */
  debugHoldWorker(ms: number): Promise<void>;
  /** Tests only: how many debugHoldWorker tasks have ended. */
  debugHoldsEnded(): number;
}

export const DEBIAN_PACKAGE = 'libvirt-dev';

let cached: NativeAddon | undefined;
let failure: unknown;

/** The addon, loaded once; throws ERR_LIBVIRT_NATIVE_UNAVAILABLE when it cannot be. */
export function loadNative(): NativeAddon {
  if (cached !== undefined) return cached;
  if (failure === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const load = require('node-gyp-build') as (dir: string) => unknown;
      // TSTACK_LIBVIRT_ADDON_DIR points elsewhere (tests of the missing-addon path, relocated installs).
      cached = load(process.env['TSTACK_LIBVIRT_ADDON_DIR'] ?? path.join(packageRoot(), 'native', 'libvirt')) as NativeAddon;
      return cached;
    } catch (err) {
      failure = err;
    }
  }
  throw new LibvirtError(
    'ERR_LIBVIRT_NATIVE_UNAVAILABLE',
    `the libvirt addon is not built: install the Debian package ${DEBIAN_PACKAGE} (apt-get install ${DEBIAN_PACKAGE}) and run npm run build:native`,
    { cause: failure },
  );
}

/** True when the addon loads (for tests and the demo to decide what to run). */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}
