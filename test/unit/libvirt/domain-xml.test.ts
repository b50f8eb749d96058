import { describe, expect, it } from 'vitest';
import {
  LibvirtError, domainBuilder, domainXml, diskXml, interfaceXml, parseDomainXml, parseXml, serialize, escapeAttr, escapeText,
} from '../../../bindings/libvirt/index.js';

const LIBVIRT_OUTPUT = `<domain type='kvm' id='3'>
  <name>web-1</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <metadata>
    <tstack:instance xmlns:tstack="https://tstack.example/xmlns/instance/1">
      <tstack:flavor>m1.small</tstack:flavor>
      <tstack:project>p &amp; q</tstack:project>
    </tstack:instance>
  </metadata>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='MiB'>512</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <cputune>
    <vcpupin vcpu='0' cpuset='2'/>
    <vcpupin vcpu='1' cpuset='3'/>
    <emulatorpin cpuset='0-1'/>
  </cputune>
  <resource><partition>/machine</partition></resource>
  <os>
    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
    <kernel>/boot/vmlinuz</kernel>
    <cmdline>console=ttyS0</cmdline>
    <boot dev='hd'/>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='host-passthrough' check='none' migratable='on'>
    <topology sockets='1' dies='1' cores='2' threads='2'/>
    <numa><cell id='0' cpus='0-3' memory='1' unit='GiB'/></numa>
  </cpu>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw' cache='writeback' discard='unmap'/>
      <auth username='cinder'><secret type='ceph' uuid='1f9b8a4c-6a3b-4c5e-9d2a-0a1b2c3d4e5f'/></auth>
      <source protocol='rbd' name='volumes/volume-1'>
        <host name='10.0.0.1' port='6789'/>
        <host name='10.0.0.2'/>
      </source>
      <target dev='vda' bus='virtio'/>
      <alias name='virtio-disk0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>
    </disk>
    <controller type='usb' index='0' model='piix3-uhci'/>
    <interface type='bridge'>
      <mac address='52:54:00:aa:bb:cc'/>
      <source bridge='br-int'/>
      <virtualport type='openvswitch'>
        <parameters interfaceid='0b7e3b7e-6a39-4f4e-8f0e-1a2b3c4d5e6f'/>
      </virtualport>
      <target dev='tap0b7e3b7e-6a'/>
      <model type='virtio'/>
      <mtu size='1450'/>
    </interface>
    <serial type='pty'><source path='/dev/pts/3'/><target type='isa-serial' port='0'/></serial>
    <console type='pty' tty='/dev/pts/3'><target type='serial' port='0'/></console>
    <graphics type='vnc' port='5900' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
    <watchdog model='i6300esb' action='reset'/>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
    <memballoon model='virtio'/>
  </devices>
</domain>`;

describe('domain XML writer', () => {
  it('escapes names, text and attributes so that no value can inject XML', () => {
    const name = `a<b>&"c'</name><evil/>`;
    const xml = domainXml({ type: 'kvm', name, memoryKiB: 1024, vcpus: 1, os: { cmdline: 'x"y\'z\tq' }, devices: { serials: [{ source: { type: 'file', path: `/tmp/"><x y="` } }] } });
    expect(xml).toContain('<name>a&lt;b&gt;&amp;"c\'&lt;/name&gt;&lt;evil/&gt;</name>');
    expect(xml).toContain('path="/tmp/&#34;&#62;&#60;x y=&#34;"');
    expect(xml).not.toContain('<evil');
    const back = parseDomainXml(xml);
    expect(back.name).toBe(name);
    expect(back.os.cmdline).toBe('x"y\'z\tq');
    expect(back.devices.serials?.[0]?.source).toEqual({ type: 'file', path: `/tmp/"><x y="` });
  });

  it('refuses characters XML cannot carry with ERR_LIBVIRT_XML', () => {
    expect(() => escapeText('a\u0000b')).toThrow(LibvirtError);
    expect(() => domainXml({ type: 'kvm', name: 'x\u0001', memoryKiB: 1, vcpus: 1, os: {}, devices: {} })).toThrowError(
      expect.objectContaining({ code: 'ERR_LIBVIRT_XML' }) as Error,
    );
    expect(() => escapeAttr('\uD800')).toThrow(/XML cannot represent/);
  });

  it('builds the tiny guest: TCG, direct kernel boot, serial to a file', () => {
    const xml = domainBuilder('g', 'qemu').memory(128, 'MiB').vcpus(1).machine('pc').directKernel('/k', '/i', 'console=ttyS0').serialToFile('/tmp/c.log').xml();
    expect(xml).toContain('<domain type="qemu">');
    expect(xml).toContain('<memory unit="KiB">131072</memory>');
    expect(xml).toContain('<kernel>/k</kernel>');
    expect(xml).toContain('<initrd>/i</initrd>');
    expect(xml).toMatch(/<serial type="file">\s*<source path="\/tmp\/c.log"\/>\s*<target port="0"\/>/);
    expect(xml).not.toContain('<graphics');
  });

  it('writes an Open vSwitch port and an RBD disk with auth and monitor hosts', () => {
    expect(interfaceXml({ type: 'bridge', bridge: 'br-int', openvswitch: { interfaceId: 'abc' }, model: 'virtio' })).toBe(
      '<interface type="bridge">\n  <source bridge="br-int"/>\n  <virtualport type="openvswitch">\n    <parameters interfaceid="abc"/>\n  </virtualport>\n  <model type="virtio"/>\n</interface>',
    );
    const disk = diskXml({ source: { type: 'network', protocol: 'rbd', name: 'vms/a', hosts: [{ name: 'm1', port: 6789 }], auth: { username: 'nova', secretUuid: 'u-1' } }, target: { dev: 'vda', bus: 'virtio' } });
    expect(disk).toContain('<auth username="nova">');
    expect(disk).toContain('<secret type="ceph" uuid="u-1"/>');
    expect(disk).toContain('<host name="m1" port="6789"/>');
  });

  it('rejects bad numbers with ERR_LIBVIRT_XML', () => {
    expect(() => domainXml({ type: 'kvm', name: 'x', memoryKiB: -1, vcpus: 1, os: {}, devices: {} })).toThrow(/non-negative integer/);
    expect(() => domainXml({ type: 'kvm', name: 'x', memoryKiB: 1.5, vcpus: 1, os: {}, devices: {} })).toThrow(LibvirtError);
  });
});

describe('domain XML parser', () => {
  it('reads what libvirt returns, ignoring what DomainSpec does not model', () => {
    const spec = parseDomainXml(LIBVIRT_OUTPUT);
    expect(spec).toMatchObject({
      type: 'kvm',
      name: 'web-1',
      memoryKiB: 1048576,
      currentMemoryKiB: 524288,
      vcpus: 2,
      maxVcpus: 4,
      cputune: { vcpupin: [{ vcpu: 0, cpuset: '2' }, { vcpu: 1, cpuset: '3' }], emulatorpin: '0-1' },
      os: { arch: 'x86_64', machine: 'pc-i440fx-7.2', kernel: '/boot/vmlinuz', cmdline: 'console=ttyS0', boot: ['hd'] },
      features: { acpi: true, apic: true },
      cpu: { mode: 'host-passthrough', topology: { sockets: 1, dies: 1, cores: 2, threads: 2 }, numa: [{ id: 0, cpus: '0-3', memoryKiB: 1048576 }] },
      onPoweroff: 'destroy',
      metadata: { prefix: 'tstack', element: 'instance', uri: 'https://tstack.example/xmlns/instance/1', fields: { flavor: 'm1.small', project: 'p & q' } },
    });
    expect(spec.devices.disks).toEqual([
      {
        device: 'disk',
        source: { type: 'network', protocol: 'rbd', name: 'volumes/volume-1', hosts: [{ name: '10.0.0.1', port: 6789 }, { name: '10.0.0.2' }], auth: { username: 'cinder', secretUuid: '1f9b8a4c-6a3b-4c5e-9d2a-0a1b2c3d4e5f' } },
        target: { dev: 'vda', bus: 'virtio' },
        driver: { type: 'raw', cache: 'writeback', discard: 'unmap' },
      },
    ]);
    expect(spec.devices.interfaces).toEqual([
      { type: 'bridge', bridge: 'br-int', openvswitch: { interfaceId: '0b7e3b7e-6a39-4f4e-8f0e-1a2b3c4d5e6f' }, mac: '52:54:00:aa:bb:cc', model: 'virtio', targetDev: 'tap0b7e3b7e-6a', mtu: 1450 },
    ]);
    expect(spec.devices.graphics).toEqual({ type: 'vnc', port: 5900, autoport: true, listen: '127.0.0.1' });
    expect(spec.devices.watchdog).toEqual({ model: 'i6300esb', action: 'reset' });
    expect(spec.devices.rng).toEqual({ model: 'virtio', backend: '/dev/urandom' });
    expect(spec.devices.consoles).toEqual([{ source: { type: 'pty' }, targetType: 'serial' }]);
  });

  it('handles CDATA, comments, character references and the XML declaration', () => {
    const root = parseXml(`<?xml version="1.0"?><!-- c --><a x='&#x3c;&#60;&apos;'><![CDATA[<not a tag> & ]]>t&#233;</a>`);
    expect(root).toEqual({ name: 'a', attrs: { x: "<<'" }, children: ['<not a tag> & té'] });
    expect(serialize(root)).toBe('<a x="&#60;&#60;&#39;">&lt;not a tag&gt; &amp; té</a>');
  });

  it('rejects malformed documents with typed errors', () => {
    for (const bad of ['', '<a>', '<a></b>', '<a x=1/>', '<a x="1" x="2"/>', '<a>&bogus;</a>', '<a>&#0;</a>', '<!DOCTYPE a><a/>', '<a/><b/>', 'text', '<a><b></a></b>', '<domain type="xen"><name>x</name></domain>', '<network/>']) {
      expect(() => parseDomainXml(bad), bad).toThrowError(expect.objectContaining({ code: 'ERR_LIBVIRT_XML' }) as Error);
    }
  });

  it('converts memory units to KiB', () => {
    const xml = (unit: string, v: number) => `<domain type="kvm"><name>x</name><memory unit="${unit}">${v}</memory><vcpu>1</vcpu><os/><devices/></domain>`;
    expect(parseDomainXml(xml('MiB', 2)).memoryKiB).toBe(2048);
    expect(parseDomainXml(xml('GiB', 1)).memoryKiB).toBe(1048576);
    expect(parseDomainXml(xml('bytes', 4096)).memoryKiB).toBe(4);
    expect(() => parseDomainXml(xml('parsecs', 1))).toThrow(/unknown unit/);
  });
});
