/**
 * NUMATopologyFilter (Nova's): the guest's NUMA cells fit the host's (HostTopologies: a real fit of
 * guest cells onto distinct host cells with pinning, thread siblings, hugepages and per-cell
 * over-subscription). PciPassthroughFilter (Nova's): the guest's PCI requests can be served from the
 * host's device pools, on the NUMA cells the guest's cells go to when the policy asks for it.
 * Requests without NUMA cells (or without PCI requests) pass every host; a host without a NUMA
 * topology refuses any guest with NUMA cells.
 */
import { planStage, type FilterContext, type HostFilterStage } from './stage.js';
import type { HostTopologies, TopologyPlan } from '../topology/host-topologies.js';

interface Plan {
  readonly topo: HostTopologies | undefined;
  readonly plan: TopologyPlan | undefined;
}

function passes(host: number, p: Plan): boolean {
  if (p.plan === undefined || (p.plan.cellCount === 0 && p.plan.pciCount === 0)) return true;
  return p.topo !== undefined && p.topo.fits(host, p.plan);
}

function keepsAll(p: Plan): boolean {
  return p.plan === undefined || (p.plan.cellCount === 0 && p.plan.pciCount === 0);
}

function reason(host: number, p: Plan): string {
  if (p.topo === undefined || p.plan === undefined) return 'no host has a NUMA topology or PCI devices';
  return p.topo.explain(host, p.plan) ?? 'refused';
}

export function numaTopologyFilter(): HostFilterStage {
  return planStage('NUMATopologyFilter', (ctx: FilterContext): Plan => ({ topo: ctx.topologies, plan: ctx.request.numaPlan }), passes, reason, keepsAll);
}

export function pciPassthroughFilter(): HostFilterStage {
  return planStage('PciPassthroughFilter', (ctx: FilterContext): Plan => ({ topo: ctx.topologies, plan: ctx.request.topologyPlan }), passes, reason, keepsAll);
}
