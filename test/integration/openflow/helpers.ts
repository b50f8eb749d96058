/** Shared setup for the OpenFlow integration tests: bridges on a private OVS, packets, waits. */
import type { OvsInstance } from '../../support/ovs.js';

/** A bridge on the dummy datapath speaking only OpenFlow 1.3, with dummy ports p1..pN at ofport 1..N. */
export async function addBridge(ovs: OvsInstance, name: string, controller: string, ports = 2): Promise<void> {
  const args = ['add-br', name, '--', 'set', 'bridge', name, 'datapath_type=dummy', 'protocols=OpenFlow13', 'fail_mode=secure', '--', 'set-controller', name, controller];
  for (let i = 1; i <= ports; i++) args.push('--', 'add-port', name, `${name}p${i}`, '--', 'set', 'interface', `${name}p${i}`, 'type=dummy', `ofport_request=${i}`);
  await ovs.vsctl(...args);
}

/** Bytes of an Ethernet + IPv4 + UDP packet (checksums zero: OVS does not check them). */
export function udpPacket(src: string, dst: string, sport: number, dport: number, payload = 'tstack'): Uint8Array {
  const data = new TextEncoder().encode(payload);
  const b = new Uint8Array(14 + 20 + 8 + data.length);
  b.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
  const ip = 14;
  const total = 20 + 8 + data.length;
  b.set([0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0], ip);
  b.set(src.split('.').map(Number), ip + 12);
  b.set(dst.split('.').map(Number), ip + 16);
  const udp = ip + 20;
  b.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, (8 + data.length) >> 8, (8 + data.length) & 0xff, 0, 0], udp);
  b.set(data, udp + 8);
  return b;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Polls `probe` until it returns a value other than undefined (the daemon is asked, not slept on). */
export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
