/**
 * Per-host NUMA cells and PCI device pools, and the fit of a guest's NUMA topology and PCI requests
 * onto them, kept beside the HostTable over the same dense host ids.
 *
 * Two forms of each host:
 * - the full HostNumaTopology and PciPool list (what fitGuestToHost / applyFit work on, and what a
 *   claim changes);
 * - per cell, the counters the fit's yes/no depends on, in one Float64Array: shared CPUs and their
 *   limit and use, small-page memory limit and use, dedicated CPUs, free dedicated CPUs, fully free
 *   cores, threads on fully free cores with siblings, and per hugepage size the free pages; per pool,
 *   interned vendor / product / physnet ids, NUMA cell and free devices, in an Int32Array.
 *
 * `fits(host, plan)` decides from the counters alone, allocating nothing: the scheduler's capacity
 * index calls it on every host it reaches. Its answer equals "claim() would succeed" (a property
 * test holds them to it): both run the same search, an assignment of guest cells to distinct host
 * cells (first in host-cell order, as fitGuestToHost) on which every guest cell fits (fitGuestToHost's
 * per-cell rules) and every PCI request can be served from pools on those cells under its policy
 * (requests served in order, each from pools in pool order; `preferred` is tried affine first, then
 * anywhere). claim() then runs fitGuestToHost on the chosen cells for the pinning and page sizes,
 * applies it and takes the devices; release() gives both back. No pCPU is pinned twice and no
 * hugepage pool runs over: applyFit refuses both, and the counters are rebuilt from the topology
 * after every change.
 *
 * Deviation from Nova: PCI requests are served greedily in order (Nova runs the same greedy walk
 * over its pools), so two requests that could share pools only one way round may be refused.
 */
import { applyFit, dedicatedCores, dedicatedCount, fitGuestToHost, releaseFit } from '../numa/fit.js';
import { SMALL_PAGE_KB, type GuestNumaTopology, type HostNumaCell, type HostNumaTopology, type NumaFit } from '../numa/types.js';
import { SchedulerTopologyError } from './errors.js';
import type { PciClaim, PciPool, PciRequest } from './types.js';
import { intern } from '../intern.js';

/** Fields per host cell in `cells`. */
const F = 19;
const HP = 4; // hugepage sizes per cell
const C_ID = 0;
const C_SHARED = 1;
const C_SHARED_LIMIT = 2;
const C_SHARED_USED = 3;
const C_MEM_LIMIT = 4;
const C_MEM_USED = 5;
const C_PCPUS = 6;
const C_PCPU_FREE = 7;
const C_WHOLE_CORES = 8;
const C_WHOLE_SMT_THREADS = 9;
const C_HAS_SMT = 10;
const C_HP = 11; // HP × (size KiB, free pages)

/** Fields per pool in `pools`. */
const P = 5;

/** Guest cell fields in a plan. */
const G = 6;
const POLICY = { prefer: 0, require: 1, isolate: 2 } as const;
const PAGE_SMALL = 0;
const PAGE_LARGE = -1;
const PAGE_ANY = -2;
const NUMA_REQUIRED = 0;
const NUMA_LEGACY = 1;
const NUMA_PREFERRED = 2;

/** A request compiled once for fits(): typed arrays only. */
export interface TopologyPlan {
  /** Guest cells (0: the guest has no NUMA topology). */
  readonly cellCount: number;
  /** Per guest cell: shared vCPUs, dedicated vCPUs, thread policy, memory MiB, page request (KiB, or PAGE_*), unused. */
  readonly cells: Float64Array;
  readonly pciCount: number;
  /** Per PCI request: vendor id, product id, physnet id (−1: any), count, policy. */
  readonly pci: Int32Array;
  /** True when some PCI request names a vendor/product/physnet no host has ever had: nothing fits. */
  readonly impossible: boolean;
  readonly guest: GuestNumaTopology | undefined;
  readonly pciRequests: readonly PciRequest[];
}

/** What a claim took on a host (to give it back). */
export interface TopologyClaim {
  readonly host: number;
  readonly guest: GuestNumaTopology | undefined;
  readonly fit: NumaFit | undefined;
  readonly pci: readonly PciClaim[];
}

export const NO_TOPOLOGY_PLAN: TopologyPlan = Object.freeze({
  cellCount: 0,
  cells: new Float64Array(0),
  pciCount: 0,
  pci: new Int32Array(0),
  impossible: false,
  guest: undefined,
  pciRequests: [],
});

function growF64(a: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(size);
  b.set(a.subarray(0, Math.min(a.length, size)));
  return b;
}

function growI32(a: Int32Array, size: number, fill = 0): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size).fill(fill);
  b.set(a.subarray(0, Math.min(a.length, size)));
  return b;
}

export class HostTopologies {
  private topo: (HostNumaTopology | undefined)[] = [];
  private poolList: (readonly PciPool[] | undefined)[] = [];
  private poolUsed: (Int32Array | undefined)[] = [];
  /** First cell record of a host (−1: no NUMA topology), and its number of cells. */
  private cellBase = new Int32Array(16).fill(-1);
  private cellCount = new Int32Array(16);
  private cells = new Float64Array(16 * F);
  private cellsEnd = 0;
  private poolBase = new Int32Array(16).fill(-1);
  private poolCount = new Int32Array(16);
  private pools = new Int32Array(16 * P);
  private poolsEnd = 0;
  private readonly names = new Map<string, number>();
  /** Scratch of the search: host cell per guest cell, and free devices per pool. */
  private assign = new Int32Array(8);
  private free = new Int32Array(8);
  private hostsWithNuma = 0;

  /** Hosts with a NUMA topology. */
  get numaHosts(): number {
    return this.hostsWithNuma;
  }

  /** The host's NUMA topology with its current usage, or undefined. */
  numa(host: number): HostNumaTopology | undefined {
    return this.topo[host];
  }

  /** The host's device pools and how many of each are in use. */
  devices(host: number): { readonly pools: readonly PciPool[]; readonly used: readonly number[] } {
    return { pools: this.poolList[host] ?? [], used: [...(this.poolUsed[host] ?? [])] };
  }

  /**
   * Sets (replaces) a host's NUMA topology, usage included (undefined: the host has none). Throws
   * SchedulerTopologyError for a cell with more than 4 hugepage sizes or more than 31 cells.
   */
  setNuma(host: number, topology: HostNumaTopology | undefined): void {
    this.checkHost(host);
    if (topology !== undefined) {
      if (topology.cells.length > 31) throw new SchedulerTopologyError(`host ${host}: at most 31 NUMA cells, got ${topology.cells.length}`);
      for (const c of topology.cells) if (c.hugepages.length > HP) throw new SchedulerTopologyError(`host ${host} cell ${c.id}: at most ${HP} hugepage sizes`);
    }
    this.ensureHost(host);
    if ((this.topo[host] === undefined) !== (topology === undefined)) this.hostsWithNuma += topology === undefined ? -1 : 1;
    this.topo[host] = topology;
    this.writeCells(host);
  }

  /** Sets (replaces) a host's PCI device pools, none in use. */
  setPools(host: number, pools: readonly PciPool[]): void {
    this.checkHost(host);
    for (const p of pools) {
      if (!Number.isInteger(p.count) || p.count < 0) throw new SchedulerTopologyError(`host ${host}: pool count must be an integer ≥ 0, got ${p.count}`);
      if (!Number.isInteger(p.numaNode) || p.numaNode < -1) throw new SchedulerTopologyError(`host ${host}: pool NUMA node must be an integer ≥ −1, got ${p.numaNode}`);
    }
    this.ensureHost(host);
    this.poolList[host] = pools.map((p) => ({ ...p }));
    this.poolUsed[host] = new Int32Array(pools.length);
    this.writePools(host);
  }

  /** Compiles a request for fits(); SchedulerRequest-level mistakes (bad counts) throw SchedulerTopologyError. */
  plan(guest: GuestNumaTopology | undefined, pciRequests: readonly PciRequest[] = []): TopologyPlan {
    if (guest === undefined && pciRequests.length === 0) return NO_TOPOLOGY_PLAN;
    const cells = new Float64Array((guest?.cells.length ?? 0) * G);
    if (guest !== undefined) {
      if (guest.cells.length === 0) throw new SchedulerTopologyError('the guest NUMA topology has no cells');
      guest.cells.forEach((c, i) => {
        if (!Number.isInteger(c.cpus) || c.cpus < 1) throw new SchedulerTopologyError(`guest cell ${i}: cpus must be an integer ≥ 1, got ${c.cpus}`);
        if (!Number.isInteger(c.memoryMb) || c.memoryMb < 1) throw new SchedulerTopologyError(`guest cell ${i}: memoryMb must be an integer ≥ 1, got ${c.memoryMb}`);
        if (c.cpuPolicy === 'mixed' && !(Number.isInteger(c.dedicatedCpus) && (c.dedicatedCpus as number) >= 1 && (c.dedicatedCpus as number) < c.cpus)) {
          throw new SchedulerTopologyError(`guest cell ${i}: a mixed cell needs 1 ≤ dedicatedCpus < cpus (${c.cpus})`);
        }
        const p = c.pagesize ?? 'small';
        if (typeof p === 'number' && (!Number.isInteger(p) || p < SMALL_PAGE_KB)) throw new SchedulerTopologyError(`guest cell ${i}: bad page size ${p}`);
        const dedicated = dedicatedCount(c);
        cells[i * G] = c.cpus - dedicated;
        cells[i * G + 1] = dedicated;
        cells[i * G + 2] = POLICY[c.threadPolicy ?? 'prefer'];
        cells[i * G + 3] = c.memoryMb;
        cells[i * G + 4] = p === 'small' || p === SMALL_PAGE_KB ? PAGE_SMALL : p === 'large' ? PAGE_LARGE : p === 'any' ? PAGE_ANY : p;
      });
    }
    const pci = new Int32Array(pciRequests.length * 5);
    let impossible = false;
    pciRequests.forEach((r, i) => {
      if (!Number.isInteger(r.count) || r.count < 1) throw new SchedulerTopologyError(`PCI request ${i}: count must be an integer ≥ 1, got ${r.count}`);
      const v = this.names.get(`v:${r.vendorId}`);
      const p = this.names.get(`p:${r.productId}`);
      const n = r.physnet === undefined ? -1 : this.names.get(`n:${r.physnet}`);
      if (v === undefined || p === undefined || n === undefined) impossible = true;
      pci[i * 5] = v ?? -2;
      pci[i * 5 + 1] = p ?? -2;
      pci[i * 5 + 2] = n ?? -2;
      pci[i * 5 + 3] = r.count;
      pci[i * 5 + 4] = r.numaPolicy === 'required' ? NUMA_REQUIRED : r.numaPolicy === 'preferred' ? NUMA_PREFERRED : NUMA_LEGACY;
    });
    return { cellCount: guest?.cells.length ?? 0, cells, pciCount: pciRequests.length, pci, impossible, guest, pciRequests };
  }

  /** Whether the plan's guest cells and devices fit the host now. Allocates nothing. */
  fits(host: number, plan: TopologyPlan): boolean {
    if (plan.cellCount === 0 && plan.pciCount === 0) return true;
    return this.search(host, plan) >= 0;
  }

  /** Why the plan does not fit the host (for a NoValidHost explanation); undefined when it fits. */
  explain(host: number, plan: TopologyPlan): string | undefined {
    if (plan.impossible) return 'no host has the requested PCI devices';
    if (this.fits(host, plan)) return undefined;
    const topo = this.topo[host];
    if (plan.guest !== undefined) {
      if (topo === undefined) return 'the host has no NUMA topology';
      const fit = fitGuestToHost(topo, plan.guest);
      if (!fit.ok) return `NUMA: ${fit.reason}`;
    }
    return 'PCI: not enough matching free devices on the NUMA cells the guest can use';
  }

  /**
   * Fits and takes the plan's cells and devices on the host; undefined (nothing changed) when they
   * do not fit. Give back with release().
   */
  claim(host: number, plan: TopologyPlan): TopologyClaim | undefined {
    if (plan.cellCount === 0 && plan.pciCount === 0) return { host, guest: undefined, fit: undefined, pci: [] };
    const pass = this.search(host, plan);
    if (pass < 0) return undefined;
    let fit: NumaFit | undefined;
    const topo = this.topo[host];
    if (plan.cellCount > 0 && topo !== undefined) {
      // The chosen host cells, in guest-cell order: fitGuestToHost's first assignment is then this one.
      const chosen: HostNumaCell[] = [];
      for (let g = 0; g < plan.cellCount; g++) chosen.push(topo.cells[this.assign[g] as number] as HostNumaCell);
      fit = fitGuestToHost({ cells: chosen }, plan.guest as GuestNumaTopology);
      if (!fit.ok) throw new SchedulerTopologyError(`host ${host}: counters and fit disagree: ${fit.reason}`);
      this.topo[host] = applyFit(topo, plan.guest as GuestNumaTopology, fit);
    }
    const pci = this.takeDevices(host, plan, pass);
    if (fit?.ok === true) this.writeCells(host, fit.cells);
    if (pci.length > 0) this.writePools(host);
    return { host, guest: plan.guest, fit, pci };
  }

  /** Gives back what claim() took. */
  release(claim: TopologyClaim): void {
    const host = claim.host;
    const topo = this.topo[host];
    if (claim.fit !== undefined && claim.guest !== undefined) {
      if (topo === undefined) throw new SchedulerTopologyError(`host ${host} has no NUMA topology to release from`);
      this.topo[host] = releaseFit(topo, claim.guest, claim.fit);
    }
    const used = this.poolUsed[host];
    for (const c of claim.pci) {
      if (used === undefined || (used[c.pool] as number) < c.count) throw new SchedulerTopologyError(`host ${host}: releasing devices of pool ${c.pool} not in use`);
      used[c.pool] = (used[c.pool] as number) - c.count;
    }
    if (claim.fit?.ok === true) this.writeCells(host, claim.fit.cells);
    if (claim.pci.length > 0) this.writePools(host);
  }

  /**
   * Takes again exactly what a released claim held (the same pinning, pages and devices): undoes a
   * release(), e.g. a consolidation plan's simulated move. Throws SchedulerTopologyError when any of
   * it was taken meanwhile.
   */
  restore(claim: TopologyClaim): void {
    const host = claim.host;
    const topo = this.topo[host];
    const used = this.poolUsed[host];
    const pools = this.poolList[host];
    for (const c of claim.pci) {
      if (used === undefined || pools === undefined || (used[c.pool] as number) + c.count > (pools[c.pool]?.count ?? 0)) {
        throw new SchedulerTopologyError(`host ${host}: devices of pool ${c.pool} were taken meanwhile`);
      }
    }
    if (claim.fit !== undefined && claim.guest !== undefined) {
      if (topo === undefined) throw new SchedulerTopologyError(`host ${host} has no NUMA topology to restore into`);
      this.topo[host] = applyFit(topo, claim.guest, claim.fit);
    }
    for (const c of claim.pci) (used as Int32Array)[c.pool] = ((used as Int32Array)[c.pool] as number) + c.count;
    if (claim.fit?.ok === true) this.writeCells(host, claim.fit.cells);
    if (claim.pci.length > 0) this.writePools(host);
  }

  // ------------------------------------------------------------------------------ the search

  /**
   * The assignment of guest cells to host cells (left in `assign`) and the pass that found it
   * (0: every PCI request affine; 1: `preferred` requests anywhere), or −1 when none fits.
   */
  private search(host: number, plan: TopologyPlan): number {
    if (plan.impossible) return -1;
    const g = plan.cellCount;
    if (g > 0) {
      const base = this.cellBase[host] as number;
      if (base < 0 || g > (this.cellCount[host] as number)) return -1;
      if (this.assign.length < g) this.assign = new Int32Array(g * 2);
    }
    if (this.dfs(host, plan, 0, 0, 0)) return 0;
    let preferred = false;
    for (let i = 0; i < plan.pciCount; i++) if (plan.pci[i * 5 + 4] === NUMA_PREFERRED) preferred = true;
    if (preferred && this.dfs(host, plan, 0, 0, 1)) return 1;
    return -1;
  }

  private dfs(host: number, plan: TopologyPlan, i: number, taken: number, pass: number): boolean {
    if (i === plan.cellCount) return this.devicesFit(host, plan, pass, false);
    const base = this.cellBase[host] as number;
    const n = this.cellCount[host] as number;
    for (let j = 0; j < n; j++) {
      if ((taken & (1 << j)) !== 0 || !this.pairFits(base + j * F, plan.cells, i * G)) continue;
      this.assign[i] = j;
      if (this.dfs(host, plan, i + 1, taken | (1 << j), pass)) return true;
    }
    return false;
  }

  /** fitGuestToHost's per-cell rules, on the counters. */
  private pairFits(c: number, guest: Float64Array, gi: number): boolean {
    const cells = this.cells;
    const shared = guest[gi] as number;
    const dedicated = guest[gi + 1] as number;
    if (shared > 0) {
      if (shared > (cells[c + C_SHARED] as number)) return false;
      if ((cells[c + C_SHARED_USED] as number) + shared > (cells[c + C_SHARED_LIMIT] as number)) return false;
    }
    if (dedicated > 0) {
      if (dedicated > (cells[c + C_PCPUS] as number)) return false;
      const policy = guest[gi + 2] as number;
      if (policy === POLICY.prefer) {
        if ((cells[c + C_PCPU_FREE] as number) < dedicated) return false;
      } else if (policy === POLICY.require) {
        if (cells[c + C_HAS_SMT] !== 1 || (cells[c + C_WHOLE_SMT_THREADS] as number) < dedicated) return false;
      } else if ((cells[c + C_WHOLE_CORES] as number) < dedicated) return false;
    }
    const mb = guest[gi + 3] as number;
    const page = guest[gi + 4] as number;
    if (page === PAGE_SMALL) return this.smallFits(c, mb);
    if (page > 0) return this.hugeFits(c, page, mb);
    for (let k = 0; k < HP; k++) {
      const size = cells[c + C_HP + 2 * k] as number;
      if (size > SMALL_PAGE_KB && this.hugeFits(c, size, mb)) return true;
    }
    return page === PAGE_ANY && this.smallFits(c, mb);
  }

  private smallFits(c: number, mb: number): boolean {
    return (this.cells[c + C_MEM_USED] as number) + mb <= (this.cells[c + C_MEM_LIMIT] as number);
  }

  private hugeFits(c: number, sizeKb: number, mb: number): boolean {
    for (let k = 0; k < HP; k++) {
      if (this.cells[c + C_HP + 2 * k] !== sizeKb) continue;
      const kb = mb * 1024;
      return kb % sizeKb === 0 && kb / sizeKb <= (this.cells[c + C_HP + 2 * k + 1] as number);
    }
    return false;
  }

  /** Whether the plan's PCI requests can be served (in order, greedily) with the current assignment. */
  private devicesFit(host: number, plan: TopologyPlan, pass: number, take: boolean, out?: PciClaim[]): boolean {
    if (plan.pciCount === 0) return true;
    const base = this.poolBase[host] as number;
    if (base < 0) return false;
    const n = this.poolCount[host] as number;
    if (this.free.length < n) this.free = new Int32Array(n * 2);
    const free = this.free;
    const pools = this.pools;
    for (let q = 0; q < n; q++) free[q] = pools[base + q * P + 4] as number;
    const numa = plan.cellCount > 0;
    const topo = this.topo[host];
    for (let r = 0; r < plan.pciCount; r++) {
      const v = plan.pci[r * 5] as number;
      const pr = plan.pci[r * 5 + 1] as number;
      const net = plan.pci[r * 5 + 2] as number;
      let want = plan.pci[r * 5 + 3] as number;
      const policy = plan.pci[r * 5 + 4] as number;
      for (let q = 0; q < n && want > 0; q++) {
        const o = base + q * P;
        if (pools[o] !== v || pools[o + 1] !== pr || (net >= 0 && pools[o + 2] !== net)) continue;
        if (numa && !(policy === NUMA_PREFERRED && pass === 1)) {
          const node = pools[o + 3] as number;
          if (node < 0) {
            if (policy !== NUMA_LEGACY) continue;
          } else if (!this.assignedCell(topo, plan.cellCount, node)) continue;
        }
        const t = Math.min(want, free[q] as number);
        if (t <= 0) continue;
        free[q] = (free[q] as number) - t;
        want -= t;
        if (take) out?.push({ pool: q, count: t });
      }
      if (want > 0) return false;
    }
    return true;
  }

  private assignedCell(topo: HostNumaTopology | undefined, g: number, node: number): boolean {
    if (topo === undefined) return false;
    for (let i = 0; i < g; i++) if (topo.cells[this.assign[i] as number]?.id === node) return true;
    return false;
  }

  private takeDevices(host: number, plan: TopologyPlan, pass: number): PciClaim[] {
    const out: PciClaim[] = [];
    if (plan.pciCount === 0) return out;
    if (!this.devicesFit(host, plan, pass, true, out)) throw new SchedulerTopologyError(`host ${host}: devices no longer fit`);
    const used = this.poolUsed[host] as Int32Array;
    for (const c of out) used[c.pool] = (used[c.pool] as number) + c.count;
    return out;
  }

  // ------------------------------------------------------------------------------ counters

  /** Rebuilds the host's cell counters from its topology (only the cells `only` names, when given and the layout is unchanged). */
  private writeCells(host: number, only?: readonly { readonly hostCell: number }[]): void {
    const topo = this.topo[host];
    if (topo === undefined) {
      this.cellBase[host] = -1;
      this.cellCount[host] = 0;
      return;
    }
    const n = topo.cells.length;
    let base = this.cellBase[host] as number;
    const moved = base < 0 || (this.cellCount[host] as number) !== n;
    if (moved) {
      base = this.cellsEnd;
      this.cellsEnd += n * F;
      if (this.cells.length < this.cellsEnd) this.cells = growF64(this.cells, Math.max(this.cellsEnd, this.cells.length * 2));
    }
    this.cellBase[host] = base;
    this.cellCount[host] = n;
    const cells = this.cells;
    const keep = only !== undefined && !moved;
    topo.cells.forEach((cell, j) => {
      if (keep && !only.some((x) => x.hostCell === cell.id)) return;
      const c = base + j * F;
      cells.fill(0, c, c + F);
      const pinned = new Set(cell.usage.pinnedPcpus);
      const cores = dedicatedCores(cell);
      let whole = 0;
      let wholeSmt = 0;
      let smt = 0;
      for (const core of cores) {
        if (core.length >= 2) smt = 1;
        if (core.every((x) => !pinned.has(x))) {
          whole++;
          if (core.length >= 2) wholeSmt += core.length;
        }
      }
      cells[c + C_ID] = cell.id;
      cells[c + C_SHARED] = cell.cpus.length;
      cells[c + C_SHARED_LIMIT] = cell.cpus.length * cell.cpuAllocationRatio;
      cells[c + C_SHARED_USED] = cell.usage.cpusUsed;
      cells[c + C_MEM_LIMIT] = cell.memoryMb * cell.ramAllocationRatio;
      cells[c + C_MEM_USED] = cell.usage.memoryUsedMb;
      cells[c + C_PCPUS] = cell.pcpus.length;
      cells[c + C_PCPU_FREE] = cell.pcpus.filter((x) => !pinned.has(x)).length;
      cells[c + C_WHOLE_CORES] = whole;
      cells[c + C_WHOLE_SMT_THREADS] = wholeSmt;
      cells[c + C_HAS_SMT] = smt;
      cell.hugepages.forEach((pool, k) => {
        cells[c + C_HP + 2 * k] = pool.sizeKb;
        cells[c + C_HP + 2 * k + 1] = pool.total - pool.used;
      });
    });
  }

  private writePools(host: number): void {
    const list = this.poolList[host];
    if (list === undefined) return;
    const n = list.length;
    let base = this.poolBase[host] as number;
    if (base < 0 || (this.poolCount[host] as number) !== n) {
      base = this.poolsEnd;
      this.poolsEnd += n * P;
      if (this.pools.length < this.poolsEnd) this.pools = growI32(this.pools, Math.max(this.poolsEnd, this.pools.length * 2));
    }
    this.poolBase[host] = base;
    this.poolCount[host] = n;
    const used = this.poolUsed[host] as Int32Array;
    list.forEach((p, q) => {
      const o = base + q * P;
      this.pools[o] = intern(this.names, `v:${p.vendorId}`);
      this.pools[o + 1] = intern(this.names, `p:${p.productId}`);
      this.pools[o + 2] = p.physnet === undefined ? -1 : intern(this.names, `n:${p.physnet}`);
      this.pools[o + 3] = p.numaNode;
      this.pools[o + 4] = p.count - (used[q] as number);
    });
  }

  /** Bytes of the typed arrays (the full topologies are JS objects and not counted). */
  bytes(): number {
    return this.cellBase.byteLength + this.cellCount.byteLength + this.cells.byteLength + this.poolBase.byteLength + this.poolCount.byteLength + this.pools.byteLength;
  }

  private ensureHost(host: number): void {
    if (host < this.cellBase.length) return;
    let size = this.cellBase.length;
    while (size <= host) size *= 2;
    this.cellBase = growI32(this.cellBase, size, -1);
    this.cellCount = growI32(this.cellCount, size);
    this.poolBase = growI32(this.poolBase, size, -1);
    this.poolCount = growI32(this.poolCount, size);
  }

  private checkHost(host: number): void {
    if (!Number.isInteger(host) || host < 0) throw new SchedulerTopologyError(`host id ${host} is not a dense id`);
  }
}
