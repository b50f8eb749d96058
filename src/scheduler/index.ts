/**
 * The scheduler (issue 4): NUMA fit, the host table and its capacity index, filters, weighers, per-host
 * NUMA cells and PCI pools, and the pipeline on top of the placement engine. See docs/scheduler.md.
 */
export * from './numa/index.js';
export * from './hosts/index.js';
export * from './weighers/index.js';
export * from './filters/index.js';
export * from './pipeline/index.js';
export * from './topology/index.js';
export * from './consolidation/index.js';
