/** DomainSpec → libvirt domain XML. Every value goes through the escaping writer in xml.ts. */
import type { CharSource, ConsoleSpec, DiskSpec, DomainSpec, InterfaceSpec, SerialSpec } from './model.js';
import { el, serialize, xmlError, type XmlElement } from './xml.js';

const yesNo = (b: boolean | undefined): string | undefined => (b === undefined ? undefined : b ? 'yes' : 'no');

function positiveInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw xmlError(`${what} must be a non-negative integer, got ${v}`);
  return v;
}

const XML_NAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

function charSource(s: CharSource): { type: string; source: XmlElement | undefined } {
  switch (s.type) {
    case 'pty':
      return { type: 'pty', source: undefined };
    case 'file':
      return { type: 'file', source: el('source', { path: s.path }) };
    case 'unix':
      return { type: 'unix', source: el('source', { mode: s.mode, path: s.path }) };
  }
}

export function diskElement(d: DiskSpec): XmlElement {
  const s = d.source;
  let source: XmlElement;
  const extra: XmlElement[] = [];
  if (s.type === 'file') source = el('source', { file: s.file });
  else if (s.type === 'block') source = el('source', { dev: s.dev });
  else {
    source = el('source', { protocol: s.protocol, name: s.name }, s.hosts.map((h) => el('host', { name: h.name, port: h.port === undefined ? undefined : positiveInt(h.port, 'port') })));
    if (s.auth !== undefined) {
      const secret = s.auth.secretUuid !== undefined ? el('secret', { type: 'ceph', uuid: s.auth.secretUuid }) : el('secret', { type: 'ceph', usage: s.auth.secretUsage });
      extra.push(el('auth', { username: s.auth.username }, [secret]));
    }
  }
  return el('disk', { type: s.type, device: d.device }, [
    d.driver !== undefined && el('driver', { name: 'qemu', type: d.driver.type, cache: d.driver.cache, io: d.driver.io, discard: d.driver.discard }),
    ...extra,
    source,
    el('target', { dev: d.target.dev, bus: d.target.bus }),
    d.readonly === true && el('readonly'),
    d.serial !== undefined && el('serial', {}, [d.serial]),
  ]);
}

export function interfaceElement(i: InterfaceSpec): XmlElement {
  const mac = i.mac !== undefined ? el('mac', { address: i.mac }) : undefined;
  const model = i.model !== undefined ? el('model', { type: i.model }) : undefined;
  if (i.type === 'bridge') {
    return el('interface', { type: 'bridge' }, [
      mac,
      el('source', { bridge: i.bridge }),
      i.openvswitch !== undefined &&
        el('virtualport', { type: 'openvswitch' }, [i.openvswitch.interfaceId !== undefined && el('parameters', { interfaceid: i.openvswitch.interfaceId })]),
      i.targetDev !== undefined && el('target', { dev: i.targetDev }),
      model,
      i.mtu !== undefined && el('mtu', { size: positiveInt(i.mtu, 'mtu') }),
    ]);
  }
  if (i.type === 'network') return el('interface', { type: 'network' }, [mac, el('source', { network: i.network }), model]);
  return el('interface', { type: 'user' }, [mac, model]);
}

function serialElement(s: SerialSpec): XmlElement {
  const c = charSource(s.source);
  return el('serial', { type: c.type }, [c.source, el('target', { port: s.port === undefined ? undefined : positiveInt(s.port, 'serial port') })]);
}

function consoleElement(s: ConsoleSpec): XmlElement {
  const c = charSource(s.source);
  return el('console', { type: c.type }, [c.source, el('target', { type: s.targetType })]);
}

export function domainElement(spec: DomainSpec): XmlElement {
  if (spec.name === '') throw xmlError('a domain needs a name');
  const os = spec.os;
  const d = spec.devices;
  const md = spec.metadata;
  if (md !== undefined && (!XML_NAME.test(md.prefix) || !XML_NAME.test(md.element) || Object.keys(md.fields).some((k) => !XML_NAME.test(k)))) {
    throw xmlError('metadata prefix, element and field names must be XML names');
  }
  return el('domain', { type: spec.type }, [
    el('name', {}, [spec.name]),
    spec.uuid !== undefined && el('uuid', {}, [spec.uuid]),
    spec.title !== undefined && el('title', {}, [spec.title]),
    spec.description !== undefined && el('description', {}, [spec.description]),
    md !== undefined &&
      el('metadata', {}, [
        el(`${md.prefix}:${md.element}`, { [`xmlns:${md.prefix}`]: md.uri }, Object.entries(md.fields).map(([k, v]) => el(`${md.prefix}:${k}`, {}, [v]))),
      ]),
    el('memory', { unit: 'KiB' }, [String(positiveInt(spec.memoryKiB, 'memory'))]),
    spec.currentMemoryKiB !== undefined && el('currentMemory', { unit: 'KiB' }, [String(positiveInt(spec.currentMemoryKiB, 'currentMemory'))]),
    spec.memoryBacking !== undefined &&
      el('memoryBacking', {}, [
        spec.memoryBacking.hugepages !== undefined &&
          el('hugepages', {}, spec.memoryBacking.hugepages.map((p) => el('page', { size: p.sizeKiB, unit: p.sizeKiB === undefined ? undefined : 'KiB', nodeset: p.nodeset }))),
        spec.memoryBacking.locked === true && el('locked'),
      ]),
    el('vcpu', { placement: 'static', current: spec.maxVcpus !== undefined ? positiveInt(spec.vcpus, 'vcpus') : undefined }, [
      String(positiveInt(spec.maxVcpus ?? spec.vcpus, 'vcpus')),
    ]),
    spec.cputune !== undefined &&
      el('cputune', {}, [
        ...(spec.cputune.vcpupin ?? []).map((p) => el('vcpupin', { vcpu: positiveInt(p.vcpu, 'vcpupin vcpu'), cpuset: p.cpuset })),
        spec.cputune.emulatorpin !== undefined && el('emulatorpin', { cpuset: spec.cputune.emulatorpin }),
      ]),
    el('os', { firmware: os.firmware }, [
      el('type', { arch: os.arch, machine: os.machine }, ['hvm']),
      os.loader !== undefined && el('loader', { readonly: yesNo(os.loader.readonly), type: os.loader.type, secure: yesNo(os.loader.secure) }, [os.loader.path]),
      os.nvram !== undefined && el('nvram', {}, [os.nvram]),
      os.kernel !== undefined && el('kernel', {}, [os.kernel]),
      os.initrd !== undefined && el('initrd', {}, [os.initrd]),
      os.cmdline !== undefined && el('cmdline', {}, [os.cmdline]),
      ...(os.boot ?? []).map((b) => el('boot', { dev: b })),
    ]),
    spec.features !== undefined &&
      el('features', {}, [spec.features.acpi === true && el('acpi'), spec.features.apic === true && el('apic'), spec.features.pae === true && el('pae')]),
    spec.cpu !== undefined &&
      el('cpu', { mode: spec.cpu.mode }, [
        spec.cpu.model !== undefined && el('model', {}, [spec.cpu.model]),
        spec.cpu.topology !== undefined &&
          el('topology', {
            sockets: positiveInt(spec.cpu.topology.sockets, 'sockets'),
            dies: spec.cpu.topology.dies,
            cores: positiveInt(spec.cpu.topology.cores, 'cores'),
            threads: positiveInt(spec.cpu.topology.threads, 'threads'),
          }),
        spec.cpu.numa !== undefined &&
          el('numa', {}, spec.cpu.numa.map((c) => el('cell', { id: positiveInt(c.id, 'cell id'), cpus: c.cpus, memory: positiveInt(c.memoryKiB, 'cell memory'), unit: 'KiB' }))),
      ]),
    spec.onPoweroff !== undefined && el('on_poweroff', {}, [spec.onPoweroff]),
    spec.onReboot !== undefined && el('on_reboot', {}, [spec.onReboot]),
    spec.onCrash !== undefined && el('on_crash', {}, [spec.onCrash]),
    el('devices', {}, [
      d.emulator !== undefined && el('emulator', {}, [d.emulator]),
      ...(d.disks ?? []).map(diskElement),
      ...(d.interfaces ?? []).map(interfaceElement),
      ...(d.serials ?? []).map(serialElement),
      ...(d.consoles ?? []).map(consoleElement),
      d.graphics !== undefined &&
        el('graphics', {
          type: 'vnc',
          port: d.graphics.port,
          autoport: yesNo(d.graphics.autoport),
          listen: d.graphics.listen,
        }),
      d.watchdog !== undefined && el('watchdog', { model: d.watchdog.model, action: d.watchdog.action }),
      d.rng !== undefined && el('rng', { model: d.rng.model }, [el('backend', { model: 'random' }, [d.rng.backend])]),
      d.memballoon !== undefined && el('memballoon', { model: d.memballoon }),
    ]),
  ]);
}

/** The domain's XML document; throws ERR_LIBVIRT_XML for values XML cannot carry. */
export function domainXml(spec: DomainSpec): string {
  return serialize(domainElement(spec)) + '\n';
}

export function diskXml(d: DiskSpec): string {
  return serialize(diskElement(d));
}

export function interfaceXml(i: InterfaceSpec): string {
  return serialize(interfaceElement(i));
}
