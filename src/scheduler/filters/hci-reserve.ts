/**
 * HyperConvergedReserveFilter (ours): on a hyper-converged host the guests must leave the host's
 * reserve for Ceph OSDs and platform services (HostState.reserveVcpu / reserveMemoryMb). For VCPU
 * and MEMORY_MB (the table's dimensions of those names; a missing one is not checked), whenever the
 * request asks for some (need > 0):
 *
 *   capacity − used − need ≥ reserve
 *
 * A request that asks nothing of a dimension cannot eat into its reserve and is not refused for it.
 * Without a HostState no host has a reserve; the filter then refuses only hosts where the need does
 * not fit at all.
 */
import { planStage, type FilterContext, type HostFilterStage } from './stage.js';

interface ReservePlan {
  readonly vcpuDim: number;
  readonly memDim: number;
  readonly needVcpu: number;
  readonly needMem: number;
}

function prepare(ctx: FilterContext): ReservePlan {
  const t = ctx.table;
  const vcpuDim = t.dimensionIndex('VCPU');
  const memDim = t.dimensionIndex('MEMORY_MB');
  const need = ctx.request.need;
  return {
    vcpuDim,
    memDim,
    needVcpu: vcpuDim >= 0 && need !== undefined ? (need[vcpuDim] ?? 0) : 0,
    needMem: memDim >= 0 && need !== undefined ? (need[memDim] ?? 0) : 0,
  };
}

/** Free left after placing `need` in `dim`, minus the reserve (≥ 0: keeps the reserve). */
function margin(host: number, dim: number, need: number, reserve: number, ctx: FilterContext): number {
  const i = host * ctx.table.dims + dim;
  return (ctx.table.capacity[i] as number) - (ctx.table.used[i] as number) - need - reserve;
}

function passes(host: number, p: ReservePlan, ctx: FilterContext): boolean {
  const s = ctx.hostState;
  if (p.needVcpu > 0 && margin(host, p.vcpuDim, p.needVcpu, s?.reserveVcpu[host] ?? 0, ctx) < 0) return false;
  if (p.needMem > 0 && margin(host, p.memDim, p.needMem, s?.reserveMemoryMb[host] ?? 0, ctx) < 0) return false;
  return true;
}

function reason(host: number, p: ReservePlan, ctx: FilterContext): string {
  const s = ctx.hostState;
  const rv = s?.reserveVcpu[host] ?? 0;
  const rm = s?.reserveMemoryMb[host] ?? 0;
  const [dim, need, reserve, name] =
    p.needVcpu > 0 && margin(host, p.vcpuDim, p.needVcpu, rv, ctx) < 0 ? [p.vcpuDim, p.needVcpu, rv, 'VCPU'] : [p.memDim, p.needMem, rm, 'MEMORY_MB'];
  const left = margin(host, dim, need, 0, ctx);
  return `placing ${need} ${name} would leave ${left} ${name}, below the ${reserve} ${name} reserved for Ceph OSDs and platform services`;
}

export function hyperConvergedReserveFilter(): HostFilterStage {
  return planStage('HyperConvergedReserveFilter', prepare, passes, reason);
}
