/**
 * The scheduler's host filters (Nova's semantics where Nova has the filter) and the pipeline that
 * runs them and explains a NoValidHost.
 *
 *   const state = new HostState();
 *   state.setUp(3, false);
 *   const stages = [computeFilter(), serverGroupAntiAffinityFilter(), haReserveFilter({ dimensions: ['VCPU', 'MEMORY_MB'] })];
 *   const ctx = { table, hostState: state, stats, request: { need, serverGroup: { id: 0, name: 'g1', policy: 'anti-affinity' } } };
 *   const result = runFilters(stages, candidates, ctx);
 *   if (result.hosts.length === 0) throw new Error(explainNoValidHost(result));
 */
export { AggregateMetadata, TENANT_KEY_PREFIX, matchExtraSpec } from './aggregate-metadata.js';
export { aggregateInstanceExtraSpecsFilter, aggregateMultiTenancyIsolationFilter } from './aggregate-filters.js';
export { computeFilter } from './compute.js';
export { SchedulerFilterError } from './errors.js';
export { haReserveFilter, type HaReserveOptions } from './ha-reserve.js';
export { hyperConvergedReserveFilter } from './hci-reserve.js';
export { HostState, Vocabulary, type HostImageSupport } from './host-state.js';
export { imagePropertiesFilter } from './image-properties.js';
export { serverGroupAffinityFilter, serverGroupAntiAffinityFilter } from './server-group.js';
export { numaTopologyFilter, pciPassthroughFilter } from './topology.js';
export {
  SAMPLE_REASONS,
  explainNoValidHost,
  planStage,
  runFilters,
  type FilterContext,
  type FilterRequest,
  type FilterRunResult,
  type HostFilterStage,
  type ImageRequest,
  type RefusedHost,
  type ServerGroupRequest,
  type StageReport,
} from './stage.js';
