/** A fluent way to build a DomainSpec; `build()` returns a copy, `xml()` the document. */
import type { CpuSpec, DiskSpec, DomainSpec, DomainType, GraphicsSpec, InterfaceSpec, MemoryBackingSpec, MetadataSpec, OsSpec } from './model.js';
import { domainXml } from './writer.js';

const UNIT_KIB = { KiB: 1, MiB: 1024, GiB: 1024 * 1024 } as const;
export type SizeUnit = keyof typeof UNIT_KIB;

export class DomainBuilder {
  private readonly spec: DomainSpec;

  constructor(name: string, type: DomainType = 'kvm') {
    this.spec = { type, name, memoryKiB: 512 * 1024, vcpus: 1, os: {}, devices: {} };
  }

  type(t: DomainType): this {
    this.spec.type = t;
    return this;
  }
  uuid(u: string): this {
    this.spec.uuid = u;
    return this;
  }
  title(t: string): this {
    this.spec.title = t;
    return this;
  }
  description(d: string): this {
    this.spec.description = d;
    return this;
  }
  memory(size: number, unit: SizeUnit = 'MiB'): this {
    this.spec.memoryKiB = size * UNIT_KIB[unit];
    return this;
  }
  currentMemory(size: number, unit: SizeUnit = 'MiB'): this {
    this.spec.currentMemoryKiB = size * UNIT_KIB[unit];
    return this;
  }
  vcpus(n: number, max?: number): this {
    this.spec.vcpus = n;
    if (max !== undefined) this.spec.maxVcpus = max;
    return this;
  }
  os(os: OsSpec): this {
    this.spec.os = { ...this.spec.os, ...os };
    return this;
  }
  machine(machine: string, arch = 'x86_64'): this {
    return this.os({ machine, arch });
  }
  firmware(f: 'bios' | 'efi'): this {
    return this.os({ firmware: f });
  }
  directKernel(kernel: string, initrd?: string, cmdline?: string): this {
    return this.os({ kernel, ...(initrd !== undefined ? { initrd } : {}), ...(cmdline !== undefined ? { cmdline } : {}) });
  }
  features(f: NonNullable<DomainSpec['features']>): this {
    this.spec.features = { ...this.spec.features, ...f };
    return this;
  }
  cpu(cpu: CpuSpec): this {
    this.spec.cpu = cpu;
    return this;
  }
  pinVcpu(vcpu: number, cpuset: string): this {
    const ct = (this.spec.cputune ??= {});
    (ct.vcpupin ??= []).push({ vcpu, cpuset });
    return this;
  }
  pinEmulator(cpuset: string): this {
    (this.spec.cputune ??= {}).emulatorpin = cpuset;
    return this;
  }
  memoryBacking(mb: MemoryBackingSpec): this {
    this.spec.memoryBacking = mb;
    return this;
  }
  onPoweroff(a: NonNullable<DomainSpec['onPoweroff']>): this {
    this.spec.onPoweroff = a;
    return this;
  }
  onReboot(a: NonNullable<DomainSpec['onReboot']>): this {
    this.spec.onReboot = a;
    return this;
  }
  onCrash(a: NonNullable<DomainSpec['onCrash']>): this {
    this.spec.onCrash = a;
    return this;
  }
  emulator(path: string): this {
    this.spec.devices.emulator = path;
    return this;
  }
  disk(d: DiskSpec): this {
    (this.spec.devices.disks ??= []).push(d);
    return this;
  }
  fileDisk(file: string, dev: string, type: 'raw' | 'qcow2' = 'qcow2'): this {
    return this.disk({ source: { type: 'file', file }, target: { dev, bus: 'virtio' }, driver: { type, cache: 'none' } });
  }
  rbdDisk(name: string, dev: string, hosts: { name: string; port?: number }[], auth?: { username: string; secretUuid: string }): this {
    return this.disk({
      source: { type: 'network', protocol: 'rbd', name, hosts, ...(auth !== undefined ? { auth } : {}) },
      target: { dev, bus: 'virtio' },
      driver: { type: 'raw', cache: 'writeback', discard: 'unmap' },
    });
  }
  interface(i: InterfaceSpec): this {
    (this.spec.devices.interfaces ??= []).push(i);
    return this;
  }
  ovsPort(bridge: string, interfaceId: string, mac?: string): this {
    return this.interface({ type: 'bridge', bridge, openvswitch: { interfaceId }, model: 'virtio', ...(mac !== undefined ? { mac } : {}) });
  }
  serialToFile(path: string): this {
    (this.spec.devices.serials ??= []).push({ source: { type: 'file', path }, port: 0 });
    return this;
  }
  serialPty(): this {
    (this.spec.devices.serials ??= []).push({ source: { type: 'pty' }, port: 0 });
    (this.spec.devices.consoles ??= []).push({ source: { type: 'pty' }, targetType: 'serial' });
    return this;
  }
  graphics(g: GraphicsSpec | 'none'): this {
    if (g === 'none') delete this.spec.devices.graphics;
    else this.spec.devices.graphics = g;
    return this;
  }
  watchdog(model: NonNullable<DomainSpec['devices']['watchdog']>['model'], action: NonNullable<DomainSpec['devices']['watchdog']>['action']): this {
    this.spec.devices.watchdog = { model, action };
    return this;
  }
  rng(backend = '/dev/urandom'): this {
    this.spec.devices.rng = { model: 'virtio', backend };
    return this;
  }
  memballoon(model: 'virtio' | 'none'): this {
    this.spec.devices.memballoon = model;
    return this;
  }
  metadata(m: MetadataSpec): this {
    this.spec.metadata = m;
    return this;
  }
  build(): DomainSpec {
    return structuredClone(this.spec);
  }
  xml(): string {
    return domainXml(this.spec);
  }
}

export function domainBuilder(name: string, type: DomainType = 'kvm'): DomainBuilder {
  return new DomainBuilder(name, type);
}
