/**
 * The hard server-group filters (Nova's ServerGroupAffinityFilter and ServerGroupAntiAffinityFilter),
 * on HostStats' members of the request's group per host:
 * - affinity: when the group has members on some host of the table, only hosts with members pass
 *   (all members on one host); a group with no members yet passes every host;
 * - anti-affinity: a host passes while its members < max_server_per_host (the rule, default 1: no
 *   host with a member).
 * Each filter passes every host when the request has no group or a group of another policy.
 */
import { SchedulerFilterError } from './errors.js';
import { planStage, type FilterContext, type HostFilterStage, type ServerGroupRequest } from './stage.js';

function groupName(g: ServerGroupRequest): string {
  return g.name ?? `group ${g.id}`;
}

function members(ctx: FilterContext, group: number): Int32Array | undefined {
  return ctx.stats?.groupMembers(group);
}

interface AffinityPlan {
  /** The group's members per host, or undefined when the filter passes everything. */
  readonly members: Int32Array | undefined;
}

function prepareAffinity(ctx: FilterContext): AffinityPlan {
  const g = ctx.request.serverGroup;
  if (g === undefined || g.policy !== 'affinity') return { members: undefined };
  const m = members(ctx, g.id);
  if (m === undefined) return { members: undefined };
  const n = Math.min(m.length, ctx.table.count);
  for (let h = 0; h < n; h++) if ((m[h] as number) > 0) return { members: m };
  return { members: undefined };
}

export function serverGroupAffinityFilter(): HostFilterStage {
  return planStage(
    'ServerGroupAffinityFilter',
    prepareAffinity,
    (host, plan) => plan.members === undefined || (plan.members[host] ?? 0) > 0,
    (_host, plan, ctx) => {
      const g = ctx.request.serverGroup as ServerGroupRequest;
      const on: number[] = [];
      const m = plan.members as Int32Array;
      const n = Math.min(m.length, ctx.table.count);
      for (let h = 0; h < n; h++) if ((m[h] as number) > 0) on.push(h);
      const list = on.length <= 3 ? on.join(', ') : `${on.slice(0, 3).join(', ')} …`;
      return `${groupName(g)} (affinity) already runs on host${on.length === 1 ? '' : 's'} ${list}, not this one`;
    },
    (plan) => plan.members === undefined,
  );
}

interface AntiAffinityPlan {
  readonly members: Int32Array | undefined;
  readonly max: number;
}

function prepareAntiAffinity(ctx: FilterContext): AntiAffinityPlan {
  const g = ctx.request.serverGroup;
  if (g === undefined || g.policy !== 'anti-affinity') return { members: undefined, max: 1 };
  const max = g.maxServerPerHost ?? 1;
  if (!Number.isInteger(max) || max < 1) throw new SchedulerFilterError(`${groupName(g)}: max_server_per_host must be an integer ≥ 1, got ${max}`);
  return { members: members(ctx, g.id), max };
}

export function serverGroupAntiAffinityFilter(): HostFilterStage {
  return planStage(
    'ServerGroupAntiAffinityFilter',
    prepareAntiAffinity,
    (host, plan) => plan.members === undefined || (plan.members[host] ?? 0) < plan.max,
    (host, plan, ctx) => {
      const g = ctx.request.serverGroup as ServerGroupRequest;
      if (g.maxServerPerHost === undefined) return `${groupName(g)} already on the host`;
      const on = plan.members?.[host] ?? 0;
      return `${groupName(g)} already has ${on} member${on === 1 ? '' : 's'} on the host (max_server_per_host ${plan.max})`;
    },
    (plan) => plan.members === undefined,
  );
}
