/**
 * DomainSpec: the typed subset of libvirt's domain XML a cloud host needs
 * (https://libvirt.org/formatdomain.html). Sizes are KiB, as libvirt's default unit.
 */

export type DomainType = 'kvm' | 'qemu';
export type LifecycleAction = 'destroy' | 'restart' | 'preserve' | 'rename-restart' | 'coredump-destroy' | 'coredump-restart';

export interface OsSpec {
  arch?: string;
  machine?: string;
  /** BIOS (SeaBIOS) or UEFI; `efi` lets libvirt pick the firmware (`<os firmware='efi'>`). */
  firmware?: 'bios' | 'efi';
  loader?: { path: string; readonly?: boolean; type?: 'rom' | 'pflash'; secure?: boolean };
  nvram?: string;
  /** Direct kernel boot. */
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  boot?: ('hd' | 'cdrom' | 'network' | 'fd')[];
}

export interface CpuSpec {
  mode: 'host-passthrough' | 'host-model' | 'custom' | 'maximum';
  model?: string;
  topology?: { sockets: number; dies?: number; cores: number; threads: number };
  /** NUMA cells: guest CPUs (cpuset syntax, e.g. "0-1") and memory per cell. */
  numa?: { id: number; cpus: string; memoryKiB: number }[];
}

export interface CpuTuneSpec {
  vcpupin?: { vcpu: number; cpuset: string }[];
  emulatorpin?: string;
}

export interface MemoryBackingSpec {
  /** Hugepages; an empty list means the default page size. */
  hugepages?: { sizeKiB?: number; nodeset?: string }[];
  locked?: boolean;
}

export type DiskSource =
  | { type: 'file'; file: string }
  | { type: 'block'; dev: string }
  | {
      type: 'network';
      protocol: 'rbd';
      /** pool/image */
      name: string;
      hosts: { name: string; port?: number }[];
      /** cephx user and the libvirt secret holding its key. */
      auth?: { username: string; secretUuid?: string; secretUsage?: string };
    };

export interface DiskSpec {
  device?: 'disk' | 'cdrom';
  source: DiskSource;
  target: { dev: string; bus: 'virtio' | 'scsi' | 'sata' | 'ide' };
  driver?: { type: 'raw' | 'qcow2'; cache?: 'none' | 'writeback' | 'writethrough' | 'directsync' | 'unsafe'; io?: 'native' | 'threads' | 'io_uring'; discard?: 'unmap' | 'ignore' };
  readonly?: boolean;
  serial?: string;
}

export type InterfaceSpec =
  | {
      type: 'bridge';
      bridge: string;
      /** Open vSwitch port: `<virtualport type='openvswitch'>` with the Neutron-style interface id. */
      openvswitch?: { interfaceId?: string };
      mac?: string;
      model?: 'virtio' | 'e1000' | 'rtl8139';
      targetDev?: string;
      mtu?: number;
    }
  | { type: 'network'; network: string; mac?: string; model?: 'virtio' | 'e1000' | 'rtl8139' }
  | { type: 'user'; mac?: string; model?: 'virtio' | 'e1000' | 'rtl8139' };

export type CharSource = { type: 'pty' } | { type: 'file'; path: string } | { type: 'unix'; path: string; mode: 'bind' | 'connect' };

export interface SerialSpec {
  source: CharSource;
  port?: number;
}

export interface ConsoleSpec {
  source: CharSource;
  targetType: 'serial' | 'virtio';
}

export type GraphicsSpec = { type: 'vnc'; listen?: string; port?: number; autoport?: boolean };

export interface WatchdogSpec {
  model: 'i6300esb' | 'ib700' | 'itco';
  action: 'reset' | 'shutdown' | 'poweroff' | 'pause' | 'none' | 'dump' | 'inject-nmi';
}

export interface RngSpec {
  model: 'virtio';
  backend: string;
}

export interface DevicesSpec {
  emulator?: string;
  disks?: DiskSpec[];
  interfaces?: InterfaceSpec[];
  serials?: SerialSpec[];
  consoles?: ConsoleSpec[];
  /** Absent: no graphics at all. */
  graphics?: GraphicsSpec;
  watchdog?: WatchdogSpec;
  rng?: RngSpec;
  memballoon?: 'virtio' | 'none';
}

/** Our own metadata element: `<prefix:element xmlns:prefix=uri><prefix:key>value</prefix:key>...`. */
export interface MetadataSpec {
  uri: string;
  prefix: string;
  element: string;
  fields: Record<string, string>;
}

export interface DomainSpec {
  type: DomainType;
  name: string;
  uuid?: string;
  title?: string;
  description?: string;
  memoryKiB: number;
  currentMemoryKiB?: number;
  vcpus: number;
  /** Maximum vCPUs when more than `vcpus` may be hot-plugged. */
  maxVcpus?: number;
  os: OsSpec;
  features?: { acpi?: boolean; apic?: boolean; pae?: boolean };
  cpu?: CpuSpec;
  cputune?: CpuTuneSpec;
  memoryBacking?: MemoryBackingSpec;
  onPoweroff?: LifecycleAction;
  onReboot?: LifecycleAction;
  onCrash?: LifecycleAction;
  devices: DevicesSpec;
  metadata?: MetadataSpec;
}
