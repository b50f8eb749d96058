/** fast-check generators of DomainSpec values, shared by the libvirt property tests. */
import fc from 'fast-check';
import type { DiskSpec, DomainSpec, InterfaceSpec } from '../../../bindings/libvirt/domain-xml/index.js';
import { isXmlSafe } from '../../../bindings/libvirt/domain-xml/index.js';

/** Any string XML can carry, with the characters that would inject markup made likely. */
export const xmlString = (min = 0): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: min, maxLength: 24 }),
      fc.string({ unit: fc.constantFrom('<', '>', '&', '"', "'", ']]>', '&amp;', '\t', '\n', '\r', ' ', 'a', 'é', '😀', '-->'), minLength: min, maxLength: 12 }),
    )
    .filter((s) => isXmlSafe(s) && s.length >= min);

/** A name libvirt accepts: no '/', not blank, no leading/trailing space, XML-injecting chars welcome. */
export const domainName = fc
  .string({ unit: fc.constantFrom('a', 'b', 'z', '0', '-', '_', '.', '<', '>', '&', '"', "'", 'é', ' ', '😀'), minLength: 1, maxLength: 20 })
  .filter((s) => s.trim() === s && s.length > 0 && !s.startsWith('.'));

const xmlName = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const mac = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 5, maxLength: 5 }).map((b) => ['52', ...b.map((x) => x.toString(16).padStart(2, '0'))].join(':'));
const path = (s: fc.Arbitrary<string>): fc.Arbitrary<string> => s.map((x) => `/var/lib/tstack/${x}`);

export function diskArb(str: fc.Arbitrary<string>, dev: string): fc.Arbitrary<DiskSpec> {
  const source: fc.Arbitrary<DiskSpec['source']> = fc.oneof(
    path(str).map((file) => ({ type: 'file' as const, file })),
    path(str).map((d) => ({ type: 'block' as const, dev: d })),
    fc.record(
      {
        type: fc.constant('network' as const),
        protocol: fc.constant('rbd' as const),
        name: str.map((s) => `volumes/${s}`),
        hosts: fc.array(fc.record({ name: fc.constantFrom('127.0.0.1', 'mon-a', '10.0.0.2'), port: fc.integer({ min: 1, max: 65535 }) }, { requiredKeys: ['name'] }), { minLength: 1, maxLength: 3 }),
        auth: fc.oneof(
          fc.record({ username: fc.stringMatching(/^[a-z]{1,8}$/), secretUuid: fc.uuid() }),
          fc.record({ username: fc.stringMatching(/^[a-z]{1,8}$/), secretUsage: str.map((s) => `client.${s} secret`) }),
        ),
      },
      { requiredKeys: ['type', 'protocol', 'name', 'hosts'] },
    ),
  );
  return fc.record(
    {
      device: fc.constant('disk' as const),
      source,
      target: fc.constant({ dev, bus: 'virtio' as const }),
      driver: fc.record({ type: fc.constantFrom('raw' as const, 'qcow2' as const), cache: fc.constantFrom('none' as const, 'writeback' as const), io: fc.constantFrom('native' as const, 'threads' as const), discard: fc.constantFrom('unmap' as const, 'ignore' as const) }, { requiredKeys: ['type'] }),
      readonly: fc.constant(true as const),
      serial: fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
    },
    { requiredKeys: ['source', 'target'] },
  );
}

function interfaceArb(str: fc.Arbitrary<string>): fc.Arbitrary<InterfaceSpec> {
  const model = fc.constantFrom('virtio' as const, 'e1000' as const, 'rtl8139' as const);
  return fc.oneof(
    fc.record(
      {
        type: fc.constant('bridge' as const),
        bridge: fc.stringMatching(/^br-[a-z0-9]{1,8}$/),
        openvswitch: fc.record({ interfaceId: fc.uuid() }, { requiredKeys: [] }),
        mac,
        model,
        targetDev: fc.stringMatching(/^tap[a-z0-9]{1,8}$/),
        mtu: fc.integer({ min: 576, max: 9000 }),
      },
      { requiredKeys: ['type', 'bridge'] },
    ),
    fc.record({ type: fc.constant('network' as const), network: str.filter((s) => s.length > 0), mac, model }, { requiredKeys: ['type', 'network'] }),
    fc.record({ type: fc.constant('user' as const), mac, model }, { requiredKeys: ['type'] }),
  );
}

/**
 * DomainSpecs. With `strict`, only what libvirt itself accepts (the test driver defines every
 * one): consistent NUMA cells and pinning, plausible names; otherwise any XML-safe strings.
 */
export function domainSpecArb(strict: boolean): fc.Arbitrary<DomainSpec> {
  const str = strict ? fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/) : xmlString();
  const free = strict ? xmlString().map((s) => s.replace(/[\r\t]/g, ' ')) : xmlString();
  return fc
    .record({
      vcpus: fc.integer({ min: 1, max: 4 }),
      extraVcpus: fc.integer({ min: 0, max: 4 }),
      memMiB: fc.integer({ min: 64, max: 4096 }),
      cells: fc.integer({ min: 1, max: 2 }),
    })
    .chain(({ vcpus, extraVcpus, memMiB, cells }) => {
      const maxV = vcpus + extraVcpus;
      const nCells = Math.min(cells, maxV);
      const per = Math.floor(maxV / nCells);
      const numa = Array.from({ length: nCells }, (_, id) => {
        const lo = id * per;
        const hi = id === nCells - 1 ? maxV - 1 : lo + per - 1;
        return { id, cpus: lo === hi ? `${lo}` : `${lo}-${hi}`, memoryKiB: ((memMiB * 1024) / nCells) | 0 };
      });
      const memoryKiB = numa.reduce((a, c) => a + c.memoryKiB, 0);
      const disks = fc.integer({ min: 0, max: 3 }).chain((n) => (n === 0 ? fc.constant(undefined) : fc.tuple(...Array.from({ length: n }, (_, i) => diskArb(str, `vd${String.fromCharCode(97 + i)}`)))));
      return fc.record(
        {
          type: fc.constantFrom('kvm' as const, 'qemu' as const),
          name: strict ? domainName : xmlString(1),
          uuid: fc.uuid(),
          title: free.map((s) => s.replace(/\n/g, ' ')),
          description: free,
          memoryKiB: fc.constant(memoryKiB),
          currentMemoryKiB: fc.integer({ min: 32 * 1024, max: memoryKiB }),
          vcpus: fc.constant(vcpus),
          maxVcpus: fc.constant(maxV),
          os: fc.record(
            {
              arch: fc.constant('x86_64'),
              machine: fc.constantFrom('pc', 'q35'),
              firmware: fc.constant('bios' as const),
              kernel: path(str),
              initrd: path(str),
              cmdline: strict ? fc.stringMatching(/^[a-z0-9=_ .]{0,24}$/) : free,
              boot: fc.array(fc.constantFrom('hd' as const, 'cdrom' as const, 'network' as const), { minLength: 1, maxLength: 2 }),
            },
            { requiredKeys: [] },
          ),
          features: fc.record({ acpi: fc.constant(true as const), apic: fc.constant(true as const), pae: fc.constant(true as const) }, { requiredKeys: [] }),
          cpu: fc.record(
            {
              mode: fc.constantFrom('host-passthrough' as const, 'host-model' as const, 'maximum' as const),
              topology: fc.constant({ sockets: 1, cores: maxV, threads: 1 }),
              numa: fc.constant(numa),
            },
            { requiredKeys: ['mode'] },
          ),
          cputune: fc.record(
            {
              vcpupin: fc.uniqueArray(fc.integer({ min: 0, max: vcpus - 1 }), { minLength: 1, maxLength: vcpus }).map((vs) => vs.map((vcpu) => ({ vcpu, cpuset: `${vcpu % 4}` }))),
              emulatorpin: fc.constantFrom('0', '0-1', '2,3'),
            },
            { requiredKeys: [] },
          ),
          memoryBacking: fc.record({ hugepages: fc.array(fc.record({ sizeKiB: fc.constant(2048) }), { maxLength: 1 }), locked: fc.constant(true as const) }, { requiredKeys: [] }),
          onPoweroff: fc.constantFrom('destroy' as const, 'restart' as const),
          onReboot: fc.constantFrom('destroy' as const, 'restart' as const),
          onCrash: fc.constantFrom('destroy' as const, 'restart' as const, 'preserve' as const),
          devices: fc.record(
            {
              disks,
              interfaces: fc.array(interfaceArb(str), { minLength: 1, maxLength: 2 }),
              serials: fc.array(fc.oneof(fc.constant({ source: { type: 'pty' as const }, port: 0 }), path(str).map((p) => ({ source: { type: 'file' as const, path: p }, port: 0 }))), { minLength: 1, maxLength: 1 }),
              consoles: fc.constant([{ source: { type: 'pty' as const }, targetType: 'serial' as const }]),
              graphics: fc.record({ type: fc.constant('vnc' as const), listen: fc.constant('127.0.0.1'), port: fc.integer({ min: 5900, max: 65535 }), autoport: fc.constant(false) }, { requiredKeys: ['type'] }),
              watchdog: fc.record({ model: fc.constantFrom('i6300esb' as const, 'ib700' as const), action: fc.constantFrom('reset' as const, 'poweroff' as const, 'none' as const) }),
              rng: fc.constant({ model: 'virtio' as const, backend: '/dev/urandom' }),
              memballoon: fc.constantFrom('virtio' as const, 'none' as const),
            },
            { requiredKeys: [] },
          ),
          metadata: fc.record({
            uri: fc.constant('https://tstack.example/xmlns/instance/1'),
            prefix: fc.constant('tstack'),
            element: fc.constant('instance'),
            fields: fc.dictionary(xmlName, free, { maxKeys: 3 }),
          }),
        },
        { requiredKeys: ['type', 'name', 'memoryKiB', 'vcpus', 'os', 'devices'] },
      );
    })
    .map((generated) => {
      const spec = structuredClone(generated) as unknown as DomainSpec;
      // A fixed vcpu count with a NUMA topology must match the topology; keep them consistent.
      if (spec.cpu?.topology !== undefined && spec.maxVcpus === undefined) spec.cpu.topology.cores = spec.vcpus;
      if (spec.cpu?.numa !== undefined && spec.maxVcpus === undefined) delete spec.cpu.numa;
      if (spec.devices.disks === undefined) delete spec.devices.disks;
      return spec;
    });
}
