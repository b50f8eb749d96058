/**
 * NUMA fit of a guest onto a host, with the semantics of Nova's `numa_fit_instance_to_host`.
 *
 * Rules (per guest cell on a host cell; every guest cell on a distinct host cell, the first fitting
 * permutation of host cells in order):
 * - shared vCPUs: at most the cell's shared CPU count, and used + requested ≤ cpus × cpu ratio;
 * - small-page memory: used + requested ≤ memoryMb × ram ratio; hugepages (large, any, or a size in
 *   KiB) are never overcommitted: free pages of the size ≥ memory / page size, memory a whole number
 *   of pages; `large` takes the largest size that fits, `any` too and then falls back to small pages;
 * - dedicated vCPUs are pinned to free dedicated CPUs, never to a pinned one:
 *   `prefer` packs onto the cores with most free threads first and falls back to any free CPU;
 *   `require` uses only cores with thread siblings whose threads are all free, filling each core;
 *   `isolate` uses one thread of fully free cores and reserves the core's other threads.
 *
 * Deviations from Nova: `prefer` falls back to any free CPUs (Nova's per-thread-count search can
 * miss a fit); `require` needs the whole core free (Nova accepts cores with ≥ 2 free threads, the
 * same thing with two threads per core); `isolate` uses the legacy "pin one thread, reserve its
 * siblings" behaviour and also takes lone cores (no siblings); not modelled: emulator thread
 * policy, PCI/network NUMA affinity, reserved hugepages, realtime masks, `hw:numa_cpus` maps.
 */
export { applyFit, dedicatedCores, dedicatedCount, fitGuestToHost, NumaFitError, releaseFit } from './fit.js';
export {
  SMALL_PAGE_KB,
  type CellFit,
  type CpuPolicy,
  type CpuThreadPolicy,
  type FitOptions,
  type GuestNumaCell,
  type GuestNumaTopology,
  type HostNumaCell,
  type HostNumaCellUsage,
  type HostNumaTopology,
  type HugepagePool,
  type NumaFit,
  type PageSizeRequest,
} from './types.js';
