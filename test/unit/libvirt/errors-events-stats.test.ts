import { describe, expect, it } from 'vitest';
import { LibvirtError, fromNative, libvirtErrorName, migrateFlags, migrateParams, toDomainEvent, toStatsRecord, Migrate } from '../../../bindings/libvirt/index.js';

describe('libvirt error mapping', () => {
  it('maps a native libvirt error to LibvirtError with name, domain and level', () => {
    const native = Object.assign(new Error('Domain not found'), { libvirtCode: 42, libvirtDomain: 10, libvirtLevel: 2 });
    const e = fromNative(native, 'connection.domainByName');
    expect(e).toBeInstanceOf(LibvirtError);
    expect(e).toMatchObject({ code: 'ERR_LIBVIRT', libvirtCode: 42, libvirtName: 'NO_DOMAIN', domain: 10, domainName: 'QEMU', level: 'error' });
    expect(e.message).toBe('connection.domainByName: Domain not found (NO_DOMAIN)');
    expect(e.cause).toBe(native);
    expect(e.is('NO_DOMAIN')).toBe(true);
  });

  it('maps closed handles, bad arguments and unknown codes', () => {
    expect(fromNative(Object.assign(new Error('domain is closed'), { tstackCode: 'ERR_LIBVIRT_CLOSED' }), 'x').code).toBe('ERR_LIBVIRT_CLOSED');
    expect(fromNative(new TypeError('argument 0 must be a string'), 'x').code).toBe('ERR_LIBVIRT_INVALID_ARGUMENT');
    expect(fromNative('weird', 'x').code).toBe('ERR_LIBVIRT_NATIVE');
    expect(libvirtErrorName(99999)).toBe('UNKNOWN_99999');
    expect(libvirtErrorName(1)).toBe('INTERNAL_ERROR');
  });
});

describe('libvirt event mapping', () => {
  it('names lifecycle events and details', () => {
    expect(toDomainEvent('lifecycle', { eventId: 0, domain: 'd', uuid: 'u', event: 5, detail: 1 })).toEqual({
      kind: 'lifecycle', domain: 'd', uuid: 'u', event: 'stopped', detail: 'destroyed', eventCode: 5, detailCode: 1,
    });
    expect(toDomainEvent('lifecycle', { eventId: 0, domain: 'd', uuid: 'u', event: 2, detail: 99 })).toMatchObject({ event: 'started', detail: 'detail_99' });
    expect(toDomainEvent('device-added', { eventId: 19, domain: 'd', uuid: 'u', devAlias: 'virtio-disk1' })).toEqual({ kind: 'device-added', domain: 'd', uuid: 'u', devAlias: 'virtio-disk1' });
    expect(toDomainEvent('balloon-change', { eventId: 13, domain: 'd', uuid: 'u', actualKiB: 98304 })).toMatchObject({ actualKiB: 98304 });
  });
});

describe('domain stats records', () => {
  it('groups flat typed parameters into typed sections', () => {
    const r = toStatsRecord({
      name: 'vm',
      uuid: 'u',
      params: {
        'state.state': 1, 'state.reason': 1, 'cpu.time': 5, 'balloon.current': 131072, 'balloon.maximum': 131072,
        'vcpu.current': 1, 'vcpu.maximum': 2, 'vcpu.0.state': 1, 'vcpu.0.time': 7,
        'block.count': 1, 'block.0.name': 'vda', 'block.0.rd.bytes': 512, 'block.0.capacity': 1024,
        'net.count': 1, 'net.0.name': 'tap0', 'net.0.rx.bytes': 10,
      },
    });
    expect(r.state).toEqual({ state: 'running', reason: 1 });
    expect(r.cpu).toEqual({ timeNs: 5 });
    expect(r.balloon).toEqual({ currentKiB: 131072, maximumKiB: 131072 });
    expect(r.vcpu).toEqual({ current: 1, maximum: 2, perVcpu: [{ state: 1, timeNs: 7 }] });
    expect(r.block).toEqual([{ name: 'vda', rdBytes: 512, capacity: 1024 }]);
    expect(r.interfaces).toEqual([{ name: 'tap0', rxBytes: 10 }]);
  });
});

describe('migration parameters', () => {
  it('builds flags and typed parameters for migrateToURI3', () => {
    expect(migrateFlags({ live: true, peer2peer: true, persistDest: true, undefineSource: true })).toBe(Migrate.LIVE | Migrate.PEER2PEER | Migrate.PERSIST_DEST | Migrate.UNDEFINE_SOURCE);
    expect(migrateParams({ uri: 'tcp://10.0.0.2', bandwidthMiBs: 100, migrateDisks: ['vda', 'vdb'] })).toEqual([
      { name: 'migrate_uri', type: 'string', value: 'tcp://10.0.0.2' },
      { name: 'bandwidth', type: 'ullong', value: 100 },
      { name: 'migrate_disks', type: 'string', value: 'vda' },
      { name: 'migrate_disks', type: 'string', value: 'vdb' },
    ]);
  });
});
