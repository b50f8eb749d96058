/** tstack-host: the core (placement and, as it lands, scheduling and the cluster agent). */
export * from './placement/index.js';
export { TstackError, isTstackError } from '../common/errors.js';
export { seededRng, shuffleInPlace } from '../common/rng.js';
export type { Rng } from '../common/rng.js';
export type { Logger } from '../common/logger.js';
export * from './store/index.js';
export * from './api/index.js';
export * from './scheduler/index.js';
