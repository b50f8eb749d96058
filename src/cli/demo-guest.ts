/**
 * The libvirt part of `tstack-host demo`: when libvirtd answers on qemu:///system, boots the tiny
 * test guest (Debian cloud kernel + busybox initramfs, built offline by
 * scripts/build-test-guest.sh) under TCG, shows its lifecycle events and console marker, and shuts
 * it down; when libvirtd (or the addon) is not there, says so and returns.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../common/package-root.js';
import { Connection, domainBuilder, nativeAvailable, type DomainEvent, type LibvirtError } from '../../bindings/libvirt/index.js';

const run = promisify(execFile);
const URI = 'qemu:///system';
const MARKER = 'TSTACK-GUEST-READY';

async function waitForMarker(file: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fs.promises.readFile(file, 'utf8')).includes(MARKER)) return true;
    } catch {
      // the console file appears when QEMU starts
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export async function demoGuest(log: (line: string) => void): Promise<void> {
  log('libvirt: booting a tiny guest on qemu:///system');
  if (!nativeAvailable()) {
    log('  skipped: the libvirt addon is not built (apt-get install libvirt-dev; npm run build:native)');
    return;
  }
  let conn: Connection;
  try {
    conn = await Connection.open(URI);
  } catch (err) {
    log(`  skipped: libvirtd is not reachable at ${URI} (${(err as LibvirtError).message}); start it with scripts/services/start-libvirtd.sh`);
    return;
  }
  const root = packageRoot();
  const guestDir = process.env['TSTACK_TEST_GUEST_DIR'] ?? '/var/tmp/tstack-test-guest';
  const work = fs.mkdtempSync('/var/tmp/tstack-demo-');
  fs.chmodSync(work, 0o755);
  const name = `tstack-demo-${process.pid}`;
  try {
    try {
      await run('bash', [path.join(root, 'scripts/build-test-guest.sh'), guestDir], { timeout: 180_000 });
    } catch (err) {
      log(`  skipped: could not build the test guest from Debian packages (${(err as Error).message.split('\n')[0]})`);
      return;
    }
    const consoleLog = path.join(work, 'console.log');
    const spec = domainBuilder(name, 'qemu')
      .memory(128, 'MiB')
      .vcpus(1)
      .machine('pc')
      .directKernel(path.join(guestDir, 'vmlinuz'), path.join(guestDir, 'initrd.img'), 'console=ttyS0 quiet')
      .features({ acpi: true })
      .serialToFile(consoleLog)
      .build();
    const t0 = performance.now();
    const ms = (): string => `${Math.round(performance.now() - t0)} ms`;
    const sub = await conn.events.subscribe('lifecycle');
    conn.events.on('lifecycle', (ev: DomainEvent) => {
      if (ev.domain === name && ev.kind === 'lifecycle') log(`  event  ${ev.event}/${ev.detail}  (+${ms()})`);
    });
    const dom = await conn.defineDomain(spec);
    try {
      log(`  defined ${name} (TCG, 128 MiB, direct kernel boot) in ${ms()}`);
      await dom.start();
      log(`  started in ${ms()}; waiting for the guest's console marker`);
      if (await waitForMarker(consoleLog, 90_000)) log(`  guest console says ${MARKER} at +${ms()}`);
      else log('  the guest did not print its marker within 90 s');
      const info = await dom.info();
      log(`  state ${info.state}, ${info.memoryKiB / 1024} MiB, ${info.vcpus} vCPU`);
      await dom.shutdown('acpi');
      await sub.waitFor((e) => e.domain === name && e.kind === 'lifecycle' && e.event === 'stopped', 30_000).catch(async () => {
        log('  no ACPI shutdown within 30 s: destroying');
        await dom.destroy();
      });
    } finally {
      if (await dom.isActive().catch(() => false)) await dom.destroy().catch(() => undefined);
      await dom.undefine().catch(() => undefined);
      await sub.unsubscribe();
    }
    log(`  shut down and undefined after ${ms()}`);
  } finally {
    await conn.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
