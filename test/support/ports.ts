/**
 * Loopback ports for services the tests start. Vitest runs test files in parallel workers, so each
 * worker gets its own block inside each service's range; all ranges sit below the kernel's ephemeral
 * range (32768+) so that no outgoing connection can hold one.
 *
 *   service      base    use
 *   ovs          26000   ovsdb-server TCP, OpenFlow listeners and controllers
 *   ipmi         26400   ipmi_sim LAN ports
 *   ceph         26800   monitor (v1/v2), OSD bind range
 *   libvirt      27200   VNC/migration if ever needed
 *   placement    28778   upstream Placement (benchmarks only; scripts/services)
 *
 * Benchmarks keep out of the tests' blocks: ovsdb 26391, openflow 26370-26389, ceph 27160-27179,
 * ipmi 29000-29199 (200 simulated BMCs); each can be moved with its TSTACK_BENCH_* variable.
 */
export type ServiceName = 'ovs' | 'ipmi' | 'ceph' | 'libvirt';

const BASE: Record<ServiceName, number> = { ovs: 26000, ipmi: 26400, ceph: 26800, libvirt: 27200 };
/** Ports in one worker's block. */
export const BLOCK = 40;

/**
 * The worker's slot, 1..9: vitest's pool id, shifted by TSTACK_PORT_SLOT so that two vitest runs on
 * one machine (two people, or a test run beside a benchmark) can be kept apart.
 */
export function workerId(): number {
  const id = Number(process.env['VITEST_POOL_ID'] ?? process.env['VITEST_WORKER_ID'] ?? '1');
  const shift = Number(process.env['TSTACK_PORT_SLOT'] ?? '0');
  const base = Number.isInteger(id) && id > 0 ? id - 1 : 0;
  return ((base + (Number.isInteger(shift) && shift > 0 ? shift : 0)) % 9) + 1;
}

/** The `index`-th port (0 ≤ index < BLOCK) of this worker's block for `service`. */
export function servicePort(service: ServiceName, index = 0): number {
  if (!Number.isInteger(index) || index < 0 || index >= BLOCK) throw new RangeError(`port index ${index} outside 0..${BLOCK - 1}`);
  return BASE[service] + (workerId() - 1) * BLOCK + index;
}
