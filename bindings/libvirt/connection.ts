import { ConnectFlags, ListDomains } from './constants.js';
import { Domain } from './domain.js';
import { domainXml, type DomainSpec } from './domain-xml/index.js';
import { LibvirtError, call, invoke, same } from './errors.js';
import { DomainEvents } from './events.js';
import { loadNative, type NativeConnection, type NativeNodeInfo } from './native.js';
import { Secret } from './secret.js';
import { statsFlags, toStatsRecord, type DomainStatsRecord, type StatsGroup } from './stats.js';
import { StoragePool, StorageVolume } from './storage.js';

export interface OpenOptions {
  readOnly?: boolean;
  /** Answers libvirt's credential prompts (SASL/TLS auth); never logged. */
  auth?: { username?: string; password?: string };
  /** Keepalive (remote drivers): probe every `interval` s, give up after `count` misses. */
  keepAlive?: { interval: number; count: number };
}

/** virNodeInfo, as the addon reads it. */
export type NodeInfo = NativeNodeInfo;

export interface ListDomainsFilter {
  active?: boolean;
  persistent?: boolean;
  state?: 'running' | 'paused' | 'shutoff' | 'other';
  managedSave?: boolean;
  autostart?: boolean;
  hasSnapshot?: boolean;
}

function listFlags(f: ListDomainsFilter): number {
  let x = 0;
  if (f.active !== undefined) x |= f.active ? ListDomains.ACTIVE : ListDomains.INACTIVE;
  if (f.persistent !== undefined) x |= f.persistent ? ListDomains.PERSISTENT : ListDomains.TRANSIENT;
  if (f.state === 'running') x |= ListDomains.RUNNING;
  if (f.state === 'paused') x |= ListDomains.PAUSED;
  if (f.state === 'shutoff') x |= ListDomains.SHUTOFF;
  if (f.state === 'other') x |= ListDomains.OTHER;
  if (f.managedSave !== undefined) x |= f.managedSave ? ListDomains.MANAGEDSAVE : ListDomains.NO_MANAGEDSAVE;
  if (f.autostart !== undefined) x |= f.autostart ? ListDomains.AUTOSTART : ListDomains.NO_AUTOSTART;
  if (f.hasSnapshot !== undefined) x |= f.hasSnapshot ? ListDomains.HAS_SNAPSHOT : ListDomains.NO_SNAPSHOT;
  return x;
}

/** "9000000" → "9.0.0" */
export function versionString(v: number): string {
  return `${Math.floor(v / 1_000_000)}.${Math.floor(v / 1000) % 1000}.${v % 1000}`;
}

/**
 * A libvirt connection (virConnectPtr). Every call runs on a native worker thread and returns a
 * Promise. close() (or `await using`) releases it; any later call — on it or on the domains,
 * snapshots, pools and secrets it handed out — is ERR_LIBVIRT_CLOSED.
 */
export class Connection implements AsyncDisposable {
  #closed = false;
  #closeCallback = false;
  readonly events: DomainEvents;

  private constructor(
    private readonly native: NativeConnection,
    readonly uri: string,
  ) {
    this.events = new DomainEvents(() => this.native, () => this.#closed);
  }

  static async open(uri: string, options: OpenOptions = {}): Promise<Connection> {
    const addon = loadNative();
    const flags = options.readOnly === true ? ConnectFlags.RO : 0;
    const native = await call(`open ${uri}`, () => addon.Connection.open(uri, flags, options.auth?.username ?? null, options.auth?.password ?? null));
    const conn = new Connection(native, uri);
    if (options.keepAlive !== undefined) await conn.setKeepAlive(options.keepAlive.interval, options.keepAlive.count);
    return conn;
  }

  get closed(): boolean {
    return this.#closed;
  }

  private run<T>(op: string, fn: (n: NativeConnection) => Promise<T>): Promise<T> {
    return this.runMap(op, fn, same);
  }

  /** run, with the result reshaped by `map` in the same promise reaction. */
  private runMap<T, U>(op: string, fn: (n: NativeConnection) => Promise<T>, map: (v: T) => U): Promise<U> {
    if (this.#closed) return Promise.reject(new LibvirtError('ERR_LIBVIRT_CLOSED', `connection.${op}: connection is closed`));
    return invoke('connection', op, this.native, fn, map);
  }

  /** Ends event subscriptions and closes. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.events.closeAll();
    if (this.#closeCallback) await this.run('unregisterCloseCallback', (n) => n.unregisterCloseCallback()).catch(() => undefined);
    this.#closed = true;
    await call('connection.close', () => this.native.close());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- host

  hostname(): Promise<string> {
    return this.run('hostname', (n) => n.getHostname());
  }
  /** libvirt library version as major*1e6+minor*1e3+release. */
  libVersion(): Promise<number> {
    return this.run('libVersion', (n) => n.getLibVersion());
  }
  hypervisorVersion(): Promise<number> {
    return this.run('hypervisorVersion', (n) => n.getVersion());
  }
  type(): Promise<string> {
    return this.run('type', (n) => n.getType());
  }
  capabilities(): Promise<string> {
    return this.run('capabilities', (n) => n.getCapabilities());
  }
  domainCapabilities(options: { emulator?: string; arch?: string; machine?: string; virttype?: string } = {}): Promise<string> {
    return this.run('domainCapabilities', (n) => n.getDomainCapabilities(options.emulator ?? null, options.arch ?? null, options.machine ?? null, options.virttype ?? null, 0));
  }
  maxVcpus(type?: string): Promise<number> {
    return this.run('maxVcpus', (n) => n.getMaxVcpus(type ?? null));
  }
  nodeInfo(): Promise<NodeInfo> {
    return this.run('nodeInfo', (n) => n.nodeGetInfo());
  }
  /** Host memory counters in KiB (total, free, buffers, cached) for all cells or one. */
  nodeMemoryStats(cell = -1): Promise<Record<string, number>> {
    return this.run('nodeMemoryStats', (n) => n.nodeGetMemoryStats(cell, 0));
  }
  /** Host CPU time counters in ns (kernel, user, idle, iowait) for all CPUs or one. */
  nodeCpuStats(cpu = -1): Promise<Record<string, number>> {
    return this.run('nodeCpuStats', (n) => n.nodeGetCPUStats(cpu, 0));
  }
  freeMemory(): Promise<number> {
    return this.run('freeMemory', (n) => n.nodeGetFreeMemory());
  }
  isAlive(): Promise<boolean> {
    return this.run('isAlive', (n) => n.isAlive());
  }
  isSecure(): Promise<boolean> {
    return this.run('isSecure', (n) => n.isSecure());
  }
  isEncrypted(): Promise<boolean> {
    return this.run('isEncrypted', (n) => n.isEncrypted());
  }
  /** Starts keepalive; false when the driver has none (local drivers such as test://). */
  setKeepAlive(interval: number, count: number): Promise<boolean> {
    return this.run('setKeepAlive', (n) => n.setKeepAlive(interval, count));
  }

  /** Called once if the connection drops (reason: 0 error, 1 EOF, 2 keepalive, 3 client). */
  async onClose(listener: (reason: number) => void): Promise<void> {
    await this.run('onClose', (n) => n.registerCloseCallback((ev) => listener(ev.reason)));
    this.#closeCallback = true;
  }

  // ---------------------------------------------------------------- domains

  listDomains(filter: ListDomainsFilter = {}): Promise<Domain[]> {
    return this.runMap('listDomains', (n) => n.listAllDomains(listFlags(filter)), (list) => list.map((d) => new Domain(d, this)));
  }
  domainByName(name: string): Promise<Domain> {
    return this.runMap('domainByName', (n) => n.lookupByName(name), (d) => new Domain(d, this));
  }
  domainByUuid(uuid: string): Promise<Domain> {
    return this.runMap('domainByUuid', (n) => n.lookupByUUIDString(uuid), (d) => new Domain(d, this));
  }
  domainById(id: number): Promise<Domain> {
    return this.runMap('domainById', (n) => n.lookupByID(id), (d) => new Domain(d, this));
  }
  /** The domain, or null when libvirt has none of that name. */
  async findDomain(name: string): Promise<Domain | null> {
    try {
      return await this.domainByName(name);
    } catch (err) {
      if (err instanceof LibvirtError && err.is('NO_DOMAIN')) return null;
      throw err;
    }
  }
  /** Defines (persistent, not started) from a DomainSpec or XML. */
  async defineDomain(spec: DomainSpec | string, options: { validate?: boolean } = {}): Promise<Domain> {
    const xml = typeof spec === 'string' ? spec : domainXml(spec);
    return new Domain(await this.run('defineDomain', (n) => n.defineXML(xml, options.validate === true ? 1 : 0)), this);
  }
  /** Creates and starts a transient domain. */
  async createDomain(spec: DomainSpec | string, options: { paused?: boolean } = {}): Promise<Domain> {
    const xml = typeof spec === 'string' ? spec : domainXml(spec);
    return new Domain(await this.run('createDomain', (n) => n.createXML(xml, options.paused === true ? 1 : 0)), this);
  }
  restoreDomain(path: string): Promise<void> {
    return this.run('restoreDomain', (n) => n.restore(path, null, 0));
  }
  /** Stats of every domain (or those matching `filter`); groups default to all libvirt supports. */
  async allDomainStats(groups?: readonly StatsGroup[], filter: ListDomainsFilter = {}): Promise<DomainStatsRecord[]> {
    const list = await this.run('allDomainStats', (n) => n.getAllDomainStats(statsFlags(groups), listFlags(filter)));
    return list.map(toStatsRecord);
  }

  // ---------------------------------------------------------------- storage

  async listStoragePools(): Promise<StoragePool[]> {
    return (await this.run('listStoragePools', (n) => n.listAllStoragePools(0))).map((p) => new StoragePool(p, this));
  }
  async storagePool(name: string): Promise<StoragePool> {
    return new StoragePool(await this.run('storagePool', (n) => n.storagePoolLookupByName(name)), this);
  }
  async defineStoragePool(xml: string): Promise<StoragePool> {
    return new StoragePool(await this.run('defineStoragePool', (n) => n.storagePoolDefineXML(xml, 0)), this);
  }
  async createStoragePool(xml: string): Promise<StoragePool> {
    return new StoragePool(await this.run('createStoragePool', (n) => n.storagePoolCreateXML(xml, 0)), this);
  }
  async volumeByPath(path: string): Promise<StorageVolume> {
    return new StorageVolume(await this.run('volumeByPath', (n) => n.storageVolLookupByPath(path)), this);
  }

  // ---------------------------------------------------------------- secrets

  async defineSecret(xml: string): Promise<Secret> {
    return new Secret(await this.run('defineSecret', (n) => n.secretDefineXML(xml, 0)), this);
  }
  async secret(uuid: string): Promise<Secret> {
    return new Secret(await this.run('secret', (n) => n.secretLookupByUUIDString(uuid)), this);
  }
  async secretByUsage(type: number, usageId: string): Promise<Secret> {
    return new Secret(await this.run('secretByUsage', (n) => n.secretLookupByUsage(type, usageId)), this);
  }
  async listSecrets(): Promise<Secret[]> {
    return (await this.run('listSecrets', (n) => n.listAllSecrets(0))).map((s) => new Secret(s, this));
  }
}

export function openConnection(uri: string, options: OpenOptions = {}): Promise<Connection> {
  return Connection.open(uri, options);
}
