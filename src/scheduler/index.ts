/**
 * The scheduler (issue 4, in progress): so far the NUMA topology fit of a guest onto a host.
 * Filters, weighers, the host table and its capacity index follow.
 */
export * from './numa/index.js';
export * from './hosts/index.js';
export * from './weighers/index.js';
export * from './filters/index.js';
export * from './pipeline/index.js';
