/**
 * Helpers for the libvirt tests: whether the addon is built, starting libvirtd through the
 * project's scripts (and stopping it only when this run started it), the tiny test guest.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { nativeAvailable } from '../../bindings/libvirt/native.js';
import { domainBuilder, type DomainSpec } from '../../bindings/libvirt/domain-xml/index.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const libvirtNative = nativeAvailable();
export const SYSTEM_URI = 'qemu:///system';
export const GUEST_MARKER = 'TSTACK-GUEST-READY';

async function answers(): Promise<boolean> {
  try {
    await run('virsh', ['-q', '-c', SYSTEM_URI, 'version'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface LibvirtdHandle {
  available: boolean;
  /** True when this run started the daemon (then it may also restart and stop it). */
  startedHere: boolean;
  /** Stops the daemon if this handle started it. */
  stop(): Promise<void>;
  /** Stops and starts the daemon through the scripts (only when startedHere). */
  restart(): Promise<void>;
}

/** Starts libvirtd via scripts/services/start-libvirtd.sh unless it already answers. */
export async function startLibvirtd(): Promise<LibvirtdHandle> {
  const refuse = async (): Promise<void> => {
    throw new Error('libvirtd was not started by this run: not restarting it');
  };
  if (await answers()) return { available: true, startedHere: false, stop: async () => {}, restart: refuse };
  const start = async (): Promise<void> => {
    await run('bash', [path.join(ROOT, 'scripts/services/start-libvirtd.sh')], { timeout: 90_000 });
  };
  const stop = async (): Promise<void> => {
    await run('bash', [path.join(ROOT, 'scripts/services/stop-libvirtd.sh')], { timeout: 30_000 });
  };
  try {
    await start();
  } catch {
    return { available: false, startedHere: false, stop: async () => {}, restart: refuse };
  }
  return {
    available: await answers(),
    startedHere: true,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

export interface TestGuest {
  dir: string;
  kernel: string;
  initrd: string;
}

/** Builds (or reuses) the tiny guest: Debian cloud kernel + busybox initramfs. */
export async function buildTestGuest(dir = process.env['TSTACK_TEST_GUEST_DIR'] ?? '/var/tmp/tstack-test-guest'): Promise<TestGuest> {
  await run('bash', [path.join(ROOT, 'scripts/build-test-guest.sh'), dir], { timeout: 180_000 });
  return { dir, kernel: path.join(dir, 'vmlinuz'), initrd: path.join(dir, 'initrd.img') };
}

/** The tiny guest under TCG: 128 MiB, direct kernel boot, serial console to `consoleLog`. */
export function tinyGuestSpec(name: string, guest: TestGuest, consoleLog: string): DomainSpec {
  return domainBuilder(name, 'qemu')
    .memory(128, 'MiB')
    .vcpus(1)
    .machine('pc')
    .directKernel(guest.kernel, guest.initrd, 'console=ttyS0 quiet')
    .features({ acpi: true })
    .onPoweroff('destroy')
    .serialToFile(consoleLog)
    .memballoon('virtio')
    .build();
}

/** Waits until `file` contains `text` (the guest's console), polling. */
export async function waitForText(file: string, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (fs.readFileSync(file, 'utf8').includes(text)) return;
    } catch {
      // not created yet
    }
    if (Date.now() > deadline) throw new Error(`${text} did not appear in ${file} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A unique suffix so parallel runs and leftovers never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
