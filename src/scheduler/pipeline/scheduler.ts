/**
 * The scheduling pipeline (issue 4, first version): placement's allocation candidates, then the
 * host filters, the weighers and the claim, per instance.
 *
 *   const scheduler = new Scheduler({ engine, rng: seededRng(7) });
 *   const { selections, alternates } = scheduler.schedule({
 *     instances: 2, resources: { VCPU: 4, MEMORY_MB: 8192, DISK_GB: 80 }, projectId, userId,
 *   });
 *
 * For each instance:
 * 1. one placement query: the unsuffixed group with the resources, required and forbidden traits and
 *    member_of, plus root_required=!COMPUTE_STATUS_DISABLED (Nova's compute_status_filter pre-filter,
 *    which puts the trait in root_forbidden) → engine.getAllocationCandidates;
 * 2. each allocation request is mapped to the root provider (host) of its tree; a request spanning
 *    more than one tree, sharing providers aside, is skipped; per host the first request is kept for
 *    the claim;
 * 3. the hosts minus avoidHosts go through the filters (runFilters);
 * 4. weighCandidates orders them and pickFromBest picks among the best hostSubsetSize with the rng;
 * 5. the claim: engine.setAllocations with consumerGeneration null. When it fails with a placement
 *    conflict or an allocation that no longer fits (someone else wrote meanwhile), the next best host
 *    is tried, up to maxAttempts claims in all (Nova's max_attempts, default 3).
 * Instances are placed one after the other, re-querying after each claim, so that each sees the
 * capacity the earlier ones took (and the server-group members they added). All or nothing: when an
 * instance cannot be placed, the allocations of the ones already claimed are deleted and
 * NoValidHostError is thrown.
 *
 * The engine is the source of truth; `table` (a HostTable, see HostCache) is a cache of it that the
 * scheduler refreshes after each claim and release it makes itself. Changes made by others (another
 * scheduler, the API, inventory updates, new or disabled compute nodes) reach it through
 * refreshHost(uuid) / refreshAll(), e.g. from engine.onChange. Placement's answer is always fresh,
 * so a stale row can only skew filters and weighers, never over-commit a provider.
 *
 * `stats` (HostStats) and `hostState` (HostState) are indexed by the table's host ids (hostId(uuid)).
 * The scheduler records in `stats` the instances and server-group members it places (and removes
 * them when it rolls back); instances deleted or moved by others are the caller's to record.
 */
import { randomUUID } from 'node:crypto';
import type { Rng } from '../../../common/rng.js';
import { isTstackError } from '../../../common/errors.js';
import type { PlacementEngine } from '../../placement/engine.js';
import type { AllocationRequest, CandidateQuery, RequestGroup } from '../../placement/candidates.js';
import { formatCandidateQuery } from '../../placement/query-string.js';
import type { Resources } from '../../placement/types.js';
import type { HostTable } from '../hosts/host-table.js';
import type { AggregateMetadata } from '../filters/aggregate-metadata.js';
import { computeFilter } from '../filters/compute.js';
import { HostState } from '../filters/host-state.js';
import { imagePropertiesFilter } from '../filters/image-properties.js';
import { serverGroupAffinityFilter, serverGroupAntiAffinityFilter } from '../filters/server-group.js';
import {
  explainNoValidHost,
  runFilters,
  type FilterRequest,
  type FilterRunResult,
  type HostFilterStage,
  type ImageRequest,
  type ServerGroupRequest,
} from '../filters/stage.js';
import { HostStats } from '../weighers/host-stats.js';
import { novaWeighers, pickFromBest, weighCandidates, WeighScratch } from '../weighers/weigh.js';
import type { Weigher, WeighRequest } from '../weighers/weigher.js';
import { NoValidHostError, SchedulerRequestError } from './errors.js';
import { DISABLED_TRAIT, HOST_DIMENSIONS, HostCache } from './host-cache.js';

const SHARES_TRAIT = 'MISC_SHARES_VIA_AGGREGATE';

/** Claim failures that mean "the world moved since the query": try the next host. */
const RETRYABLE = new Set([
  'ERR_PLACEMENT_CONCURRENT_UPDATE',
  'ERR_PLACEMENT_CAPACITY_EXCEEDED',
  'ERR_PLACEMENT_ALLOCATION_CONSTRAINTS',
  'ERR_PLACEMENT_NO_INVENTORY',
  'ERR_PLACEMENT_PROVIDER_NOT_FOUND',
]);

export interface SchedulerOptions {
  readonly engine: PlacementEngine;
  /** Default: novaWeighers() (Nova's weighers and default multipliers). */
  readonly weighers?: readonly Weigher[];
  /** Default: defaultFilters() (Nova's default filters that we have). */
  readonly filters?: readonly HostFilterStage[];
  /** Nova's host_subset_size: pick at random among this many best hosts (default 1). */
  readonly hostSubsetSize?: number;
  /** The only source of randomness (pickFromBest); same seed, same world, same request → same hosts. */
  readonly rng: Rng;
  /** Per-host up/maintenance/image/reserve facts by host id (default: an empty HostState). */
  readonly hostState?: HostState;
  /** Per-host statistics by host id (default: an empty HostStats); the scheduler adds what it places. */
  readonly stats?: HostStats;
  /** Aggregate metadata by the table's aggregate ids (aggregateId(uuid)); absent: none. */
  readonly aggregates?: AggregateMetadata;
  /** Claims tried per instance, the chosen host included (Nova's max_attempts, default 3, ≥ 1). */
  readonly maxAttempts?: number;
  /** Placement's limit on allocation requests per query (Nova's max_placement_results, default 1000). */
  readonly placementLimit?: number;
}

export interface ScheduleRequest {
  /** How many instances (≥ 1); all are placed or none. */
  readonly instances: number;
  /** Per instance, by resource class; VCPU, MEMORY_MB and DISK_GB also feed filters and weighers. */
  readonly resources: Resources;
  /** Each entry an any-of list (as RequestGroup.required). */
  readonly requiredTraits?: readonly (readonly string[])[];
  readonly forbiddenTraits?: readonly string[];
  /** Each entry an any-of list of aggregate uuids (member_of). */
  readonly memberOf?: readonly (readonly string[])[];
  readonly serverGroup?: ServerGroupRequest;
  readonly image?: ImageRequest;
  readonly extraSpecs?: Readonly<Record<string, string>>;
  readonly projectId: string;
  readonly userId: string;
  /** Root provider uuids not to use (a retry after a failed build). */
  readonly avoidHosts?: readonly string[];
  /** One per instance, distinct, not yet holding allocations; default: random uuids. */
  readonly consumerUuids?: readonly string[];
}

export interface Selection {
  readonly consumerUuid: string;
  /** The root provider (compute node) the instance landed on. */
  readonly hostUuid: string;
  /** What was claimed: provider uuid → resources (sharing providers included). */
  readonly allocations: Record<string, Resources>;
}

export interface ScheduleResult {
  /** One per instance, in order. */
  readonly selections: readonly Selection[];
  /** Per instance: the next best hosts after the selected one (at most maxAttempts − 1), for a retry. */
  readonly alternates: readonly (readonly string[])[];
}

/** Nova's default enabled_filters that exist here: Compute, ImageProperties, ServerGroupAntiAffinity, ServerGroupAffinity. */
export function defaultFilters(): HostFilterStage[] {
  return [computeFilter(), imagePropertiesFilter(), serverGroupAntiAffinityFilter(), serverGroupAffinityFilter()];
}

interface Claimed {
  readonly selection: Selection;
  readonly host: number;
}

export class Scheduler {
  readonly engine: PlacementEngine;
  readonly hostState: HostState;
  readonly stats: HostStats;
  readonly aggregates: AggregateMetadata | undefined;
  private readonly cache: HostCache;
  private readonly weighers: readonly Weigher[];
  private readonly filters: readonly HostFilterStage[];
  private readonly hostSubsetSize: number;
  private readonly rng: Rng;
  private readonly maxAttempts: number;
  private readonly placementLimit: number;
  private readonly scratch = new WeighScratch();

  constructor(options: SchedulerOptions) {
    this.engine = options.engine;
    this.weighers = options.weighers ?? novaWeighers();
    this.filters = options.filters ?? defaultFilters();
    this.hostSubsetSize = options.hostSubsetSize ?? 1;
    this.rng = options.rng;
    this.hostState = options.hostState ?? new HostState();
    this.stats = options.stats ?? new HostStats();
    this.aggregates = options.aggregates;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.placementLimit = options.placementLimit ?? 1000;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new SchedulerRequestError(`maxAttempts must be an integer ≥ 1, got ${this.maxAttempts}`);
    if (!Number.isInteger(this.placementLimit) || this.placementLimit < 1) throw new SchedulerRequestError(`placementLimit must be an integer ≥ 1, got ${this.placementLimit}`);
    this.cache = new HostCache(this.engine);
  }

  /** The host table (a cache of the engine; read-only for callers). */
  get table(): HostTable {
    return this.cache.table;
  }

  /** Host id of a root provider, or −1. */
  hostId(providerUuid: string): number {
    return this.cache.hostId(providerUuid);
  }

  hostUuid(host: number): string {
    return this.cache.hostUuid(host);
  }

  /** The table's dense id of an aggregate uuid (for an AggregateMetadata). */
  aggregateId(uuid: string): number {
    return this.cache.aggregateId(uuid);
  }

  /** The table's dense id of a trait name. */
  traitId(name: string): number {
    return this.cache.traitId(name);
  }

  /** Re-reads one root provider's row from the engine after a change made by someone else. */
  refreshHost(providerUuid: string): void {
    this.cache.refreshHost(providerUuid);
  }

  /** Re-reads every root provider (new compute nodes get host ids). */
  refreshAll(): void {
    this.cache.refreshAll();
  }

  schedule(request: ScheduleRequest): ScheduleResult {
    const consumers = this.checkRequest(request);
    const need = Float64Array.from(HOST_DIMENSIONS, (rc) => request.resources[rc] ?? 0);
    const query = this.queryOf(request);
    const filterRequest: FilterRequest = {
      need,
      ...(request.serverGroup === undefined ? {} : { serverGroup: request.serverGroup }),
      ...(request.image === undefined ? {} : { image: request.image }),
      ...(request.extraSpecs === undefined ? {} : { extraSpecs: request.extraSpecs }),
      projectId: request.projectId,
    };
    const weighRequest: WeighRequest = { need, ...(request.serverGroup === undefined ? {} : { serverGroup: request.serverGroup }) };
    const avoid = new Set(request.avoidHosts ?? []);
    const claimed: Claimed[] = [];
    const alternates: string[][] = [];
    try {
      for (let i = 0; i < request.instances; i++) {
        const consumerUuid = consumers[i] as string;
        const { hosts, requests, candidates, spanning } = this.candidateHosts(query);
        const ids: number[] = [];
        let avoided = 0;
        for (const h of hosts) {
          if (avoid.has(this.cache.hostUuid(h))) avoided++;
          else ids.push(h);
        }
        const filtered = runFilters(this.filters, Int32Array.from(ids), {
          table: this.cache.table,
          hostState: this.hostState,
          stats: this.stats,
          ...(this.aggregates === undefined ? {} : { aggregates: this.aggregates }),
          request: filterRequest,
        });
        const { order } = weighCandidates(filtered.hosts, this.weighers, { table: this.cache.table, stats: this.stats }, weighRequest, this.scratch);
        const failures: string[] = [];
        const picked = pickFromBest(order, this.hostSubsetSize, this.rng);
        if (picked >= 0) {
          const attempts = [picked, ...[...order].filter((h) => h !== picked)];
          for (let a = 0; a < attempts.length && a < this.maxAttempts; a++) {
            const host = attempts[a] as number;
            const chosen = this.claim(consumerUuid, host, requests.get(host) as AllocationRequest, request, failures);
            if (chosen === undefined) continue;
            claimed.push({ selection: chosen, host });
            this.record(host, request.serverGroup, 1);
            alternates.push(attempts.slice(a + 1, a + this.maxAttempts).map((h) => this.cache.hostUuid(h)));
            break;
          }
        }
        if (claimed.length === i) {
          const message = this.explain(i, request.instances, query, candidates, spanning, avoided, filtered, failures);
          throw new NoValidHostError(message, { instance: i, instances: request.instances, placementCandidates: candidates, filterResult: filtered });
        }
      }
    } catch (e) {
      this.rollback(claimed, request.serverGroup);
      throw e;
    }
    return { selections: claimed.map((c) => c.selection), alternates };
  }

  /** The placement query of a request (what step 1 sends; also in the NoValidHost message when it finds nothing). */
  queryOf(request: ScheduleRequest): CandidateQuery {
    const group: RequestGroup = {
      suffix: '',
      resources: { ...request.resources },
      ...(request.requiredTraits === undefined || request.requiredTraits.length === 0 ? {} : { required: request.requiredTraits }),
      ...(request.forbiddenTraits === undefined || request.forbiddenTraits.length === 0 ? {} : { forbidden: request.forbiddenTraits }),
      ...(request.memberOf === undefined || request.memberOf.length === 0 ? {} : { memberOf: request.memberOf }),
    };
    return { groups: [group], rootForbidden: [DISABLED_TRAIT], limit: this.placementLimit };
  }

  private checkRequest(request: ScheduleRequest): string[] {
    const n = request.instances;
    if (!Number.isInteger(n) || n < 1) throw new SchedulerRequestError(`instances must be an integer ≥ 1, got ${n}`);
    if (Object.keys(request.resources).length === 0) throw new SchedulerRequestError('a request needs resources');
    let consumers: string[];
    if (request.consumerUuids === undefined) {
      consumers = Array.from({ length: n }, () => randomUUID());
    } else {
      consumers = [...request.consumerUuids];
      if (consumers.length !== n) throw new SchedulerRequestError(`${consumers.length} consumer uuids for ${n} instances`);
      if (new Set(consumers).size !== n) throw new SchedulerRequestError('consumer uuids must be distinct');
    }
    for (const c of consumers) {
      const existing = this.engine.getConsumerAllocations(c);
      if (existing !== undefined && Object.keys(existing.allocations).length > 0) {
        throw new SchedulerRequestError(`consumer ${c} already holds allocations`);
      }
    }
    return consumers;
  }

  /** Steps 1 and 2: the query, and its allocation requests by host (the first one per host, hosts in placement's order). */
  private candidateHosts(query: CandidateQuery): { hosts: number[]; requests: Map<number, AllocationRequest>; candidates: number; spanning: number } {
    const { allocationRequests, providerSummaries } = this.engine.getAllocationCandidates(query);
    const requests = new Map<number, AllocationRequest>();
    const hosts: number[] = [];
    let spanning = 0;
    for (const ar of allocationRequests) {
      const own = new Set<string>();
      const all = new Set<string>();
      for (const rp of Object.keys(ar.allocations)) {
        const summary = providerSummaries[rp];
        const root = summary?.rootProviderUuid ?? this.engine.getProvider(rp)?.rootUuid;
        if (root === undefined) continue;
        all.add(root);
        if (!(summary?.traits.includes(SHARES_TRAIT) ?? false)) own.add(root);
      }
      // Only sharing providers (a sharing compute node serving itself): its own root is the host.
      const roots = own.size > 0 ? own : all;
      if (roots.size !== 1) {
        spanning++;
        continue;
      }
      const root = roots.values().next().value as string;
      let host = this.cache.hostId(root);
      if (host < 0) host = this.cache.refreshHost(root); // a compute node created since the last refresh
      if (host < 0 || requests.has(host)) continue;
      requests.set(host, ar);
      hosts.push(host);
    }
    return { hosts, requests, candidates: allocationRequests.length, spanning };
  }

  /** Step 5 for one host: the selection, or undefined (and a line in `failures`) when placement refused the claim for a reason worth another host. */
  private claim(consumerUuid: string, host: number, ar: AllocationRequest, request: ScheduleRequest, failures: string[]): Selection | undefined {
    const allocations: Record<string, Resources> = {};
    for (const [rp, a] of Object.entries(ar.allocations)) allocations[rp] = { ...a.resources };
    const hostUuid = this.cache.hostUuid(host);
    try {
      this.engine.setAllocations({
        consumerUuid,
        allocations,
        projectId: request.projectId,
        userId: request.userId,
        consumerGeneration: null,
        consumerType: 'INSTANCE',
      });
    } catch (e) {
      if (!isTstackError(e) || !RETRYABLE.has(e.code)) throw e;
      failures.push(`claim on ${hostUuid} refused (${e.code}: ${e.message})`);
      this.cache.refreshHost(hostUuid); // the refusal says the cached row is stale
      return undefined;
    }
    this.cache.refreshHost(hostUuid);
    return { consumerUuid, hostUuid, allocations };
  }

  private record(host: number, group: ServerGroupRequest | undefined, delta: 1 | -1): void {
    this.stats.setInstances(host, Math.max(0, (this.stats.instances[host] ?? 0) + delta));
    if (group !== undefined) this.stats.addGroupMember(group.id, host, delta);
  }

  /** All or nothing: deletes what this request claimed, newest first. */
  private rollback(claimed: readonly Claimed[], group: ServerGroupRequest | undefined): void {
    for (let i = claimed.length - 1; i >= 0; i--) {
      const c = claimed[i] as Claimed;
      this.engine.deleteAllocations(c.selection.consumerUuid);
      this.cache.refreshHost(c.selection.hostUuid);
      this.record(c.host, group, -1);
    }
  }

  private explain(
    instance: number,
    instances: number,
    query: CandidateQuery,
    candidates: number,
    spanning: number,
    avoided: number,
    filtered: FilterRunResult,
    failures: readonly string[],
  ): string {
    const parts: string[] = [];
    const which = instances === 1 ? 'No valid host' : `No valid host for instance ${instance + 1} of ${instances}`;
    if (candidates === 0) {
      parts.push(`placement returned no allocation candidates for ${decodeURIComponent(formatCandidateQuery(query))}`);
    } else {
      const hosts = filtered.candidates + avoided;
      let line = `placement returned ${candidates} allocation candidate${candidates === 1 ? '' : 's'} on ${hosts} host${hosts === 1 ? '' : 's'}`;
      if (spanning > 0) line += ` (${spanning} spanning more than one tree skipped)`;
      parts.push(line);
    }
    if (avoided > 0) parts.push(`${avoided} avoided (avoidHosts)`);
    parts.push(explainNoValidHost(filtered));
    if (failures.length > 0) parts.push(`claims failed: ${failures.join(' / ')}`);
    return `${which}: ${parts.join('; ')}`;
  }
}
