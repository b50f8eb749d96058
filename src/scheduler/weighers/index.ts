/**
 * The scheduler's weighers (Nova's semantics, struct-of-arrays inputs).
 *
 *   const stats = new HostStats();
 *   stats.setIoOps(3, 2);
 *   const weighers = [...novaWeighers({ ram: -1 }), packingWeigher()];
 *   const { order } = weighCandidates(Int32Array.of(0, 3, 5), weighers, { table, stats }, { need });
 *   const host = pickFromBest(order, 1, seededRng(seed));     // −1 when there is no candidate
 */
export { SchedulerWeigherError } from './errors.js';
export { HostStats } from './host-stats.js';
export { packingWeigher, type PackingWeigherOptions } from './packing.js';
export {
  NOVA_DEFAULT_MULTIPLIERS,
  buildFailureWeigher,
  cpuWeigher,
  diskWeigher,
  freeResourceWeigher,
  ioOpsWeigher,
  numInstancesWeigher,
  ramWeigher,
  softAffinityWeigher,
  softAntiAffinityWeigher,
  type ResourceWeigherOptions,
  type StatWeigherOptions,
} from './resource-weighers.js';
export {
  WeighScratch,
  novaWeighers,
  pickFromBest,
  weighCandidates,
  type NovaWeigherMultipliers,
  type WeighedHosts,
} from './weigh.js';
export {
  checkMultiplier,
  normalizeWeights,
  type HostTableView,
  type ServerGroupPolicy,
  type WeighRequest,
  type WeighView,
  type Weigher,
} from './weigher.js';
