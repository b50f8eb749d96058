/**
 * The scheduler's host table and its free-capacity index.
 *
 *   const table = new HostTable({ dimensions: ['VCPU', 'MEMORY_MB', 'DISK_GB'] });
 *   const h = table.addHost({ capacity: [128, 229376, 4000], traits: [AVX2], aggregates: [RACK_A] });
 *   const index = new CapacityIndex(table);            // follows the table from now on
 *   const need = Float64Array.of(4, 8192, 80);
 *   const host = index.bestFit(need, { requiredTraits: [AVX2] });   // −1: nothing fits
 *   if (host >= 0) table.claim(host, need);            // ERR_SCHEDULER_CAPACITY if it no longer fits
 *
 * `ReferenceScan` answers the same queries by scanning every host.
 */
export { CapacityIndex, type CapacityIndexOptions } from './capacity-index.js';
export { SchedulerCapacityError, SchedulerHostError } from './errors.js';
export { NO_FILTER, passesFilter, placementScore, type HostFilter, type HostFinder } from './filter.js';
export { TopK } from './top-k.js';
export { HostTable, testBit, type HostSpec, type HostTableListener, type HostTableMemory, type HostTableOptions } from './host-table.js';
export { ReferenceScan, referenceScan } from './reference-scan.js';
