export { PlacementEngine } from './engine.js';
export type { PlacementEngineOptions, WriteSink } from './engine.js';
export type {
  AllocationRequest,
  CandidateList,
  CandidateQuery,
  CandidateResult,
  ProviderSummary,
  RequestGroup,
} from './candidates.js';
export * from './errors.js';
export type { ChangeEntry, WriteOp } from './ops.js';
export type * from './types.js';
export { DEFAULT_CONSUMER_TYPE } from './types.js';
export { STANDARD_RESOURCE_CLASSES, STANDARD_TRAITS, isCustomName } from './names.js';
export { restoreSnapshot, takeSnapshot } from './snapshot.js';
export type { PlacementSnapshot, SnapshotConsumer, SnapshotProvider } from './snapshot.js';
export { formatCandidateQuery, parseCandidateQuery } from './query-string.js';
export { candidateResult } from './candidates.js';
