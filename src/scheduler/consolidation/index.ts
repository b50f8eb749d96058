/**
 * Consolidation (issue 4): a planner of live migrations that empty the least-loaded hosts through
 * the scheduler's own hard constraints, and the moves with Placement's migration semantics.
 */
export { ConsolidationRequestError, ConsolidationUnsupportedError, MoveRefusedError, MoveStateError } from './errors.js';
export { executeConsolidation, type ExecuteOptions, type ExecutionReport, type HostOutcome } from './execute.js';
export type { Move, StartMoveOptions } from './move.js';
export { planConsolidation, type ConsolidationOptions, type ConsolidationPlan, type PlannedMove, type SkippedHost } from './planner.js';
export { DrainingState, SchedulerWorld, type PlacedView, type SchedulerInternals } from './scheduler-world.js';
export { TableWorld } from './table-world.js';
export type { ConsolidationWorld } from './world.js';
