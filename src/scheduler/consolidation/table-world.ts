/**
 * A consolidation world over a bare HostTable: instances are numbered VMs with amounts per
 * dimension, and the only hard constraint is capacity (enabled hosts only). What the packing bench
 * runs the planner on, and what quick tests use; the scheduler's own world (with its filters,
 * NUMA/PCI fit and server groups) is scheduler-world.ts.
 *
 * The registry (which VM is on which host, with which amounts) is the caller's to keep in step with
 * the table: `add` / `remove` / `relocate` touch only the registry, the caller claims and releases
 * the table itself (as it already does when it places). Planning simulates on the table and undoes.
 */
import type { HostFilter, HostFinder } from '../hosts/filter.js';
import type { HostTable } from '../hosts/host-table.js';
import { ConsolidationRequestError } from './errors.js';
import type { ConsolidationWorld } from './world.js';

export class TableWorld implements ConsolidationWorld<number> {
  private hostOfVm = new Int32Array(64).fill(-1);
  private needs = new Float64Array(0);
  private readonly on: Set<number>[] = [];
  private readonly D: number;

  constructor(
    readonly table: HostTable,
    readonly finder: HostFinder,
  ) {
    this.D = table.dims;
    this.needs = new Float64Array(64 * this.D);
  }

  /** Records VM `vm` (a dense id ≥ 0) on `host` with `need`. */
  add(vm: number, host: number, need: ArrayLike<number>): void {
    this.ensure(vm);
    this.hostOfVm[vm] = host;
    for (let d = 0; d < this.D; d++) this.needs[vm * this.D + d] = need[d] as number;
    this.vmsOn(host).add(vm);
  }

  remove(vm: number): void {
    const h = this.hostOf(vm);
    if (h < 0) return;
    this.on[h]?.delete(vm);
    this.hostOfVm[vm] = -1;
  }

  relocate(vm: number, to: number): void {
    const h = this.hostOf(vm);
    if (h >= 0) this.on[h]?.delete(vm);
    this.hostOfVm[vm] = to;
    this.vmsOn(to).add(vm);
  }

  hostOf(vm: number): number {
    return vm < this.hostOfVm.length ? (this.hostOfVm[vm] as number) : -1;
  }

  count(host: number): number {
    return this.on[host]?.size ?? 0;
  }

  sourceEligible(host: number): boolean {
    return this.table.enabled[host] === 1 && this.count(host) > 0;
  }

  inUse(host: number): boolean {
    return this.count(host) > 0;
  }

  instances(host: number): readonly number[] {
    return [...(this.on[host] ?? [])].sort((a, b) => a - b);
  }

  need(vm: number): ArrayLike<number> {
    return this.needs.subarray(vm * this.D, vm * this.D + this.D);
  }

  label(vm: number): string {
    return `vm ${vm}`;
  }

  setDraining(): void {
    // No reserves here: the planner alone keeps draining hosts out of the destinations.
  }

  destinationFilter(): HostFilter {
    return {};
  }

  explainNoDestination(vm: number, _from: number, hosts: Int32Array): string {
    const t = this.table;
    const need = this.need(vm);
    const short = new Array<number>(this.D).fill(0);
    let disabled = 0;
    for (const h of hosts) {
      if (t.enabled[h] !== 1) {
        disabled++;
        continue;
      }
      for (let d = 0; d < this.D; d++) if ((need[d] as number) > 0 && t.free(h, d) < (need[d] as number)) short[d] = (short[d] as number) + 1;
    }
    const parts = [`${hosts.length} hosts in use and not draining`];
    if (disabled > 0) parts.push(`${disabled} disabled`);
    short.forEach((k, d) => {
      if (k > 0) parts.push(`${k} with less than ${need[d]} ${t.dimensions[d]} free`);
    });
    return parts.join('; ');
  }

  apply(vm: number, from: number, to: number): () => void {
    const need = this.need(vm);
    this.table.release(from, need);
    this.table.claim(to, need);
    return () => {
      this.table.release(to, need);
      this.table.claim(from, need);
    };
  }

  private vmsOn(host: number): Set<number> {
    let s = this.on[host];
    if (s === undefined) {
      s = new Set();
      this.on[host] = s;
    }
    return s;
  }

  private ensure(vm: number): void {
    if (!Number.isInteger(vm) || vm < 0) throw new ConsolidationRequestError(`vm id ${vm} is not a dense id`);
    if (vm < this.hostOfVm.length) return;
    let room = this.hostOfVm.length;
    while (room <= vm) room *= 2;
    const h = new Int32Array(room).fill(-1);
    h.set(this.hostOfVm);
    this.hostOfVm = h;
    const n = new Float64Array(room * this.D);
    n.set(this.needs);
    this.needs = n;
  }
}
