/**
 * NUMA topologies of a compute host and of a guest, in the shape Nova's `nova.virt.hardware` works
 * with (host `NUMACell`, guest `InstanceNUMACell`), reduced to what the fit needs.
 *
 * CPU numbers are host CPU ids (logical CPUs, as the kernel numbers them). Guest CPU numbers are the
 * guest's vCPU ids: guest cell 0 owns vCPUs 0..cpus0-1, cell 1 the next `cpus1` ids, and so on.
 */

/** Size of the smallest ("small") memory page in KiB. Hugepage pools always have a larger size. */
export const SMALL_PAGE_KB = 4;

/** One hugepage pool of a host cell, counted in pages. */
export interface HugepagePool {
  /** Page size in KiB (2048 for 2 MiB pages, 1048576 for 1 GiB pages); always > 4. */
  readonly sizeKb: number;
  /** Pages the cell has of this size. */
  readonly total: number;
  /** Pages of this size already given to guests. */
  readonly used: number;
}

/** What guests already use on a host cell. */
export interface HostNumaCellUsage {
  /** Shared (floating) guest vCPUs placed on this cell; compared with `cpus.length × cpuAllocationRatio`. */
  readonly cpusUsed: number;
  /**
   * Dedicated host CPUs no one else may pin: pinned by a guest, or reserved as the idle sibling of
   * an `isolate` guest's CPU. Order is kept as placed (applyFit appends, releaseFit removes).
   */
  readonly pinnedPcpus: readonly number[];
  /** Small-page guest memory placed on this cell, in MiB. */
  readonly memoryUsedMb: number;
}

export interface HostNumaCell {
  readonly id: number;
  /** Host CPUs for shared (floating) guest vCPUs: Nova's `cpu_shared_set` part of this cell. */
  readonly cpus: readonly number[];
  /** Host CPUs for pinned guest vCPUs: Nova's `cpu_dedicated_set` part of this cell. */
  readonly pcpus: readonly number[];
  /**
   * Thread sibling groups (the logical CPUs of one physical core). A dedicated CPU missing from every
   * group is a core of its own. Only the `pcpus` members of a group count for pinning.
   */
  readonly siblings: readonly (readonly number[])[];
  /** Small-page memory of the cell in MiB (hugepage pools are not part of it). */
  readonly memoryMb: number;
  readonly hugepages: readonly HugepagePool[];
  readonly cpuAllocationRatio: number;
  readonly ramAllocationRatio: number;
  readonly usage: HostNumaCellUsage;
}

export interface HostNumaTopology {
  readonly cells: readonly HostNumaCell[];
}

/** Nova's `hw:cpu_policy`; `mixed` gives each cell some dedicated and some shared vCPUs. */
export type CpuPolicy = 'shared' | 'dedicated' | 'mixed';
/** Nova's `hw:cpu_thread_policy`; only meaningful for dedicated vCPUs. */
export type CpuThreadPolicy = 'prefer' | 'isolate' | 'require';
/** Nova's `hw:mem_page_size`: small, large, any, or an explicit page size in KiB. */
export type PageSizeRequest = 'small' | 'large' | 'any' | number;

export interface GuestNumaCell {
  /** vCPUs of this guest cell (≥ 1). */
  readonly cpus: number;
  /** Memory of this guest cell in MiB (≥ 1). */
  readonly memoryMb: number;
  /** Default `shared`. */
  readonly cpuPolicy?: CpuPolicy;
  /**
   * With `mixed`: how many of the cell's vCPUs are dedicated (1 ≤ n < cpus); they are the cell's last
   * `n` vCPUs, the first `cpus − n` float. Ignored for other policies.
   */
  readonly dedicatedCpus?: number;
  /** Default `prefer`. */
  readonly threadPolicy?: CpuThreadPolicy;
  /** Default `small`. */
  readonly pagesize?: PageSizeRequest;
}

export interface GuestNumaTopology {
  readonly cells: readonly GuestNumaCell[];
}

/** Where one guest cell goes. */
export interface CellFit {
  /** Index of the guest cell in `guest.cells`. */
  readonly guestCell: number;
  /** `id` of the host cell it goes to. */
  readonly hostCell: number;
  /** Guest vCPU → host CPU for the cell's dedicated vCPUs; undefined when it has none. */
  readonly pinning: ReadonlyMap<number, number> | undefined;
  /** Host CPUs kept idle for the guest (the other siblings of `isolate` cores); empty otherwise. */
  readonly reservedPcpus: readonly number[];
  /** Page size chosen for the cell's memory in KiB; SMALL_PAGE_KB (4) for small pages. */
  readonly pagesize: number;
  /** Shared vCPUs the cell places on the host cell. */
  readonly sharedCpus: number;
}

export type NumaFit =
  | { readonly ok: true; readonly cells: readonly CellFit[] }
  | { readonly ok: false; readonly reason: string };

export interface FitOptions {
  /**
   * Order in which host cells are tried (ties keep `host.cells` order): `as-given` (default),
   * `pack` (most used first, like Nova's `packing_host_numa_cells_allocation_strategy = True`) or
   * `spread` (least used first, Nova's default since Zed).
   */
  readonly cellOrder?: 'as-given' | 'pack' | 'spread';
}
