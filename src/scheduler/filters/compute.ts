/**
 * ComputeFilter (Nova): the host's compute service is enabled (HostTable.enabled) and up
 * (HostState.down = 0); ours in addition: not in maintenance (HostState.maintenance = 0).
 */
import { planStage, type FilterContext, type HostFilterStage } from './stage.js';

function passes(host: number, _plan: null, ctx: FilterContext): boolean {
  const s = ctx.hostState;
  return ctx.table.enabled[host] === 1 && (s === undefined || ((s.down[host] ?? 0) === 0 && (s.maintenance[host] ?? 0) === 0));
}

function reason(host: number, _plan: null, ctx: FilterContext): string {
  if (ctx.table.enabled[host] !== 1) return 'disabled';
  if (ctx.hostState !== undefined && !ctx.hostState.isUp(host)) return 'compute service down (not reporting)';
  return 'in maintenance';
}

export function computeFilter(): HostFilterStage {
  return planStage('ComputeFilter', () => null, passes, reason);
}
