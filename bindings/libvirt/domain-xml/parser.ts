/**
 * libvirt domain XML → DomainSpec. Reads what DomainSpec models and ignores the rest (libvirt adds
 * addresses, aliases, controllers and defaults to what it returns). Wrong shapes for modelled parts
 * are ERR_LIBVIRT_XML.
 */
import type {
  CharSource, ConsoleSpec, CpuSpec, DiskSpec, DomainSpec, DomainType, InterfaceSpec, LifecycleAction, MetadataSpec, SerialSpec,
} from './model.js';
import { child, children, parseXml, textOf, xmlError, type XmlElement } from './xml.js';

function int(v: string | undefined, what: string): number {
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) throw xmlError(`${what} must be an integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function optInt(v: string | undefined, what: string): number | undefined {
  return v === undefined ? undefined : int(v, what);
}

const UNITS: Record<string, number> = {
  b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, kb: 1000 / 1024, m: 1024, mib: 1024, mb: 1e6 / 1024, g: 1024 ** 2, gib: 1024 ** 2, gb: 1e9 / 1024,
  t: 1024 ** 3, tib: 1024 ** 3, tb: 1e12 / 1024,
};

function kib(e: XmlElement | undefined, what: string, valueAttr?: string): number {
  const raw = valueAttr !== undefined ? e?.attrs[valueAttr] : textOf(e);
  const n = int(raw, what);
  const unit = (e?.attrs['unit'] ?? 'KiB').toLowerCase();
  const f = UNITS[unit];
  if (f === undefined) throw xmlError(`${what}: unknown unit ${unit}`);
  return Math.round(n * f);
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], what: string): T {
  if (v === undefined || !(allowed as readonly string[]).includes(v)) throw xmlError(`${what}: unexpected ${JSON.stringify(v)}`);
  return v as T;
}

function yes(v: string | undefined): boolean | undefined {
  return v === undefined ? undefined : v === 'yes';
}

const ACTIONS = ['destroy', 'restart', 'preserve', 'rename-restart', 'coredump-destroy', 'coredump-restart'] as const;

function charSource(e: XmlElement, what: string): CharSource {
  const type = e.attrs['type'];
  const src = child(e, 'source');
  if (type === 'pty') return { type: 'pty' };
  if (type === 'file') return { type: 'file', path: src?.attrs['path'] ?? '' };
  if (type === 'unix') return { type: 'unix', path: src?.attrs['path'] ?? '', mode: oneOf(src?.attrs['mode'], ['bind', 'connect'], `${what} mode`) };
  throw xmlError(`${what}: unsupported type ${JSON.stringify(type)}`);
}

function parseDisk(e: XmlElement): DiskSpec | undefined {
  const type = e.attrs['type'];
  const src = child(e, 'source');
  const tgt = child(e, 'target');
  const device = e.attrs['device'] ?? 'disk';
  if (device !== 'disk' && device !== 'cdrom') return undefined;
  let source: DiskSpec['source'];
  if (type === 'file') source = { type: 'file', file: src?.attrs['file'] ?? '' };
  else if (type === 'block') source = { type: 'block', dev: src?.attrs['dev'] ?? '' };
  else if (type === 'network' && src?.attrs['protocol'] === 'rbd') {
    const auth = child(e, 'auth') ?? child(src, 'auth');
    const secret = child(auth, 'secret');
    source = {
      type: 'network',
      protocol: 'rbd',
      name: src.attrs['name'] ?? '',
      hosts: children(src, 'host').map((h) => {
        const port = optInt(h.attrs['port'], 'host port');
        return port === undefined ? { name: h.attrs['name'] ?? '' } : { name: h.attrs['name'] ?? '', port };
      }),
    };
    if (auth !== undefined) {
      source.auth = { username: auth.attrs['username'] ?? '' };
      if (secret?.attrs['uuid'] !== undefined) source.auth.secretUuid = secret.attrs['uuid'];
      if (secret?.attrs['usage'] !== undefined) source.auth.secretUsage = secret.attrs['usage'];
    }
  } else return undefined;
  const disk: DiskSpec = {
    source,
    target: { dev: tgt?.attrs['dev'] ?? '', bus: oneOf(tgt?.attrs['bus'], ['virtio', 'scsi', 'sata', 'ide'] as const, 'disk bus') },
  };
  if (e.attrs['device'] !== undefined) disk.device = device;
  const drv = child(e, 'driver');
  if (drv !== undefined && drv.attrs['type'] !== undefined) {
    disk.driver = { type: oneOf(drv.attrs['type'], ['raw', 'qcow2'] as const, 'disk driver type') };
    if (drv.attrs['cache'] !== undefined) disk.driver.cache = oneOf(drv.attrs['cache'], ['none', 'writeback', 'writethrough', 'directsync', 'unsafe'] as const, 'cache');
    if (drv.attrs['io'] !== undefined) disk.driver.io = oneOf(drv.attrs['io'], ['native', 'threads', 'io_uring'] as const, 'io');
    if (drv.attrs['discard'] !== undefined) disk.driver.discard = oneOf(drv.attrs['discard'], ['unmap', 'ignore'] as const, 'discard');
  }
  if (child(e, 'readonly') !== undefined) disk.readonly = true;
  const serial = child(e, 'serial');
  if (serial !== undefined) disk.serial = textOf(serial) ?? '';
  return disk;
}

const NIC_MODELS = ['virtio', 'e1000', 'rtl8139'] as const;

function parseInterface(e: XmlElement): InterfaceSpec | undefined {
  const mac = child(e, 'mac')?.attrs['address'];
  const modelRaw = child(e, 'model')?.attrs['type'];
  const model = modelRaw === undefined ? undefined : oneOf(modelRaw, NIC_MODELS, 'interface model');
  const src = child(e, 'source');
  let i: InterfaceSpec;
  if (e.attrs['type'] === 'bridge') {
    i = { type: 'bridge', bridge: src?.attrs['bridge'] ?? '' };
    const vp = child(e, 'virtualport');
    if (vp?.attrs['type'] === 'openvswitch') {
      const id = child(vp, 'parameters')?.attrs['interfaceid'];
      i.openvswitch = id === undefined ? {} : { interfaceId: id };
    }
    const target = child(e, 'target')?.attrs['dev'];
    if (target !== undefined) i.targetDev = target;
    const mtu = child(e, 'mtu')?.attrs['size'];
    if (mtu !== undefined) i.mtu = int(mtu, 'mtu');
  } else if (e.attrs['type'] === 'network') {
    i = { type: 'network', network: src?.attrs['network'] ?? '' };
  } else if (e.attrs['type'] === 'user') {
    i = { type: 'user' };
  } else return undefined;
  if (mac !== undefined) i.mac = mac;
  if (model !== undefined) i.model = model;
  return i;
}

function parseCpu(e: XmlElement): CpuSpec {
  const cpu: CpuSpec = { mode: oneOf(e.attrs['mode'] ?? 'custom', ['host-passthrough', 'host-model', 'custom', 'maximum'] as const, 'cpu mode') };
  const model = child(e, 'model');
  if (model !== undefined) cpu.model = textOf(model) ?? '';
  const t = child(e, 'topology');
  if (t !== undefined) {
    cpu.topology = { sockets: int(t.attrs['sockets'], 'sockets'), cores: int(t.attrs['cores'], 'cores'), threads: int(t.attrs['threads'], 'threads') };
    if (t.attrs['dies'] !== undefined) cpu.topology.dies = int(t.attrs['dies'], 'dies');
  }
  const numa = child(e, 'numa');
  if (numa !== undefined) {
    cpu.numa = children(numa, 'cell').map((c) => ({ id: int(c.attrs['id'], 'cell id'), cpus: c.attrs['cpus'] ?? '', memoryKiB: kib(c, 'cell memory', 'memory') }));
  }
  return cpu;
}

function parseMetadata(e: XmlElement): MetadataSpec | undefined {
  const first = e.children.find((c): c is XmlElement => typeof c !== 'string');
  if (first === undefined) return undefined;
  const colon = first.name.indexOf(':');
  if (colon < 0) return undefined;
  const prefix = first.name.slice(0, colon);
  const uri = first.attrs[`xmlns:${prefix}`];
  if (uri === undefined) return undefined;
  const fields: Record<string, string> = {};
  for (const f of first.children) {
    if (typeof f === 'string') continue;
    const name = f.name.startsWith(`${prefix}:`) ? f.name.slice(prefix.length + 1) : f.name;
    fields[name] = textOf(f) ?? '';
  }
  return { uri, prefix, element: first.name.slice(colon + 1), fields };
}

export function parseDomainXml(xml: string): DomainSpec {
  const root = parseXml(xml);
  if (root.name !== 'domain') throw xmlError(`root element is <${root.name}>, not <domain>`);
  const type = oneOf<DomainType>(root.attrs['type'], ['kvm', 'qemu'], 'domain type');
  const name = child(root, 'name');
  if (name === undefined) throw xmlError('domain has no <name>');
  const vcpu = child(root, 'vcpu');
  const osEl = child(root, 'os');
  const typeEl = child(osEl, 'type');
  const spec: DomainSpec = {
    type,
    name: textOf(name) ?? '',
    memoryKiB: kib(child(root, 'memory'), 'memory'),
    vcpus: int(vcpu?.attrs['current'] ?? textOf(vcpu), 'vcpu'),
    os: {},
    devices: {},
  };
  const uuid = child(root, 'uuid');
  if (uuid !== undefined) spec.uuid = textOf(uuid) ?? '';
  const title = child(root, 'title');
  if (title !== undefined) spec.title = textOf(title) ?? '';
  const description = child(root, 'description');
  if (description !== undefined) spec.description = textOf(description) ?? '';
  const md = child(root, 'metadata');
  if (md !== undefined) {
    const m = parseMetadata(md);
    if (m !== undefined) spec.metadata = m;
  }
  const cur = child(root, 'currentMemory');
  if (cur !== undefined) spec.currentMemoryKiB = kib(cur, 'currentMemory');
  if (vcpu?.attrs['current'] !== undefined) spec.maxVcpus = int(textOf(vcpu), 'vcpu');
  const mb = child(root, 'memoryBacking');
  if (mb !== undefined) {
    spec.memoryBacking = {};
    const hp = child(mb, 'hugepages');
    if (hp !== undefined) {
      spec.memoryBacking.hugepages = children(hp, 'page').map((p) => {
        const page: { sizeKiB?: number; nodeset?: string } = {};
        if (p.attrs['size'] !== undefined) page.sizeKiB = kib(p, 'page size', 'size');
        if (p.attrs['nodeset'] !== undefined) page.nodeset = p.attrs['nodeset'];
        return page;
      });
    }
    if (child(mb, 'locked') !== undefined) spec.memoryBacking.locked = true;
  }
  const ct = child(root, 'cputune');
  if (ct !== undefined) {
    spec.cputune = {};
    const pins = children(ct, 'vcpupin');
    if (pins.length > 0) spec.cputune.vcpupin = pins.map((p) => ({ vcpu: int(p.attrs['vcpu'], 'vcpupin vcpu'), cpuset: p.attrs['cpuset'] ?? '' }));
    const ep = child(ct, 'emulatorpin');
    if (ep !== undefined) spec.cputune.emulatorpin = ep.attrs['cpuset'] ?? '';
  }
  // os
  const os = spec.os;
  if (typeEl?.attrs['arch'] !== undefined) os.arch = typeEl.attrs['arch'];
  if (typeEl?.attrs['machine'] !== undefined) os.machine = typeEl.attrs['machine'];
  if (osEl?.attrs['firmware'] !== undefined) os.firmware = oneOf(osEl.attrs['firmware'], ['bios', 'efi'] as const, 'firmware');
  const loader = child(osEl, 'loader');
  if (loader !== undefined) {
    os.loader = { path: textOf(loader) ?? '' };
    const ro = yes(loader.attrs['readonly']);
    if (ro !== undefined) os.loader.readonly = ro;
    if (loader.attrs['type'] !== undefined) os.loader.type = oneOf(loader.attrs['type'], ['rom', 'pflash'] as const, 'loader type');
    const sec = yes(loader.attrs['secure']);
    if (sec !== undefined) os.loader.secure = sec;
  }
  for (const k of ['nvram', 'kernel', 'initrd', 'cmdline'] as const) {
    const e = child(osEl, k);
    if (e !== undefined) os[k] = textOf(e) ?? '';
  }
  const boots = children(osEl, 'boot');
  if (boots.length > 0) os.boot = boots.map((b) => oneOf(b.attrs['dev'], ['hd', 'cdrom', 'network', 'fd'] as const, 'boot dev'));
  const feats = child(root, 'features');
  if (feats !== undefined) {
    spec.features = {};
    for (const f of ['acpi', 'apic', 'pae'] as const) if (child(feats, f) !== undefined) spec.features[f] = true;
  }
  const cpu = child(root, 'cpu');
  if (cpu !== undefined) spec.cpu = parseCpu(cpu);
  const action = (tag: string): LifecycleAction | undefined => {
    const e = child(root, tag);
    return e === undefined ? undefined : oneOf(textOf(e), ACTIONS, tag);
  };
  const onPoweroff = action('on_poweroff');
  if (onPoweroff !== undefined) spec.onPoweroff = onPoweroff;
  const onReboot = action('on_reboot');
  if (onReboot !== undefined) spec.onReboot = onReboot;
  const onCrash = action('on_crash');
  if (onCrash !== undefined) spec.onCrash = onCrash;
  // devices
  const dev = child(root, 'devices');
  const d = spec.devices;
  const emulator = child(dev, 'emulator');
  if (emulator !== undefined) d.emulator = textOf(emulator) ?? '';
  const disks = children(dev, 'disk').map(parseDisk).filter((x): x is DiskSpec => x !== undefined);
  if (disks.length > 0) d.disks = disks;
  const nics = children(dev, 'interface').map(parseInterface).filter((x): x is InterfaceSpec => x !== undefined);
  if (nics.length > 0) d.interfaces = nics;
  const serials: SerialSpec[] = children(dev, 'serial').map((s) => {
    const port = optInt(child(s, 'target')?.attrs['port'], 'serial port');
    return port === undefined ? { source: charSource(s, 'serial') } : { source: charSource(s, 'serial'), port };
  });
  if (serials.length > 0) d.serials = serials;
  const consoles: ConsoleSpec[] = children(dev, 'console').map((c) => ({
    source: charSource(c, 'console'),
    targetType: oneOf(child(c, 'target')?.attrs['type'] ?? 'serial', ['serial', 'virtio'] as const, 'console target'),
  }));
  if (consoles.length > 0) d.consoles = consoles;
  const g = children(dev, 'graphics').find((x) => x.attrs['type'] === 'vnc');
  if (g !== undefined) {
    d.graphics = { type: 'vnc' };
    if (g.attrs['port'] !== undefined) d.graphics.port = Number(g.attrs['port']);
    const auto = yes(g.attrs['autoport']);
    if (auto !== undefined) d.graphics.autoport = auto;
    if (g.attrs['listen'] !== undefined) d.graphics.listen = g.attrs['listen'];
  }
  const wd = child(dev, 'watchdog');
  if (wd !== undefined) {
    d.watchdog = {
      model: oneOf(wd.attrs['model'], ['i6300esb', 'ib700', 'itco'] as const, 'watchdog model'),
      action: oneOf(wd.attrs['action'] ?? 'reset', ['reset', 'shutdown', 'poweroff', 'pause', 'none', 'dump', 'inject-nmi'] as const, 'watchdog action'),
    };
  }
  const rng = child(dev, 'rng');
  if (rng !== undefined) d.rng = { model: oneOf(rng.attrs['model'], ['virtio'] as const, 'rng model'), backend: textOf(child(rng, 'backend')) ?? '' };
  const balloon = child(dev, 'memballoon');
  if (balloon !== undefined) d.memballoon = oneOf(balloon.attrs['model'], ['virtio', 'none'] as const, 'memballoon model');
  return spec;
}
