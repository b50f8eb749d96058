/**
 * The scheduling pipeline: pre-filters → candidates → filters → ranking → claim, per instance.
 *
 *   const scheduler = new Scheduler({ engine, rng: seededRng(7), mode: 'pack' });
 *   const { selections, alternates } = scheduler.schedule({
 *     instances: 2, resources: { VCPU: 4, MEMORY_MB: 8192, DISK_GB: 80 }, projectId, userId,
 *   });
 *   scheduler.release(selections[0].consumerUuid);
 *
 * For each instance:
 * 1. pre-filters turn the request into one placement query (prefilters.ts): resources, required and
 *    forbidden traits, member_of (plus the availability zone's and the tenant's aggregates), image
 *    needs as required traits, in_tree for a forced host, root_forbidden COMPUTE_STATUS_DISABLED;
 * 2. candidates, by one of two paths that give the same hosts:
 *    - placement: engine.getAllocationCandidates, each allocation request mapped to the root
 *      provider (host) of its tree (requests spanning trees, sharing providers aside, are skipped;
 *      per host the first request is kept for the claim);
 *    - indexed (when the table alone can answer: every tree is one provider, no sharing provider,
 *      only the table's resource classes, every filter stage has a per-host form): the capacity
 *      index walks the host table, applying placement's own rules (capacity, min/max unit and step,
 *      traits, aggregates, disabled) and then the filters, NUMA and PCI fit per host reached. It
 *      ranks every fitting host; placement returns at most placementLimit candidates, so the paths
 *      agree exactly while fewer hosts than that fit;
 * 3. the hosts minus avoidHosts go through the filters (runFilters) — on the indexed path they are
 *    part of the walk — NUMATopologyFilter and PciPassthroughFilter always last;
 * 4. ranking: mode `weighers` (default) weighs with Nova's weighers (weighCandidates); `pack` and
 *    `spread` rank by placementScore (the free share left in the binding requested dimension: pack
 *    the least, spread the most; ties to the lower host id), which the index answers without
 *    scanning every host; pickFromBest picks among the best hostSubsetSize with the rng;
 * 5. the claim: NUMA cells and devices on the host (HostTopologies), then engine.setAllocations with
 *    consumer generation null. When placement refuses (someone else wrote meanwhile), the NUMA claim
 *    is given back and the next best host is tried, up to maxAttempts claims (Nova's max_attempts).
 * Instances are placed one after the other, so each sees what the earlier took. All or nothing: when
 * an instance cannot be placed, the allocations of the ones already claimed are deleted and
 * NoValidHostError is thrown; when the indexed path finds nothing, the placement path runs to give
 * the explanation (and the final word).
 *
 * The engine is the source of truth and the claim authority. The host table follows the engine's
 * change log (HostCache), so claims by others, inventory, trait and aggregate changes are seen as
 * they commit; a consumer's allocations deleted by anyone release its NUMA cells, devices and its
 * place in `stats` (instances, server-group members).
 */
import { randomUUID } from 'node:crypto';
import type { Rng } from '../../../common/rng.js';
import { isTstackError } from '../../../common/errors.js';
import type { PlacementEngine } from '../../placement/engine.js';
import type { AllocationRequest, CandidateQuery } from '../../placement/candidates.js';
import { formatCandidateQuery } from '../../placement/query-string.js';
import type { ChangeEntry } from '../../placement/ops.js';
import type { Resources } from '../../placement/types.js';
import { CapacityIndex, type CapacityIndexOptions } from '../hosts/capacity-index.js';
import type { HostFilter, HostFinder } from '../hosts/filter.js';
import { passesFilter, placementScore } from '../hosts/filter.js';
import type { HostTable } from '../hosts/host-table.js';
import { ReferenceScan } from '../hosts/reference-scan.js';
import type { AggregateMetadata } from '../filters/aggregate-metadata.js';
import { computeFilter } from '../filters/compute.js';
import { HostState } from '../filters/host-state.js';
import { imagePropertiesFilter } from '../filters/image-properties.js';
import { serverGroupAffinityFilter, serverGroupAntiAffinityFilter } from '../filters/server-group.js';
import {
  explainNoValidHost,
  runFilters,
  type FilterContext,
  type FilterRequest,
  type FilterRunResult,
  type HostFilterStage,
  type ImageRequest,
  type ServerGroupRequest,
} from '../filters/stage.js';
import { numaTopologyFilter, pciPassthroughFilter } from '../filters/topology.js';
import type { GuestNumaTopology, NumaFit } from '../numa/types.js';
import { dedicatedCount } from '../numa/fit.js';
import { HostTopologies, type TopologyClaim, type TopologyPlan } from '../topology/host-topologies.js';
import type { PciClaim, PciRequest } from '../topology/types.js';
import { HostStats } from '../weighers/host-stats.js';
import { novaWeighers, pickFromBest, weighCandidates, WeighScratch } from '../weighers/weigh.js';
import type { Weigher, WeighRequest } from '../weighers/weigher.js';
import { ConsolidationUnsupportedError, MoveRefusedError, MoveStateError } from '../consolidation/errors.js';
import type { Move, StartMoveOptions } from '../consolidation/move.js';
import { planConsolidation, type ConsolidationOptions, type ConsolidationPlan } from '../consolidation/planner.js';
import { DrainingState, SchedulerWorld, type SchedulerInternals } from '../consolidation/scheduler-world.js';
import { NoValidHostError, SchedulerRequestError } from './errors.js';
import { HOST_DIMENSIONS, HostCache, SHARES_TRAIT } from './host-cache.js';
import { buildQuery, type PrefilterOptions } from './prefilters.js';

/** Claim failures that mean "the world moved since the query": try the next host. */
const RETRYABLE = new Set([
  'ERR_PLACEMENT_CONCURRENT_UPDATE',
  'ERR_PLACEMENT_CAPACITY_EXCEEDED',
  'ERR_PLACEMENT_ALLOCATION_CONSTRAINTS',
  'ERR_PLACEMENT_NO_INVENTORY',
  'ERR_PLACEMENT_PROVIDER_NOT_FOUND',
]);

const NO_HOSTS: ReadonlySet<string> = new Set();

/** How candidates are ranked (see the module comment). */
export type SchedulerMode = 'weighers' | 'pack' | 'spread';

export interface SchedulerOptions extends PrefilterOptions {
  readonly engine: PlacementEngine;
  /** Ranking: Nova's weighers (default), or pack / spread by placementScore (indexed). */
  readonly mode?: SchedulerMode;
  /** Default: novaWeighers() (Nova's weighers and default multipliers); mode `weighers` only. */
  readonly weighers?: readonly Weigher[];
  /** Default: defaultFilters(). NUMATopologyFilter and PciPassthroughFilter are always added after them. */
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
  /**
   * `index` (default): the indexed path when the table can answer; `scan`: the same path over a
   * plain scan of every host (the reference, for tests and the bench); `placement`: always ask placement.
   */
  readonly candidates?: 'index' | 'scan' | 'placement';
  /** Tuning of the capacity index (bucket counts, id-order scans); any value gives the same answers. */
  readonly indexOptions?: CapacityIndexOptions;
}

export interface ScheduleRequest {
  /** How many instances (≥ 1); all are placed or none. */
  readonly instances: number;
  /** Per instance, by resource class; VCPU, MEMORY_MB, DISK_GB and PCPU also feed filters and weighers. */
  readonly resources: Resources;
  /** Each entry an any-of list (as RequestGroup.required). */
  readonly requiredTraits?: readonly (readonly string[])[];
  readonly forbiddenTraits?: readonly string[];
  /** Each entry an any-of list of aggregate uuids (member_of). */
  readonly memberOf?: readonly (readonly string[])[];
  /** An availability zone name (SchedulerOptions.availabilityZones maps it to aggregates). */
  readonly availabilityZone?: string;
  readonly serverGroup?: ServerGroupRequest;
  readonly image?: ImageRequest;
  readonly extraSpecs?: Readonly<Record<string, string>>;
  /**
   * The guest's NUMA cells. Their shared vCPUs must add up to resources.VCPU, their dedicated ones
   * to resources.PCPU and their memory to resources.MEMORY_MB (as Nova derives them from the flavor).
   */
  readonly numaTopology?: GuestNumaTopology;
  /** PCI / GPU / SR-IOV devices per instance. */
  readonly pciRequests?: readonly PciRequest[];
  readonly projectId: string;
  readonly userId: string;
  /** Root provider uuid the instance must go to (Nova's forced host): in_tree of the query. */
  readonly forceHost?: string;
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
  /** The guest's NUMA fit on the host (pinning, page sizes), when it asked for NUMA cells. */
  readonly numaFit?: NumaFit;
  /** Devices taken, as (pool index of the host, count). */
  readonly devices?: readonly PciClaim[];
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

/** What the scheduler placed and may have to give back. */
interface Placed {
  readonly host: number;
  readonly group: ServerGroupRequest | undefined;
  readonly topology: TopologyClaim | undefined;
  /** The request it was placed by (what a move must honour again). */
  readonly prepared: Prepared;
  /** While the instance is being moved: the migration consumer that holds its source. */
  readonly migration?: string;
  /** On a migration consumer: the instance whose source it holds. */
  readonly migrationOf?: string;
}

/** One request, resolved once for all its instances. */
interface Prepared {
  readonly request: ScheduleRequest;
  readonly query: CandidateQuery;
  readonly need: Float64Array;
  readonly filterRequest: FilterRequest;
  readonly weighRequest: WeighRequest;
  readonly plan: TopologyPlan;
  readonly avoid: ReadonlySet<string>;
}

export class Scheduler {
  readonly engine: PlacementEngine;
  readonly hostState: HostState;
  readonly stats: HostStats;
  readonly aggregates: AggregateMetadata | undefined;
  /** NUMA cells and PCI pools per host id. */
  readonly topologies = new HostTopologies();
  readonly mode: SchedulerMode;
  private readonly cache: HostCache;
  private readonly finder: HostFinder & { bestFitMany: CapacityIndex['bestFitMany']; worstFitMany: CapacityIndex['worstFitMany'] };
  private readonly index: CapacityIndex | undefined;
  private readonly candidatesFrom: 'index' | 'scan' | 'placement';
  private readonly weighers: readonly Weigher[];
  private readonly filters: readonly HostFilterStage[];
  private readonly hostSubsetSize: number;
  private readonly rng: Rng;
  private readonly maxAttempts: number;
  private readonly placementLimit: number;
  private readonly prefilters: PrefilterOptions;
  private readonly scratch = new WeighScratch();
  private readonly placed = new Map<string, Placed>();
  private readonly unsubscribe: () => void;
  private best = new Int32Array(8);
  /** Decisions made by the indexed path and by placement (for the bench and tests). */
  readonly counters = { indexed: 0, placement: 0 };

  constructor(options: SchedulerOptions) {
    this.engine = options.engine;
    this.mode = options.mode ?? 'weighers';
    this.weighers = options.weighers ?? novaWeighers();
    this.filters = [...(options.filters ?? defaultFilters()), numaTopologyFilter(), pciPassthroughFilter()];
    this.hostSubsetSize = Math.max(1, Math.floor(options.hostSubsetSize ?? 1));
    this.rng = options.rng;
    this.hostState = options.hostState ?? new HostState();
    this.stats = options.stats ?? new HostStats();
    this.aggregates = options.aggregates;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.placementLimit = options.placementLimit ?? 1000;
    this.candidatesFrom = options.candidates ?? 'index';
    this.prefilters = options;
    if (!['weighers', 'pack', 'spread'].includes(this.mode)) throw new SchedulerRequestError(`mode must be weighers, pack or spread, got ${String(this.mode)}`);
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new SchedulerRequestError(`maxAttempts must be an integer ≥ 1, got ${this.maxAttempts}`);
    if (!Number.isInteger(this.placementLimit) || this.placementLimit < 1) throw new SchedulerRequestError(`placementLimit must be an integer ≥ 1, got ${this.placementLimit}`);
    this.cache = new HostCache(this.engine);
    if (this.candidatesFrom === 'scan') {
      this.finder = new ReferenceScan(this.cache.table);
    } else {
      this.index = new CapacityIndex(this.cache.table, options.indexOptions);
      this.finder = this.index;
    }
    // After the cache's own subscription: rows are current when a release is handled here.
    this.unsubscribe = this.engine.onChange((e) => this.followed(e));
  }

  /** Stops following the engine (the scheduler is not usable afterwards). */
  close(): void {
    this.unsubscribe();
    this.cache.close();
    this.index?.detach();
  }

  /** The host table (a cache of the engine; read-only for callers). */
  get table(): HostTable {
    return this.cache.table;
  }

  /** Typed-array bytes of the host table, its index and the cache's unit columns. */
  bytes(): { table: number; index: number; units: number; topologies: number } {
    return {
      table: this.cache.table.memory().totalBytes,
      index: this.index?.bytes() ?? 0,
      units: this.cache.minUnit.byteLength + this.cache.maxUnit.byteLength + this.cache.stepSize.byteLength,
      topologies: this.topologies.bytes(),
    };
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

  /** Re-reads one root provider's row from the engine (the table follows the engine by itself; this forces it). */
  refreshHost(providerUuid: string): void {
    this.cache.refreshHost(providerUuid);
  }

  /** Re-reads every provider (the table follows the engine by itself; this forces it). */
  refreshAll(): void {
    this.cache.refreshAll();
  }

  /** The consumer's host id if this scheduler placed it and it still holds its allocations, else −1. */
  placedOn(consumerUuid: string): number {
    return this.placed.get(consumerUuid)?.host ?? -1;
  }

  /** Deletes a consumer's allocations; its NUMA cells, devices and stats entries are given back. */
  release(consumerUuid: string): void {
    this.engine.deleteAllocations(consumerUuid);
  }

  // ---------------------------------------------------------------------------- consolidation

  /**
   * Proposes live migrations that empty the least-loaded hosts (consolidation/planner.ts), each
   * re-placed through this scheduler's hard constraints as a new placement of the instance would be
   * (forced host and avoidHosts aside, which a move resets as Nova does). Changes nothing. Only for
   * worlds the host table answers alone (ConsolidationUnsupportedError otherwise).
   */
  planConsolidation(options: ConsolidationOptions = {}): ConsolidationPlan<string> {
    this.requireFlat();
    return planConsolidation(new SchedulerWorld(this.internals()), options);
  }

  /**
   * Starts moving a placed instance to another host with Placement's migration semantics (move.ts):
   * the destination is checked against every hard constraint of the instance now (MoveRefusedError,
   * with the reason, when it fails one), its NUMA cells and devices are claimed, and one
   * multi-consumer write gives the instance the destination while a migration consumer holds the
   * source. Nothing changes when it throws.
   */
  startMove(consumerUuid: string, toHostUuid: string, options: StartMoveOptions = {}): Move {
    this.requireFlat();
    const r = this.placed.get(consumerUuid);
    if (r === undefined) throw new MoveStateError(`consumer ${consumerUuid} was not placed by this scheduler or holds no allocations`);
    if (r.migrationOf !== undefined) throw new MoveStateError(`${consumerUuid} is the migration consumer of ${r.migrationOf}, not an instance`);
    if (r.migration !== undefined) throw new MoveStateError(`${consumerUuid} is already being moved (migration ${r.migration})`);
    const to = this.cache.hostId(toHostUuid);
    if (to < 0) throw new MoveRefusedError(`${toHostUuid} is not a host`);
    const from = r.host;
    if (to === from) throw new MoveRefusedError(`${consumerUuid} is already on ${toHostUuid}`);
    const t = this.cache.table;
    const draining = new DrainingState(this.hostState, t.count);
    for (const u of options.draining ?? []) {
      const h = this.cache.hostId(u);
      if (h === to) throw new MoveRefusedError(`${consumerUuid} cannot move to ${toHostUuid}: the host is being drained`);
      if (h >= 0) draining.set(h, true);
    }
    const filter = this.replacementFilter(consumerUuid, draining.state);
    if (filter === undefined) throw new ConsolidationUnsupportedError(`the request of ${consumerUuid} needs the placement path: moves are for what the host table answers`);
    if (!t.fits(to, r.prepared.need) || !passesFilter(t, to, { ...filter, excludedHosts: [from] })) {
      throw new MoveRefusedError(`${consumerUuid} cannot move to ${toHostUuid}: ${this.explainReplacement(consumerUuid, Int32Array.of(to), draining.state)}`);
    }
    const held = this.engine.getConsumerAllocations(consumerUuid);
    if (held === undefined) throw new MoveStateError(`consumer ${consumerUuid} holds no allocations`);
    const migrationUuid = options.migrationUuid ?? randomUUID();
    if (this.engine.getConsumerAllocations(migrationUuid) !== undefined || this.placed.has(migrationUuid)) {
      throw new MoveStateError(`migration consumer ${migrationUuid} already holds allocations`);
    }
    const source: Record<string, Resources> = {};
    for (const [rp, a] of Object.entries(held.allocations)) source[rp] = { ...a.resources };
    const destination: Record<string, Resources> = { [toHostUuid]: { ...r.prepared.request.resources } };
    const topology = this.topologies.claim(to, r.prepared.plan);
    if (topology === undefined) throw new MoveRefusedError(`${consumerUuid} cannot move to ${toHostUuid}: its NUMA cells or devices no longer fit there`);
    // Registered before the write, whose echo in the change log must find them.
    this.placed.set(migrationUuid, { host: from, group: r.group, topology: r.topology, prepared: r.prepared, migrationOf: consumerUuid });
    this.placed.set(consumerUuid, { host: to, group: r.group, topology, prepared: r.prepared, migration: migrationUuid });
    try {
      this.engine.setAllocationsMany([
        { consumerUuid: migrationUuid, allocations: source, projectId: held.projectId, userId: held.userId, consumerGeneration: null, consumerType: 'MIGRATION' },
        { consumerUuid, allocations: destination, projectId: held.projectId, userId: held.userId, consumerGeneration: held.consumerGeneration, consumerType: held.consumerType },
      ]);
    } catch (e) {
      this.placed.set(consumerUuid, r);
      this.placed.delete(migrationUuid);
      this.topologies.release(topology);
      throw new MoveRefusedError(`placement refused moving ${consumerUuid} to ${toHostUuid} (${isTstackError(e) ? e.code : 'error'}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    this.stats.setInstances(to, (this.stats.instances[to] ?? 0) + 1);
    if (r.group !== undefined) this.stats.addGroupMember(r.group.id, to, 1);
    return { consumerUuid, migrationUuid, from, to, fromUuid: this.cache.hostUuid(from), toUuid: toHostUuid, source, destination };
  }

  /** The move is done: the migration consumer's allocations are deleted, the source's cells, devices and counts given back. */
  completeMove(move: Move): void {
    const r = this.placed.get(move.consumerUuid);
    if (r === undefined || r.migration !== move.migrationUuid) throw new MoveStateError(`no move of ${move.consumerUuid} by migration ${move.migrationUuid} is in progress`);
    // The change log's echo of the delete gives back the source (forget of the migration consumer).
    if (this.engine.getConsumerAllocations(move.migrationUuid) !== undefined) this.engine.deleteAllocations(move.migrationUuid);
    else this.forget(move.migrationUuid);
    this.placed.set(move.consumerUuid, { host: r.host, group: r.group, topology: r.topology, prepared: r.prepared });
  }

  /**
   * The move is called off: one multi-consumer write gives the source's allocations back to the
   * instance and empties the migration consumer; the destination's cells, devices and counts are
   * given back. MoveStateError when the move is not in progress or its source is no longer held.
   */
  abortMove(move: Move): void {
    const r = this.placed.get(move.consumerUuid);
    if (r === undefined || r.migration !== move.migrationUuid) throw new MoveStateError(`no move of ${move.consumerUuid} by migration ${move.migrationUuid} is in progress`);
    const m = this.placed.get(move.migrationUuid);
    const heldM = this.engine.getConsumerAllocations(move.migrationUuid);
    const held = this.engine.getConsumerAllocations(move.consumerUuid);
    if (m === undefined || heldM === undefined || held === undefined) {
      throw new MoveStateError(`the source of ${move.consumerUuid} is no longer held by migration ${move.migrationUuid}: the move cannot be undone`);
    }
    const source: Record<string, Resources> = {};
    for (const [rp, a] of Object.entries(heldM.allocations)) source[rp] = { ...a.resources };
    // Re-keyed before the write: its echo then finds no migration consumer to forget.
    this.placed.set(move.consumerUuid, { host: m.host, group: r.group, topology: m.topology, prepared: r.prepared });
    this.placed.delete(move.migrationUuid);
    try {
      this.engine.setAllocationsMany([
        { consumerUuid: move.consumerUuid, allocations: source, projectId: held.projectId, userId: held.userId, consumerGeneration: held.consumerGeneration, consumerType: held.consumerType },
        { consumerUuid: move.migrationUuid, allocations: {}, projectId: heldM.projectId, userId: heldM.userId, consumerGeneration: heldM.consumerGeneration },
      ]);
    } catch (e) {
      this.placed.set(move.consumerUuid, r);
      this.placed.set(move.migrationUuid, m);
      throw new MoveRefusedError(`placement refused restoring ${move.consumerUuid} to its source (${isTstackError(e) ? e.code : 'error'})`, { cause: e });
    }
    if (r.topology !== undefined) this.topologies.release(r.topology);
    this.stats.setInstances(r.host, Math.max(0, (this.stats.instances[r.host] ?? 0) - 1));
    if (r.group !== undefined) this.stats.addGroupMember(r.group.id, r.host, -1);
  }

  private requireFlat(): void {
    if (!this.cache.flat) {
      throw new ConsolidationUnsupportedError('consolidation needs every provider tree to be one provider and no sharing provider (the host table must answer alone)');
    }
  }

  private internals(): SchedulerInternals {
    return {
      table: this.cache.table,
      finder: this.finder,
      hostState: this.hostState,
      stats: this.stats,
      topologies: this.topologies,
      engine: this.engine,
      hostUuid: (h) => this.cache.hostUuid(h),
      record: (c) => {
        const r = this.placed.get(c);
        if (r === undefined) return undefined;
        return {
          host: r.host,
          need: r.prepared.need,
          plan: r.prepared.plan,
          topology: r.topology,
          group: r.group,
          inMove: r.migration !== undefined || r.migrationOf !== undefined,
        };
      },
      replacementFilter: (c, state) => this.replacementFilter(c, state),
      explainReplacement: (c, hosts, state) => this.explainReplacement(c, hosts, state),
    };
  }

  /**
   * The hard constraints of re-placing a placed consumer off its host, as the indexed path's filter
   * under `hostState`. A move resets the forced host and the hosts to avoid (Nova's
   * reset_forced_destinations); everything else is the original request's.
   */
  private replacementFilter(consumerUuid: string, hostState: HostState): HostFilter | undefined {
    const r = this.placed.get(consumerUuid);
    if (r === undefined) return undefined;
    let p = r.prepared;
    if (p.request.forceHost !== undefined || p.avoid.size > 0) {
      const request = { ...p.request, forceHost: undefined, avoidHosts: undefined };
      p = { ...p, request, query: this.queryOf(request), avoid: NO_HOSTS };
    }
    const g = r.group;
    // Its own membership on the source must not pin an affinity group it is alone in; the
    // filter's plan is bound with it left out (other members on the source still pin the group).
    const own = g !== undefined && g.policy === 'affinity' && this.stats.groupMembersOn(g.id, r.host) > 0;
    if (own) this.stats.addGroupMember(g.id, r.host, -1);
    try {
      return this.fastFilter(p, hostState);
    } finally {
      if (own) this.stats.addGroupMember(g.id, r.host, 1);
    }
  }

  /** Why none of `hosts` accepts the placed consumer: capacity, then placement's rules, then per filter stage. */
  private explainReplacement(consumerUuid: string, hosts: Int32Array, hostState: HostState): string {
    const r = this.placed.get(consumerUuid);
    if (r === undefined) return `consumer ${consumerUuid} is not placed by this scheduler`;
    const t = this.cache.table;
    const need = r.prepared.need;
    const parts: string[] = [];
    const short = new Array<number>(t.dims).fill(0);
    const fitting: number[] = [];
    for (const h of hosts) {
      if (h === r.host) continue;
      let fits = true;
      for (let d = 0; d < t.dims; d++) {
        if ((need[d] as number) > 0 && t.free(h, d) < (need[d] as number)) {
          short[d] = (short[d] as number) + 1;
          fits = false;
        }
      }
      if (fits) fitting.push(h);
    }
    short.forEach((k, d) => {
      if (k > 0) parts.push(`${k} with less than ${need[d]} ${t.dimensions[d]} free`);
    });
    const filter = this.replacementFilter(consumerUuid, hostState);
    const rest: number[] = [];
    for (const h of fitting) if (filter === undefined || passesFilter(t, h, { ...filter, accept: undefined })) rest.push(h);
    if (rest.length < fitting.length) parts.push(`${fitting.length - rest.length} refused by placement's rules (disabled, traits, aggregates)`);
    const result = runFilters(this.filters, Int32Array.from(rest), this.filterContext(r.prepared.filterRequest, hostState));
    parts.push(explainNoValidHost(result));
    return parts.join('; ');
  }

  schedule(request: ScheduleRequest): ScheduleResult {
    const consumers = this.checkRequest(request);
    const p = this.prepare(request);
    const claimed: Selection[] = [];
    const alternates: string[][] = [];
    try {
      for (let i = 0; i < request.instances; i++) {
        const consumerUuid = consumers[i] as string;
        // Bound per instance: the filters' plans see the members the earlier instances added.
        const filter = this.fastFilter(p);
        const failures: string[] = [];
        const fast = filter === undefined ? undefined : this.placeIndexed(p, filter, consumerUuid, failures);
        if (fast !== undefined) {
          claimed.push(fast.selection);
          alternates.push(fast.alternates);
          continue;
        }
        const slow = this.placeByPlacement(p, consumerUuid, i, failures);
        claimed.push(slow.selection);
        alternates.push(slow.alternates);
      }
    } catch (e) {
      for (let i = claimed.length - 1; i >= 0; i--) this.engine.deleteAllocations((claimed[i] as Selection).consumerUuid);
      throw e;
    }
    return { selections: claimed, alternates };
  }

  /** The placement query of a request (what step 1 sends; also in the NoValidHost message when it finds nothing). */
  queryOf(request: ScheduleRequest): CandidateQuery {
    return buildQuery(request, this.prefilters, this.placementLimit, this.aggregates, (id) => this.cache.aggregateUuid(id));
  }

  // ---------------------------------------------------------------------------- preparing

  private prepare(request: ScheduleRequest): Prepared {
    const need = new Float64Array(HOST_DIMENSIONS.length);
    for (let d = 0; d < HOST_DIMENSIONS.length; d++) need[d] = request.resources[HOST_DIMENSIONS[d] as string] ?? 0;
    const query = this.queryOf(request);
    this.checkTopology(request);
    const pci = request.pciRequests;
    const plan = this.topologies.plan(request.numaTopology, pci ?? []);
    const numaPlan = pci === undefined || pci.length === 0 ? plan : this.topologies.plan(request.numaTopology, []);
    const filterRequest: FilterRequest = {
      need,
      serverGroup: request.serverGroup,
      image: request.image,
      extraSpecs: request.extraSpecs,
      projectId: request.projectId,
      numaPlan,
      topologyPlan: plan,
    };
    const weighRequest: WeighRequest = { need, serverGroup: request.serverGroup };
    const avoid: ReadonlySet<string> = request.avoidHosts === undefined || request.avoidHosts.length === 0 ? NO_HOSTS : new Set(request.avoidHosts);
    return { request, query, need, filterRequest, weighRequest, plan, avoid };
  }

  private checkTopology(request: ScheduleRequest): void {
    const guest = request.numaTopology;
    if (guest === undefined) return;
    let shared = 0;
    let dedicated = 0;
    let memory = 0;
    for (const c of guest.cells) {
      const d = dedicatedCount(c);
      dedicated += d;
      shared += c.cpus - d;
      memory += c.memoryMb;
    }
    const r = request.resources;
    const want: [string, number][] = [
      ['VCPU', shared],
      ['PCPU', dedicated],
      ['MEMORY_MB', memory],
    ];
    for (const [rc, n] of want) {
      if ((r[rc] ?? 0) !== n) throw new SchedulerRequestError(`the NUMA cells ask ${n} ${rc} but resources.${rc} is ${r[rc] ?? 0}`);
    }
  }

  /**
   * The indexed path's filter: placement's rules for a flat world on the table's columns, then every
   * filter stage's per-host form. Undefined when the table cannot answer the request alone.
   */
  private fastFilter(p: Prepared, hostState: HostState = this.hostState): HostFilter | undefined {
    if (this.candidatesFrom === 'placement' || !this.cache.flat) return undefined;
    const q = p.query;
    const group = q.groups[0];
    if (q.groups.length !== 1 || group === undefined || q.sameSubtree !== undefined || (q.rootRequired?.length ?? 0) > 0) return undefined;
    for (const [rc, n] of Object.entries(group.resources ?? {})) if (n > 0 && !HOST_DIMENSIONS.includes(rc)) return undefined;
    if ((group.forbiddenAggregates?.length ?? 0) > 0) return undefined;
    const requiredTraits: number[] = [];
    const anyOfTraits: number[][] = [];
    for (const anyOf of group.required ?? []) {
      const ids = anyOf.map((t) => this.cache.knownTraitId(t)).filter((t) => t >= 0);
      if (ids.length === 0) return undefined; // no host has it: placement explains the NoValidHost
      if (ids.length === 1) requiredTraits.push(ids[0] as number);
      else anyOfTraits.push(ids);
    }
    const forbiddenTraits = (group.forbidden ?? []).map((t) => this.cache.knownTraitId(t)).filter((t) => t >= 0);
    const memberOf = (group.memberOf ?? []).map((anyOf) => anyOf.map((u) => this.cache.aggregateId(u)));
    const inTree = group.inTree === undefined ? -1 : this.cache.hostId(group.inTree);
    if (group.inTree !== undefined && inTree < 0) return undefined;
    const stages: ((host: number) => boolean)[] = [];
    const ctx = this.filterContext(p.filterRequest, hostState);
    for (const s of this.filters) {
      if (s.bind === undefined) return undefined;
      const f = s.bind(ctx);
      if (f !== undefined) stages.push(f);
    }
    const excluded: number[] = [];
    for (const u of p.avoid) {
      const h = this.cache.hostId(u);
      if (h >= 0) excluded.push(h);
    }
    const need = p.need;
    const cache = this.cache;
    const extraAggs = memberOf.slice(1);
    const accept = (h: number): boolean => {
      if (inTree >= 0 && h !== inTree) return false;
      if (!cache.unitsAllow(h, need)) return false;
      for (let i = 0; i < anyOfTraits.length; i++) {
        const ids = anyOfTraits[i] as number[];
        let any = false;
        for (let j = 0; j < ids.length && !any; j++) any = cache.table.hasTrait(h, ids[j] as number);
        if (!any) return false;
      }
      for (let i = 0; i < extraAggs.length; i++) {
        const ids = extraAggs[i] as number[];
        let any = false;
        for (let j = 0; j < ids.length && !any; j++) any = cache.table.inAggregate(h, ids[j] as number);
        if (!any) return false;
      }
      for (let i = 0; i < stages.length; i++) if (!(stages[i] as (host: number) => boolean)(h)) return false;
      return true;
    };
    return {
      requiredTraits,
      forbiddenTraits,
      ...(memberOf.length > 0 ? { aggregatesAnyOf: memberOf[0] as number[] } : {}),
      excludedHosts: excluded,
      accept,
    };
  }

  private filterContext(request: FilterRequest, hostState: HostState = this.hostState): FilterContext {
    return {
      table: this.cache.table,
      hostState,
      stats: this.stats,
      topologies: this.topologies,
      ...(this.aggregates === undefined ? {} : { aggregates: this.aggregates }),
      request,
    };
  }

  // ---------------------------------------------------------------------------- indexed path

  /** One instance by the indexed path; undefined when it finds no host (placement then decides and explains). */
  private placeIndexed(p: Prepared, filter: HostFilter, consumerUuid: string, failures: string[]): { selection: Selection; alternates: string[] } | undefined {
    let order: ArrayLike<number>;
    if (this.mode === 'weighers') {
      const hosts: number[] = [];
      this.finder.forEachFit(p.need, filter, (h) => {
        hosts.push(h);
      });
      order = weighCandidates(Int32Array.from(hosts), this.weighers, { table: this.cache.table, stats: this.stats }, p.weighRequest, this.scratch).order;
    } else {
      const k = this.hostSubsetSize + this.maxAttempts - 1;
      if (this.best.length < k) this.best = new Int32Array(k);
      const n =
        this.mode === 'pack' ? this.finder.bestFitMany(p.need, filter, k, this.best) : this.finder.worstFitMany(p.need, filter, k, this.best);
      order = this.best.subarray(0, n);
    }
    if (order.length === 0) return undefined;
    const picked = pickFromBest(order, this.hostSubsetSize, this.rng);
    const attempts = [picked];
    for (let i = 0; i < order.length; i++) if (order[i] !== picked) attempts.push(order[i] as number);
    for (let a = 0; a < attempts.length && a < this.maxAttempts; a++) {
      const host = attempts[a] as number;
      const uuid = this.cache.hostUuid(host);
      const selection = this.claim(consumerUuid, host, { [uuid]: { ...p.request.resources } }, p, failures);
      if (selection === undefined) continue;
      this.counters.indexed++;
      return { selection, alternates: attempts.slice(a + 1, a + this.maxAttempts).map((h) => this.cache.hostUuid(h)) };
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------- placement path

  /** One instance by placement; `failures` holds the indexed path's failed claims, which count against maxAttempts. */
  private placeByPlacement(p: Prepared, consumerUuid: string, instance: number, failures: string[]): { selection: Selection; alternates: string[] } {
    const { hosts, requests, candidates, spanning } = this.candidateHosts(p.query);
    const ids: number[] = [];
    let avoided = 0;
    for (const h of hosts) {
      if (p.avoid.has(this.cache.hostUuid(h))) avoided++;
      else ids.push(h);
    }
    const filtered = runFilters(this.filters, Int32Array.from(ids), this.filterContext(p.filterRequest));
    const order = this.rank(filtered.hosts, p);
    const tries = this.maxAttempts - failures.length;
    const picked = tries > 0 ? pickFromBest(order, this.hostSubsetSize, this.rng) : -1;
    if (picked >= 0) {
      const attempts = [picked, ...[...order].filter((h) => h !== picked)];
      for (let a = 0; a < attempts.length && a < tries; a++) {
        const host = attempts[a] as number;
        const ar = requests.get(host) as AllocationRequest;
        const allocations: Record<string, Resources> = {};
        for (const [rp, x] of Object.entries(ar.allocations)) allocations[rp] = { ...x.resources };
        const selection = this.claim(consumerUuid, host, allocations, p, failures);
        if (selection === undefined) continue;
        this.counters.placement++;
        return { selection, alternates: attempts.slice(a + 1, a + this.maxAttempts).map((h) => this.cache.hostUuid(h)) };
      }
    }
    const message = this.explain(instance, p.request.instances, p.query, candidates, spanning, avoided, filtered, failures);
    throw new NoValidHostError(message, { instance, instances: p.request.instances, placementCandidates: candidates, filterResult: filtered });
  }

  /** Step 4 on the placement path: the candidates best first. */
  private rank(hosts: Int32Array, p: Prepared): Int32Array {
    if (this.mode === 'weighers') {
      return weighCandidates(hosts, this.weighers, { table: this.cache.table, stats: this.stats }, p.weighRequest, this.scratch).order;
    }
    const t = this.cache.table;
    const score = new Float64Array(t.count);
    for (const h of hosts) score[h] = placementScore(t, h, p.need);
    const pack = this.mode === 'pack';
    return Int32Array.from(hosts).sort((a, b) => {
      const sa = score[a] as number;
      const sb = score[b] as number;
      if (sa !== sb) return pack ? sa - sb : sb - sa;
      return a - b;
    });
  }

  private checkRequest(request: ScheduleRequest): string[] {
    const n = request.instances;
    if (!Number.isInteger(n) || n < 1) throw new SchedulerRequestError(`instances must be an integer ≥ 1, got ${n}`);
    if (Object.keys(request.resources).length === 0) throw new SchedulerRequestError('a request needs resources');
    let consumers: string[];
    if (request.consumerUuids === undefined) {
      consumers = [];
      for (let i = 0; i < n; i++) consumers.push(randomUUID());
    } else {
      consumers = [...request.consumerUuids];
      if (consumers.length !== n) throw new SchedulerRequestError(`${consumers.length} consumer uuids for ${n} instances`);
      if (new Set(consumers).size !== n) throw new SchedulerRequestError('consumer uuids must be distinct');
      for (const c of consumers) {
        const existing = this.engine.getConsumerAllocations(c);
        if (existing !== undefined && Object.keys(existing.allocations).length > 0) {
          throw new SchedulerRequestError(`consumer ${c} already holds allocations`);
        }
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
      if (host < 0) host = this.cache.refreshHost(root);
      if (host < 0 || requests.has(host)) continue;
      requests.set(host, ar);
      hosts.push(host);
    }
    return { hosts, requests, candidates: allocationRequests.length, spanning };
  }

  // ---------------------------------------------------------------------------- claim and release

  /**
   * Step 5 for one host: NUMA cells and devices, then placement. Undefined (and a line in
   * `failures`) when either refuses for a reason worth another host.
   */
  private claim(consumerUuid: string, host: number, allocations: Record<string, Resources>, p: Prepared, failures: string[]): Selection | undefined {
    const hostUuid = this.cache.hostUuid(host);
    const topology = this.topologies.claim(host, p.plan);
    if (topology === undefined) {
      failures.push(`NUMA/PCI claim on ${hostUuid} refused (the host's cells or devices changed)`);
      return undefined;
    }
    const request = p.request;
    // Registered before the write so that the change log's echo of it finds the claim.
    this.placed.set(consumerUuid, { host, group: request.serverGroup, topology, prepared: p });
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
      this.placed.delete(consumerUuid);
      this.topologies.release(topology);
      if (!isTstackError(e) || !RETRYABLE.has(e.code)) throw e;
      failures.push(`claim on ${hostUuid} refused (${e.code}: ${e.message})`);
      return undefined;
    }
    this.stats.setInstances(host, (this.stats.instances[host] ?? 0) + 1);
    if (request.serverGroup !== undefined) this.stats.addGroupMember(request.serverGroup.id, host, 1);
    return {
      consumerUuid,
      hostUuid,
      allocations,
      ...(topology.fit === undefined ? {} : { numaFit: topology.fit }),
      ...(topology.pci.length === 0 ? {} : { devices: topology.pci }),
    };
  }

  /** The change log: a consumer this scheduler placed lost its allocations (deleted by anyone) → give back the rest. */
  private followed(entry: ChangeEntry): void {
    const op = entry.op;
    if (this.placed.size === 0) return;
    if (op.type === 'deleteAllocations') this.forget(op.consumerUuid);
    else if (op.type === 'writeAllocations' || op.type === 'reshape') {
      const writes = op.type === 'writeAllocations' ? op.consumers : op.allocations;
      for (const c of writes) if (Object.keys(c.allocations).length === 0) this.forget(c.consumerUuid);
    }
  }

  private forget(consumerUuid: string): void {
    const p = this.placed.get(consumerUuid);
    if (p === undefined) return;
    this.placed.delete(consumerUuid);
    if (p.topology !== undefined) this.topologies.release(p.topology);
    this.stats.setInstances(p.host, Math.max(0, (this.stats.instances[p.host] ?? 0) - 1));
    if (p.group !== undefined) this.stats.addGroupMember(p.group.id, p.host, -1);
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
