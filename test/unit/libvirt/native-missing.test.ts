import { afterEach, describe, expect, it, vi } from 'vitest';

describe('libvirt addon missing', () => {
  afterEach(() => {
    delete process.env['TSTACK_LIBVIRT_ADDON_DIR'];
    vi.resetModules();
  });

  it('imports fine and fails at first use with ERR_LIBVIRT_NATIVE_UNAVAILABLE naming libvirt-dev', async () => {
    process.env['TSTACK_LIBVIRT_ADDON_DIR'] = '/nonexistent/tstack-libvirt-addon';
    vi.resetModules();
    const lv = await import('../../../bindings/libvirt/index.js');
    // The pure-TypeScript parts keep working.
    expect(lv.domainXml({ type: 'kvm', name: 'x', memoryKiB: 1024, vcpus: 1, os: {}, devices: {} })).toContain('<name>x</name>');
    expect(lv.nativeAvailable()).toBe(false);
    const err = await lv.Connection.open('test:///default').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(lv.LibvirtError);
    expect(err).toMatchObject({ code: 'ERR_LIBVIRT_NATIVE_UNAVAILABLE' });
    expect((err as Error).message).toContain('libvirt-dev');
  });
});
