/**
 * Fitting a guest NUMA topology onto a host NUMA topology, after Nova's
 * `nova.virt.hardware.numa_fit_instance_to_host` / `_numa_fit_instance_cell` /
 * `_pack_instance_onto_cores` (the rules, not the code; see the deviations in index.ts).
 *
 * The fit of one guest cell onto one host cell depends on that pair only, so every pair is evaluated
 * once and the assignment of guest cells to distinct host cells is a depth-first search over host
 * cells in a fixed order: the first assignment found is the lexicographically first permutation
 * that fits, as in Nova's `itertools.permutations` loop.
 */
import { TstackError } from '../../../common/errors.js';
import {
  SMALL_PAGE_KB,
  type CellFit,
  type FitOptions,
  type GuestNumaCell,
  type GuestNumaTopology,
  type HostNumaCell,
  type HostNumaTopology,
  type HugepagePool,
  type NumaFit,
} from './types.js';

/** Applying or releasing a fit that does not match the host's usage. */
export class NumaFitError extends TstackError {
  constructor(message: string) {
    super('ERR_SCHEDULER_NUMA_FIT', message);
  }
}

interface PairFit {
  readonly pinning: ReadonlyMap<number, number> | undefined;
  readonly reservedPcpus: readonly number[];
  readonly pagesize: number;
  readonly sharedCpus: number;
}

type PairResult = { readonly ok: true; readonly fit: PairFit } | { readonly ok: false; readonly reasons: string[] };

/** How many of the guest cell's vCPUs are dedicated. */
export function dedicatedCount(cell: GuestNumaCell): number {
  switch (cell.cpuPolicy ?? 'shared') {
    case 'shared':
      return 0;
    case 'dedicated':
      return cell.cpus;
    case 'mixed':
      return cell.dedicatedCpus ?? 0;
  }
}

/** dedicatedCores by the cell's pcpus and siblings arrays (kept by applyFit's copies): a claim does not rebuild them. */
const coresCache = new WeakMap<readonly number[], { readonly siblings: HostNumaCell['siblings']; readonly cores: readonly (readonly number[])[] }>();

/** The physical cores of a host cell's dedicated CPUs: sibling groups ∩ pcpus, then lone pcpus. Read-only (cached). */
export function dedicatedCores(cell: HostNumaCell): readonly (readonly number[])[] {
  const hit = coresCache.get(cell.pcpus);
  if (hit !== undefined && hit.siblings === cell.siblings) return hit.cores;
  const pcpus = new Set(cell.pcpus);
  const seen = new Set<number>();
  const cores: number[][] = [];
  for (const group of cell.siblings) {
    const core = [...new Set(group)].filter((c) => pcpus.has(c) && !seen.has(c)).sort((a, b) => a - b);
    if (core.length === 0) continue;
    for (const c of core) seen.add(c);
    cores.push(core);
  }
  for (const c of [...pcpus].sort((a, b) => a - b)) {
    if (!seen.has(c)) {
      seen.add(c);
      cores.push([c]);
    }
  }
  coresCache.set(cell.pcpus, { siblings: cell.siblings, cores });
  return cores;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, ''));
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function validateGuest(guest: GuestNumaTopology): string | undefined {
  if (guest.cells.length === 0) return 'the guest has no NUMA cells';
  for (const [i, cell] of guest.cells.entries()) {
    if (!Number.isInteger(cell.cpus) || cell.cpus < 1) return `guest cell ${i}: cpus must be an integer ≥ 1, got ${cell.cpus}`;
    if (!Number.isInteger(cell.memoryMb) || cell.memoryMb < 1) {
      return `guest cell ${i}: memoryMb must be an integer ≥ 1, got ${cell.memoryMb}`;
    }
    if (cell.cpuPolicy === 'mixed') {
      const d = cell.dedicatedCpus;
      if (d === undefined || !Number.isInteger(d) || d < 1 || d >= cell.cpus) {
        return `guest cell ${i}: a mixed cell needs 1 ≤ dedicatedCpus < cpus (${cell.cpus}), got ${String(d)}`;
      }
    }
    const p = cell.pagesize;
    if (typeof p === 'number' && (!Number.isInteger(p) || p < SMALL_PAGE_KB)) {
      return `guest cell ${i}: page size must be an integer number of KiB ≥ ${SMALL_PAGE_KB}, got ${p}`;
    }
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------ cpus

function checkShared(host: HostNumaCell, n: number, reasons: string[]): void {
  if (n === 0) return;
  const have = host.cpus.length;
  if (n > have) {
    reasons.push(`shared CPUs: ${n} requested but the cell has only ${have} shared CPUs`);
    return;
  }
  const limit = have * host.cpuAllocationRatio;
  const want = host.usage.cpusUsed + n;
  if (want > limit) {
    reasons.push(
      `shared CPUs: ${host.usage.cpusUsed} used + ${n} requested = ${want} > ${have} × ${fmt(host.cpuAllocationRatio)} = ${fmt(limit)} (over by ${fmt(want - limit)})`,
    );
  }
}

interface Pinned {
  readonly hostCpus: number[];
  readonly reserved: number[];
}

function pinDedicated(host: HostNumaCell, guest: GuestNumaCell, n: number, reasons: string[]): Pinned | undefined {
  if (n === 0) return { hostCpus: [], reserved: [] };
  const policy = guest.threadPolicy ?? 'prefer';
  if (n > host.pcpus.length) {
    reasons.push(`dedicated CPUs: ${n} requested but the cell has only ${host.pcpus.length} dedicated CPUs`);
    return undefined;
  }
  const pinned = new Set(host.usage.pinnedPcpus);
  const cores = dedicatedCores(host);
  const freeOf = (core: readonly number[]): number[] => core.filter((c) => !pinned.has(c));
  const freeTotal = cores.reduce((s, core) => s + freeOf(core).length, 0);

  if (policy === 'prefer') {
    // Pack onto the cores with the most free threads first, all their free threads each.
    const ordered = cores
      .map((core, i) => ({ free: freeOf(core), i }))
      .filter((c) => c.free.length > 0)
      .sort((a, b) => b.free.length - a.free.length || a.i - b.i);
    const hostCpus = ordered.flatMap((c) => c.free).slice(0, n);
    if (hostCpus.length < n) {
      reasons.push(`dedicated CPUs (prefer): ${n} requested, ${freeTotal} free of ${host.pcpus.length} (short by ${n - freeTotal})`);
      return undefined;
    }
    return { hostCpus, reserved: [] };
  }

  if (policy === 'require') {
    const smt = cores.filter((core) => core.length >= 2);
    if (smt.length === 0) {
      reasons.push('dedicated CPUs (require): the cell has no cores with thread siblings among its dedicated CPUs');
      return undefined;
    }
    const whole = smt.filter((core) => freeOf(core).length === core.length);
    const capacity = whole.reduce((s, core) => s + core.length, 0);
    if (capacity < n) {
      reasons.push(
        `dedicated CPUs (require): ${n} requested, ${capacity} threads on ${plural(whole.length, 'fully free core')} with siblings (short by ${n - capacity})`,
      );
      return undefined;
    }
    return { hostCpus: whole.flat().slice(0, n), reserved: [] };
  }

  // isolate: one thread of each fully free core; the core's other threads stay idle.
  const whole = cores.filter((core) => freeOf(core).length === core.length);
  if (whole.length < n) {
    reasons.push(`dedicated CPUs (isolate): ${n} requested, ${plural(whole.length, 'fully free core')} (short by ${n - whole.length})`);
    return undefined;
  }
  const used = whole.slice(0, n);
  return { hostCpus: used.map((core) => core[0] as number), reserved: used.flatMap((core) => core.slice(1)) };
}

// ---------------------------------------------------------------------------------------- memory

function smallPagesFit(host: HostNumaCell, mb: number, reasons: string[]): boolean {
  const limit = host.memoryMb * host.ramAllocationRatio;
  const want = host.usage.memoryUsedMb + mb;
  if (want <= limit) return true;
  reasons.push(
    `memory (small pages): ${host.usage.memoryUsedMb} MiB used + ${mb} MiB requested = ${want} MiB > ${host.memoryMb} MiB × ${fmt(host.ramAllocationRatio)} = ${fmt(limit)} MiB (over by ${fmt(want - limit)} MiB)`,
  );
  return false;
}

/** Pages of `pool` the guest memory takes, or a reason why it cannot. */
function hugepagesFit(pool: HugepagePool, mb: number): string | undefined {
  const kb = mb * 1024;
  if (kb % pool.sizeKb !== 0) return `${pool.sizeKb} KiB pages: ${mb} MiB is not a whole number of pages`;
  const need = kb / pool.sizeKb;
  const free = pool.total - pool.used;
  if (need > free) return `${pool.sizeKb} KiB pages: ${need} needed, ${free} free of ${pool.total} (short by ${need - free})`;
  return undefined;
}

function choosePagesize(host: HostNumaCell, guest: GuestNumaCell, reasons: string[]): number | undefined {
  const request = guest.pagesize ?? 'small';
  const mb = guest.memoryMb;
  if (request === 'small' || request === SMALL_PAGE_KB) return smallPagesFit(host, mb, reasons) ? SMALL_PAGE_KB : undefined;
  if (typeof request === 'number') {
    const pool = host.hugepages.find((p) => p.sizeKb === request);
    if (pool === undefined) {
      reasons.push(`memory: the cell has no ${request} KiB hugepages`);
      return undefined;
    }
    const why = hugepagesFit(pool, mb);
    if (why === undefined) return request;
    reasons.push(`hugepages ${why}`);
    return undefined;
  }
  // large / any: the largest hugepage size that fits; `any` then falls back to small pages.
  const pools = host.hugepages.filter((p) => p.sizeKb > SMALL_PAGE_KB).sort((a, b) => b.sizeKb - a.sizeKb);
  const whys: string[] = [];
  for (const pool of pools) {
    const why = hugepagesFit(pool, mb);
    if (why === undefined) return pool.sizeKb;
    whys.push(why);
  }
  if (request === 'any') {
    const smallReasons: string[] = [];
    if (smallPagesFit(host, mb, smallReasons)) return SMALL_PAGE_KB;
    reasons.push(`memory (any page size): ${[...whys, ...smallReasons].join(', ')}`);
    return undefined;
  }
  reasons.push(pools.length === 0 ? 'memory (large pages): the cell has no hugepages' : `memory (large pages): ${whys.join(', ')}`);
  return undefined;
}

// ------------------------------------------------------------------------------------------ fit

function fitPair(host: HostNumaCell, guest: GuestNumaCell, firstVcpu: number): PairResult {
  const reasons: string[] = [];
  const dedicated = dedicatedCount(guest);
  const shared = guest.cpus - dedicated;
  checkShared(host, shared, reasons);
  const pins = pinDedicated(host, guest, dedicated, reasons);
  const pagesize = choosePagesize(host, guest, reasons);
  if (reasons.length > 0 || pins === undefined || pagesize === undefined) return { ok: false, reasons };
  let pinning: Map<number, number> | undefined;
  if (dedicated > 0) {
    pinning = new Map();
    const firstDedicated = firstVcpu + shared;
    pins.hostCpus.forEach((hostCpu, k) => pinning?.set(firstDedicated + k, hostCpu));
  }
  return { ok: true, fit: { pinning, reservedPcpus: pins.reserved, pagesize, sharedCpus: shared } };
}

function usageKey(cell: HostNumaCell): number {
  return cell.usage.cpusUsed + cell.usage.pinnedPcpus.length + cell.usage.memoryUsedMb / 1e6;
}

function orderedHostCells(host: HostNumaTopology, options: FitOptions | undefined): HostNumaCell[] {
  const cells = [...host.cells];
  const order = options?.cellOrder ?? 'as-given';
  if (order === 'pack') cells.sort((a, b) => usageKey(b) - usageKey(a));
  else if (order === 'spread') cells.sort((a, b) => usageKey(a) - usageKey(b));
  return cells;
}

function describeGuestCell(cell: GuestNumaCell, i: number): string {
  const policy = cell.cpuPolicy ?? 'shared';
  const cpus = policy === 'mixed' ? `${cell.cpus} vCPUs (${dedicatedCount(cell)} dedicated)` : `${plural(cell.cpus, 'vCPU')} ${policy}`;
  return `guest cell ${i} (${cpus}, ${cell.memoryMb} MiB)`;
}

/**
 * Fits `guest` onto `host`: each guest cell onto a distinct host cell, trying host cells in order
 * (see FitOptions.cellOrder) and returning the first assignment that fits, or a reason for a person.
 */
export function fitGuestToHost(host: HostNumaTopology, guest: GuestNumaTopology, options?: FitOptions): NumaFit {
  const invalid = validateGuest(guest);
  if (invalid !== undefined) return { ok: false, reason: invalid };
  const g = guest.cells.length;
  if (g > host.cells.length) {
    return { ok: false, reason: `the guest has ${plural(g, 'NUMA cell')} but the host only ${host.cells.length}` };
  }
  const hostCells = orderedHostCells(host, options);
  const results: PairResult[][] = [];
  let firstVcpu = 0;
  for (const cell of guest.cells) {
    const start = firstVcpu;
    results.push(hostCells.map((h) => fitPair(h, cell, start)));
    firstVcpu += cell.cpus;
  }

  // Guest cells that fit no host cell at all: report every constraint on every host cell.
  const hopeless: string[] = [];
  results.forEach((row, i) => {
    if (row.some((r) => r.ok)) return;
    const perHost = row.map((r, j) => `host cell ${hostCells[j]?.id}: ${r.ok ? '' : r.reasons.join('; ')}`);
    hopeless.push(`${describeGuestCell(guest.cells[i] as GuestNumaCell, i)} fits no host cell — ${perHost.join(' | ')}`);
  });
  if (hopeless.length > 0) return { ok: false, reason: hopeless.join('\n') };

  const chosen: number[] = [];
  const taken = new Array<boolean>(hostCells.length).fill(false);
  const search = (i: number): boolean => {
    if (i === g) return true;
    const row = results[i] as PairResult[];
    for (let j = 0; j < hostCells.length; j++) {
      if (taken[j] || !row[j]?.ok) continue;
      taken[j] = true;
      chosen.push(j);
      if (search(i + 1)) return true;
      chosen.pop();
      taken[j] = false;
    }
    return false;
  };
  if (!search(0)) {
    const fits = results.map((row, i) => {
      const ids = row.flatMap((r, j) => (r.ok ? [hostCells[j]?.id] : []));
      return `guest cell ${i} fits only host cell${ids.length === 1 ? '' : 's'} ${ids.join(', ')}`;
    });
    return { ok: false, reason: `no assignment of the guest's ${g} cells to distinct host cells: ${fits.join('; ')}` };
  }
  const cells: CellFit[] = chosen.map((j, i) => {
    const r = results[i]?.[j];
    if (r === undefined || !r.ok) throw new Error('unreachable');
    return { guestCell: i, hostCell: (hostCells[j] as HostNumaCell).id, ...r.fit };
  });
  return { ok: true, cells };
}

// ------------------------------------------------------------------------------ apply / release

function cellById(host: HostNumaTopology, id: number): number {
  const k = host.cells.findIndex((c) => c.id === id);
  if (k < 0) throw new NumaFitError(`the fit names host cell ${id}, which the host does not have`);
  return k;
}

function update(host: HostNumaTopology, guest: GuestNumaTopology, fit: NumaFit, sign: 1 | -1): HostNumaTopology {
  if (!fit.ok) throw new NumaFitError(`cannot ${sign > 0 ? 'apply' : 'release'} a failed fit: ${fit.reason}`);
  const cells = [...host.cells];
  for (const cf of fit.cells) {
    const gc = guest.cells[cf.guestCell];
    if (gc === undefined) throw new NumaFitError(`the fit names guest cell ${cf.guestCell}, which the guest does not have`);
    const k = cellById(host, cf.hostCell);
    const cell = cells[k] as HostNumaCell;
    const pcpus = [...(cf.pinning?.values() ?? []), ...cf.reservedPcpus];
    let pinned: number[];
    if (sign > 0) {
      const have = new Set(cell.usage.pinnedPcpus);
      const own = new Set(cell.pcpus);
      for (const c of pcpus) {
        if (!own.has(c)) throw new NumaFitError(`host CPU ${c} is not a dedicated CPU of host cell ${cell.id}`);
        if (have.has(c)) throw new NumaFitError(`host CPU ${c} of host cell ${cell.id} is already pinned`);
        have.add(c);
      }
      pinned = [...cell.usage.pinnedPcpus, ...pcpus];
    } else {
      const drop = new Set(pcpus);
      for (const c of pcpus) {
        if (!cell.usage.pinnedPcpus.includes(c)) throw new NumaFitError(`host CPU ${c} of host cell ${cell.id} is not pinned`);
      }
      pinned = cell.usage.pinnedPcpus.filter((c) => !drop.has(c));
    }
    const cpusUsed = cell.usage.cpusUsed + sign * cf.sharedCpus;
    let memoryUsedMb = cell.usage.memoryUsedMb;
    let hugepages = cell.hugepages;
    if (cf.pagesize === SMALL_PAGE_KB) {
      memoryUsedMb += sign * gc.memoryMb;
    } else {
      const p = hugepages.findIndex((pool) => pool.sizeKb === cf.pagesize);
      const pool = hugepages[p];
      if (pool === undefined) throw new NumaFitError(`host cell ${cell.id} has no ${cf.pagesize} KiB hugepages`);
      const used = pool.used + (sign * gc.memoryMb * 1024) / cf.pagesize;
      if (!Number.isInteger(used) || used < 0 || used > pool.total) {
        throw new NumaFitError(`host cell ${cell.id}: ${cf.pagesize} KiB hugepages would be ${used} used of ${pool.total}`);
      }
      hugepages = hugepages.map((q, i) => (i === p ? { ...q, used } : q));
    }
    if (cpusUsed < 0 || memoryUsedMb < 0) throw new NumaFitError(`host cell ${cell.id}: releasing more than is used`);
    cells[k] = { ...cell, hugepages, usage: { cpusUsed, pinnedPcpus: pinned, memoryUsedMb } };
  }
  return { ...host, cells };
}

/**
 * The host with `fit` of `guest` added to its usage. Immutable: `host` is not changed. Throws
 * NumaFitError when a fit's CPU is already pinned, not a dedicated CPU of the cell, or hugepages
 * would run over; it does not recheck shared CPU or small-page memory limits (the fit did).
 */
export function applyFit(host: HostNumaTopology, guest: GuestNumaTopology, fit: NumaFit): HostNumaTopology {
  return update(host, guest, fit, 1);
}

/** The host with `fit` of `guest` (applied before) taken out of its usage. Immutable. */
export function releaseFit(host: HostNumaTopology, guest: GuestNumaTopology, fit: NumaFit): HostNumaTopology {
  return update(host, guest, fit, -1);
}
