/**
 * Per-host facts the filters read that the HostTable does not hold, as struct-of-arrays over the
 * same dense host ids:
 * - down[h]          1 when the host's compute service does not report (Nova's "service is down");
 * - maintenance[h]   1 while an operator has the host in maintenance (no new guests);
 * - architectures[h] bit set of the CPU architectures the host runs guests of (ids of `architectureNames`);
 * - hypervisorType[h] id of the host's hypervisor type (−1: unknown);
 * - machineTypes[h]  bit set of the guest machine types the host offers (e.g. q35, pc, virt);
 * - reserveVcpu[h], reserveMemoryMb[h]  what the host keeps for Ceph OSDs and platform services
 *   (HyperConvergedReserveFilter, and the spare capacity of HaReserveFilter).
 *
 * Names (architectures, hypervisor types, machine types) are interned to small ids: at most 32
 * architectures and 32 machine types (one Uint32 bit set each per host). Hosts past the arrays'
 * length read as up, not in maintenance, with no image support recorded and no reserve, so the state
 * may lag behind the table; the arrays grow by doubling when a larger host id is written.
 */
import { SchedulerFilterError } from './errors.js';

/** Names interned to dense ids, in order of first use. */
export class Vocabulary {
  private readonly ids = new Map<string, number>();
  private readonly list: string[] = [];

  constructor(
    readonly what: string,
    readonly limit: number,
  ) {}

  /** Id of `name`, interning it when new; SchedulerFilterError past the limit. */
  intern(name: string): number {
    const id = this.ids.get(name);
    if (id !== undefined) return id;
    if (this.list.length >= this.limit) throw new SchedulerFilterError(`at most ${this.limit} ${this.what}s, cannot add ${name}`);
    this.ids.set(name, this.list.length);
    this.list.push(name);
    return this.list.length - 1;
  }

  /** Id of `name`, or −1 when no host has it. */
  id(name: string): number {
    return this.ids.get(name) ?? -1;
  }

  name(id: number): string {
    return this.list[id] ?? `${this.what} #${id}`;
  }

  /** Names of the bits set in `bits`, comma separated ('none' when empty). */
  names(bits: number): string {
    const out: string[] = [];
    for (let i = 0; i < this.list.length; i++) if ((bits & (1 << i)) !== 0) out.push(this.list[i] as string);
    return out.length === 0 ? 'none' : out.join(', ');
  }
}

/** What a host can run, by name (HostState.setImageSupport). */
export interface HostImageSupport {
  readonly architectures?: readonly string[];
  readonly hypervisorType?: string;
  readonly machineTypes?: readonly string[];
}

function growU8(a: Uint8Array, room: number): Uint8Array {
  const b = new Uint8Array(room);
  b.set(a);
  return b;
}

export class HostState {
  down: Uint8Array;
  maintenance: Uint8Array;
  architectures: Uint32Array;
  hypervisorType: Int16Array;
  machineTypes: Uint32Array;
  reserveVcpu: Float64Array;
  reserveMemoryMb: Float64Array;
  readonly architectureNames = new Vocabulary('architecture', 32);
  readonly hypervisorTypeNames = new Vocabulary('hypervisor type', 0x7fff);
  readonly machineTypeNames = new Vocabulary('machine type', 32);
  private room: number;

  constructor(initialHosts = 16) {
    this.room = Math.max(16, initialHosts);
    this.down = new Uint8Array(this.room);
    this.maintenance = new Uint8Array(this.room);
    this.architectures = new Uint32Array(this.room);
    this.hypervisorType = new Int16Array(this.room).fill(-1);
    this.machineTypes = new Uint32Array(this.room);
    this.reserveVcpu = new Float64Array(this.room);
    this.reserveMemoryMb = new Float64Array(this.room);
  }

  /** Compute service up (reporting) or down. */
  setUp(host: number, up: boolean): void {
    this.ensure(host);
    this.down[host] = up ? 0 : 1;
  }

  isUp(host: number): boolean {
    return (this.down[host] ?? 0) === 0;
  }

  setMaintenance(host: number, on: boolean): void {
    this.ensure(host);
    this.maintenance[host] = on ? 1 : 0;
  }

  inMaintenance(host: number): boolean {
    return (this.maintenance[host] ?? 0) === 1;
  }

  /** Replaces what the host can run (names are interned; absent fields clear that fact). */
  setImageSupport(host: number, support: HostImageSupport): void {
    this.ensure(host);
    let arch = 0;
    for (const a of support.architectures ?? []) arch |= 1 << this.architectureNames.intern(a);
    let machines = 0;
    for (const m of support.machineTypes ?? []) machines |= 1 << this.machineTypeNames.intern(m);
    this.architectures[host] = arch >>> 0;
    this.machineTypes[host] = machines >>> 0;
    this.hypervisorType[host] = support.hypervisorType === undefined ? -1 : this.hypervisorTypeNames.intern(support.hypervisorType);
  }

  /** VCPU and MEMORY_MB the host keeps for Ceph OSDs and platform services (finite, ≥ 0). */
  setReserve(host: number, vcpu: number, memoryMb: number): void {
    for (const [what, v] of [
      ['VCPU', vcpu],
      ['MEMORY_MB', memoryMb],
    ] as const) {
      if (!(v >= 0) || v === Infinity) throw new SchedulerFilterError(`reserve of ${what} on host ${host} must be a finite number ≥ 0, got ${v}`);
    }
    this.ensure(host);
    this.reserveVcpu[host] = vcpu;
    this.reserveMemoryMb[host] = memoryMb;
  }

  private ensure(host: number): void {
    if (!Number.isInteger(host) || host < 0) throw new SchedulerFilterError(`host id ${host} is not a dense id`);
    if (host < this.room) return;
    let room = this.room;
    while (room <= host) room *= 2;
    this.down = growU8(this.down, room);
    this.maintenance = growU8(this.maintenance, room);
    const a = new Uint32Array(room);
    a.set(this.architectures);
    this.architectures = a;
    const h = new Int16Array(room).fill(-1);
    h.set(this.hypervisorType);
    this.hypervisorType = h;
    const m = new Uint32Array(room);
    m.set(this.machineTypes);
    this.machineTypes = m;
    const rv = new Float64Array(room);
    rv.set(this.reserveVcpu);
    this.reserveVcpu = rv;
    const rm = new Float64Array(room);
    rm.set(this.reserveMemoryMb);
    this.reserveMemoryMb = rm;
    this.room = room;
  }
}
