/**
 * The filter contract and the pipeline that runs it.
 *
 *   filter(hosts, n, ctx, out)  writes the kept ones of hosts[0 … n) to out, in input order, and
 *                               returns how many it kept; out may be the same array as hosts
 *                               (every filter writes out[k] only after reading hosts[i], k ≤ i);
 *   explain(host, ctx)          why the stage refuses `host` for ctx's request, or undefined when it
 *                               keeps it. A filter keeps exactly the hosts its explain says nothing
 *                               about (a property test holds them to it).
 *
 * Filters do their per-request work (resolving names, scanning the group's members, the HA
 * aggregates) once at the start of filter(), then decide each host without allocating. explain() is
 * for the few refused hosts a report samples and may do O(hosts) work.
 *
 * runFilters runs the stages in order, each on what the previous kept, and reports per stage how
 * many it removed with the reasons of the first few (SAMPLE_REASONS); explainNoValidHost turns that
 * into one line a person can act on.
 */
import type { HostTable } from '../hosts/host-table.js';
import type { HostStats } from '../weighers/host-stats.js';
import type { AggregateMetadata } from './aggregate-metadata.js';
import { SchedulerFilterError } from './errors.js';
import type { HostState } from './host-state.js';
import type { HostTopologies, TopologyPlan } from '../topology/host-topologies.js';

/** The hard server-group policies (the soft ones are weighers). */
export interface ServerGroupRequest {
  /** Dense group id of HostStats' group members. */
  readonly id: number;
  /** For messages (default "group <id>"). */
  readonly name?: string;
  readonly policy: 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity';
  /** Nova's anti-affinity rule max_server_per_host (default 1): members on a host stay ≤ this. */
  readonly maxServerPerHost?: number;
}

/** Image properties by Nova's names; absent: no constraint. */
export interface ImageRequest {
  readonly hw_architecture?: string;
  readonly img_hv_type?: string;
  /** Ours (Nova's ImagePropertiesFilter does not check it): a machine type the host must offer. */
  readonly hw_machine_type?: string;
  /** The image's disk format (raw, qcow2…): with the image pre-filter, trait COMPUTE_IMAGE_TYPE_<FORMAT> is required. */
  readonly disk_format?: string;
  /** Image properties `trait:<NAME>=required`: with the image pre-filter, these traits are required. */
  readonly requiredTraits?: readonly string[];
}

export interface FilterRequest {
  /** Amounts asked per table dimension, in the table's order (absent: nothing). */
  readonly need?: ArrayLike<number> | undefined;
  readonly serverGroup?: ServerGroupRequest | undefined;
  readonly image?: ImageRequest | undefined;
  /** The flavor's extra specs (AggregateInstanceExtraSpecsFilter). */
  readonly extraSpecs?: Readonly<Record<string, string>> | undefined;
  /** The project (tenant) of the request (AggregateMultiTenancyIsolation). */
  readonly projectId?: string | undefined;
  /** The guest NUMA cells alone (NUMATopologyFilter), compiled by HostTopologies.plan. */
  readonly numaPlan?: TopologyPlan | undefined;
  /** The guest NUMA cells with the PCI requests (PciPassthroughFilter). */
  readonly topologyPlan?: TopologyPlan | undefined;
}

export interface FilterContext {
  readonly table: HostTable;
  /** Up/maintenance, image support and reserves (absent: every host up, nothing known, no reserve). */
  readonly hostState?: HostState;
  /** Server group members per host (absent: no members anywhere). */
  readonly stats?: HostStats;
  /** Aggregate metadata (absent: no aggregate has metadata). */
  readonly aggregates?: AggregateMetadata;
  /** Per-host NUMA cells and PCI pools (absent: no host has either). */
  readonly topologies?: HostTopologies;
  readonly request: FilterRequest;
}

export interface HostFilterStage {
  /** Nova's class name where Nova has the filter, e.g. 'ComputeFilter'. */
  readonly name: string;
  filter(hosts: Int32Array, n: number, ctx: FilterContext, out: Int32Array): number;
  explain(host: number, ctx: FilterContext): string | undefined;
  /**
   * The stage's per-host test for one request, prepared once (what the capacity index calls on the
   * hosts it reaches); it keeps exactly the hosts filter() keeps. Optional: a stage without it makes
   * the scheduler take the placement path. Returns undefined when the stage keeps every host for
   * this request (no group, no image properties…), so the caller can skip it.
   */
  bind?(ctx: FilterContext): ((host: number) => boolean) | undefined;
}

/** Reasons sampled per stage. */
export const SAMPLE_REASONS = 5;

export interface RefusedHost {
  readonly host: number;
  readonly reason: string;
}

export interface StageReport {
  readonly name: string;
  /** Hosts the stage was given. */
  readonly before: number;
  readonly removed: number;
  /** The first SAMPLE_REASONS removed hosts (in input order) and why. */
  readonly samples: readonly RefusedHost[];
}

export interface FilterRunResult {
  /** Candidates given. */
  readonly candidates: number;
  /** The hosts every stage kept, in input order. */
  readonly hosts: Int32Array;
  readonly stages: readonly StageReport[];
}

/**
 * Runs `stages` in order over `candidates` (host ids of ctx.table; SchedulerFilterError for an id
 * outside it). Stages after the one that leaves nothing are still reported (before 0, removed 0).
 */
export function runFilters(stages: readonly HostFilterStage[], candidates: Int32Array, ctx: FilterContext): FilterRunResult {
  const count = ctx.table.count;
  const total = candidates.length;
  for (let i = 0; i < total; i++) {
    const h = candidates[i] as number;
    if (h < 0 || h >= count) throw new SchedulerFilterError(`candidate ${h} is not a host of the table (${count} hosts)`);
  }
  let cur = Int32Array.from(candidates);
  let next = new Int32Array(total);
  let n = total;
  const reports: StageReport[] = [];
  for (const stage of stages) {
    const kept = n === 0 ? 0 : stage.filter(cur, n, ctx, next);
    const samples: RefusedHost[] = [];
    if (kept < n) {
      // Both lists are in input order: walk them together to find the removed hosts.
      let j = 0;
      for (let i = 0; i < n && samples.length < SAMPLE_REASONS; i++) {
        const h = cur[i] as number;
        if (j < kept && next[j] === h) {
          j++;
          continue;
        }
        samples.push({ host: h, reason: stage.explain(h, ctx) ?? 'refused (the filter gave no reason)' });
      }
    }
    reports.push({ name: stage.name, before: n, removed: n - kept, samples });
    const t = cur;
    cur = next;
    next = t;
    n = kept;
  }
  return { candidates: total, hosts: cur.slice(0, n), stages: reports };
}

/**
 * One line for a NoValidHost error, e.g.
 * "100 hosts; ComputeFilter removed 3 (disabled); ServerGroupAntiAffinityFilter removed 97 (group g1
 * already on the host); 0 left". Stages that removed nothing are left out; the distinct reasons of a
 * stage's sample are joined by " / ".
 */
export function explainNoValidHost(result: FilterRunResult): string {
  const parts = [`${result.candidates} host${result.candidates === 1 ? '' : 's'}`];
  for (const s of result.stages) {
    if (s.removed === 0) continue;
    const reasons = [...new Set(s.samples.map((r) => r.reason))];
    parts.push(`${s.name} removed ${s.removed}${reasons.length > 0 ? ` (${reasons.join(' / ')})` : ''}`);
  }
  parts.push(`${result.hosts.length} left`);
  return parts.join('; ');
}

/**
 * A stage from a per-request plan and a per-host test: `prepare` runs once per filter() call (and
 * once per explain() call); the hot loop calls only `passes`, which must not allocate; `reason` is
 * called for refused hosts only. filter and explain share `passes`, so they always agree.
 */
export function planStage<P>(
  name: string,
  prepare: (ctx: FilterContext) => P,
  passes: (host: number, plan: P, ctx: FilterContext) => boolean,
  reason: (host: number, plan: P, ctx: FilterContext) => string,
  /** True when the plan keeps every host (the stage is then skipped by bind's callers). */
  keepsAll?: (plan: P) => boolean,
): HostFilterStage {
  return {
    name,
    filter(hosts, n, ctx, out) {
      const plan = prepare(ctx);
      let k = 0;
      for (let i = 0; i < n; i++) {
        const h = hosts[i] as number;
        if (passes(h, plan, ctx)) out[k++] = h;
      }
      return k;
    },
    explain(host, ctx) {
      const plan = prepare(ctx);
      return passes(host, plan, ctx) ? undefined : reason(host, plan, ctx);
    },
    bind(ctx) {
      const plan = prepare(ctx);
      if (keepsAll?.(plan) === true) return undefined;
      return (host) => passes(host, plan, ctx);
    },
  };
}
