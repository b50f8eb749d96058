import type { Rng } from '../../common/rng.js';
import { shuffleInPlace } from '../../common/rng.js';
import type { PlacementEngine } from './engine.js';
import { PlacementBadQueryError, PlacementInvalidError, PlacementMissingQueryValueError } from './errors.js';
import type { InventoryColumn } from './inventory-table.js';
import { NO_PROVIDER } from './provider-table.js';
import type { Resources } from './types.js';

/** One request group: the unsuffixed one has `suffix: ''`. */
export interface RequestGroup {
  suffix: string;
  resources?: Resources;
  /** All of these any-of lists must be met (`required=A,B` is [[A],[B]]; `in:A,B` is [[A,B]]). */
  required?: readonly (readonly string[])[];
  forbidden?: readonly string[];
  /** All of these any-of lists of aggregate uuids must be met. */
  memberOf?: readonly (readonly string[])[];
  forbiddenAggregates?: readonly string[];
  inTree?: string;
}

export interface CandidateQuery {
  groups: readonly RequestGroup[];
  /** Required when more than one suffixed group is given. */
  groupPolicy?: 'none' | 'isolate';
  limit?: number;
  rootRequired?: readonly string[];
  rootForbidden?: readonly string[];
  /** Lists of suffixes whose providers must share a subtree. */
  sameSubtree?: readonly (readonly string[])[];
  /** Seeded random order (Placement's randomize_allocation_candidates); deterministic when absent. */
  rng?: Rng;
}

/**
 * One way to satisfy the query. Read-only: parts of it are shared between requests of one answer
 * (the per-provider resources when every group lands on one provider), so copy before changing.
 */
export interface AllocationRequest {
  readonly allocations: Readonly<Record<string, { readonly resources: Readonly<Resources> }>>;
  /**
   * Suffix → providers that satisfied that group ('' is the unsuffixed group). Every provider of
   * `allocations` serves some group, so is named here (the answer's JSON writer relies on it).
   */
  readonly mappings: Readonly<Record<string, readonly string[]>>;
}

/** Read-only and shared: the engine hands out the same object until the provider changes. */
export interface ProviderSummary {
  readonly resources: Readonly<Record<string, { readonly capacity: number; readonly used: number }>>;
  readonly traits: readonly string[];
  readonly parentProviderUuid: string | null;
  readonly rootProviderUuid: string;
}

export interface CandidateResult {
  allocationRequests: AllocationRequest[];
  providerSummaries: Record<string, ProviderSummary>;
}

/**
 * The same answer before it is dressed as objects, for a writer that serialises it straight
 * away (the HTTP handler): most requests of most answers put the one unsuffixed group on one
 * provider, and are given as that provider's uuid instead of two objects and an array each.
 */
export interface CandidateList {
  /**
   * Answer order. A uuid stands for `{allocations: {uuid: together}, mappings: {'': [uuid]}}`
   * (only when the query is one unsuffixed group).
   */
  readonly requests: readonly (string | AllocationRequest)[];
  /** Every group's resources on one provider: shared by the uuid-form requests. */
  readonly together: { readonly resources: Readonly<Resources> };
  /** Summaries in answer order, uuids beside their (shared, read-only) summary objects. */
  readonly summaryUuids: readonly string[];
  readonly summaries: readonly ProviderSummary[];
}

const SHARES_TRAIT = 'MISC_SHARES_VIA_AGGREGATE';
const SUFFIX = /^[a-zA-Z0-9_-]{1,64}$/;
/** A requirement's eligible list on the flat path, where only its length is read. */
const NO_SLOTS: number[] = [];
const EMPTY: CandidateList = Object.freeze({ requests: [], together: Object.freeze({ resources: Object.freeze({}) }), summaryUuids: [], summaries: [] });

/** A group with names resolved to ids and its eligible providers found. */
interface Group {
  suffix: string;
  granular: boolean;
  rcs: number[];
  amounts: number[];
  cols: InventoryColumn[];
  required: number[][];
  forbidden: number[];
  memberOf: number[][];
  forbiddenAggs: number[];
  inTreeRoot: number;
  /** Unsuffixed: one eligible list per resource class; granular: one list. */
  eligible: Uint8Array[];
  lists: number[][];
  /** First requirement bit of this group in the anchor mask. */
  bit: number;
}

/**
 * GET /allocation_candidates over the engine's state, with Placement's 1.39 semantics: the
 * unsuffixed group may spread its resource classes over one tree and the sharing providers
 * anchored to it; each suffixed group is met by one provider; groups of a candidate share an
 * anchor tree. See README's placement section for the rules in full.
 */
export function findAllocationCandidates(engine: PlacementEngine, query: CandidateQuery, paths: CandidatePaths = 'fastest'): CandidateResult {
  return candidateResult(listAllocationCandidates(engine, query, paths));
}

/** The same, as a CandidateList. */
export function listAllocationCandidates(engine: PlacementEngine, query: CandidateQuery, paths: CandidatePaths = 'fastest'): CandidateList {
  return new QueryContext(engine, query, paths).run();
}

/** A CandidateList dressed as objects. */
export function candidateResult(list: CandidateList): CandidateResult {
  const allocationRequests = list.requests.map((r) => (typeof r === 'string' ? singleRequest(r, list.together) : r));
  // Keyed by uuid without a prototype: V8 keeps it as a hash map, not a hidden class per uuid.
  const providerSummaries = Object.create(null) as Record<string, ProviderSummary>;
  for (let i = 0; i < list.summaryUuids.length; i++) providerSummaries[list.summaryUuids[i] as string] = list.summaries[i] as ProviderSummary;
  return { allocationRequests, providerSummaries };
}

function singleRequest(uuid: string, together: CandidateList['together']): AllocationRequest {
  const allocations = Object.create(null) as Record<string, { readonly resources: Readonly<Resources> }>;
  allocations[uuid] = together;
  return { allocations, mappings: { '': [uuid] } };
}

/** 'general' skips the flat-world fast path: for tests that hold the two paths to one answer. */
export type CandidatePaths = 'fastest' | 'general';

class QueryContext {
  private readonly p: PlacementEngine['providers'];
  private readonly groups: Group[] = [];
  private readonly sharing = new Set<number>();
  private readonly anchorsOfSharing = new Map<number, number[]>();
  /** Anchor root → sharing providers (outside its tree) that may serve it. */
  private readonly sharedInto = new Map<number, number[]>();
  private rootRequired: number[] = [];
  private rootForbidden: number[] = [];
  private sameSubtree: number[][] = [];
  private isolate = false;
  private empty = false;
  /** One unsuffixed group without required traits: every combination is acceptable as built. */
  private onlyUnsuffixedPlain = false;

  constructor(
    private readonly engine: PlacementEngine,
    private readonly query: CandidateQuery,
    private readonly paths: CandidatePaths,
  ) {
    this.p = engine.providers;
    this.resolve();
  }

  // -------------------------------------------------------------- resolving the query

  private resolve(): void {
    const { engine, query } = this;
    if (query.groups === undefined || query.groups.length === 0) {
      throw new PlacementBadQueryError('At least one request group (resources) is required.');
    }
    const suffixes = new Set<string>();
    for (const g of query.groups) {
      if (g.suffix !== '' && !SUFFIX.test(g.suffix)) throw new PlacementBadQueryError(`Invalid request group suffix ${JSON.stringify(g.suffix)}.`);
      if (suffixes.has(g.suffix)) throw new PlacementBadQueryError(`Request group suffix ${JSON.stringify(g.suffix)} given twice.`);
      suffixes.add(g.suffix);
    }
    const sameSubtree = (query.sameSubtree ?? []).map((list) => {
      if (list.length === 0) throw new PlacementBadQueryError('same_subtree needs at least one suffix.');
      return list.map((s) => {
        if (s === '') throw new PlacementBadQueryError('same_subtree cannot name the unsuffixed group.');
        if (!suffixes.has(s)) throw new PlacementBadQueryError(`same_subtree names ${JSON.stringify(s)}, which is not a request group suffix.`);
        return s;
      });
    });
    const inSameSubtree = new Set(sameSubtree.flat());
    const granularCount = query.groups.filter((g) => g.suffix !== '').length;
    if (granularCount > 1 && query.groupPolicy === undefined) {
      throw new PlacementBadQueryError('The group_policy parameter is required when specifying more than one "resources{N}" parameter.');
    }
    if (query.groupPolicy !== undefined && query.groupPolicy !== 'none' && query.groupPolicy !== 'isolate') {
      throw new PlacementBadQueryError('group_policy must be "none" or "isolate".');
    }
    this.isolate = query.groupPolicy === 'isolate';
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1)) {
      throw new PlacementBadQueryError('limit must be a positive integer.');
    }
    if (query.groups.every((g) => Object.keys(g.resources ?? {}).length === 0)) {
      throw new PlacementMissingQueryValueError('At least one request group must ask for resources.');
    }
    for (const g of query.groups) {
      const entries = Object.entries(g.resources ?? {});
      if (entries.length === 0) {
        if (g.suffix === '') throw new PlacementBadQueryError('The unsuffixed request group needs resources.');
        if (!inSameSubtree.has(g.suffix)) {
          throw new PlacementBadQueryError(`Resourceless suffixed group request should be specified in same_subtree query param: ${g.suffix}.`);
        }
      }
      const rcs: number[] = [];
      const amounts: number[] = [];
      for (const [name, amount] of entries) {
        const rc = engine.resourceClasses.id(name);
        if (rc === undefined) throw new PlacementInvalidError(`Invalid resource class in resources parameter: ${name}.`);
        if (!Number.isInteger(amount) || amount < 1) throw new PlacementBadQueryError(`Resource amounts must be positive integers: ${name}.`);
        rcs.push(rc);
        amounts.push(amount);
      }
      const required = (g.required ?? []).map((anyOf) => anyOf.map((t) => this.traitId(t)));
      const forbidden = (g.forbidden ?? []).map((t) => this.traitId(t));
      for (const anyOf of required) {
        if (anyOf.length > 0 && anyOf.every((t) => forbidden.includes(t))) {
          throw new PlacementBadQueryError(`Conflicting required and forbidden traits in group ${JSON.stringify(g.suffix)}.`);
        }
      }
      let inTreeRoot = NO_PROVIDER;
      if (g.inTree !== undefined) {
        const s = this.p.slotOf(g.inTree);
        if (s === undefined) this.empty = true;
        else inTreeRoot = this.p.root[s] as number;
      }
      const memberOf = (g.memberOf ?? []).map((anyOf) => anyOf.map((u) => this.p.aggregateIds.get(u) ?? -1));
      // An any-of list of aggregates nobody is in can match nothing.
      if (memberOf.some((anyOf) => anyOf.every((a) => a < 0 || (this.p.aggregateMembers[a]?.size ?? 0) === 0))) this.empty = true;
      this.groups.push({
        suffix: g.suffix,
        granular: g.suffix !== '',
        rcs,
        amounts,
        cols: [],
        required,
        forbidden,
        memberOf,
        forbiddenAggs: (g.forbiddenAggregates ?? []).map((u) => this.p.aggregateIds.get(u) ?? -1).filter((a) => a >= 0),
        inTreeRoot,
        eligible: [],
        lists: [],
        bit: 0,
      });
    }
    const only = this.groups.length === 1 ? this.groups[0] : undefined;
    this.onlyUnsuffixedPlain = only !== undefined && !only.granular && only.required.length === 0 && sameSubtree.length === 0;
    this.sameSubtree = sameSubtree.map((list) => list.map((s) => this.groups.findIndex((g) => g.suffix === s)));
    this.rootRequired = (query.rootRequired ?? []).map((t) => this.traitId(t));
    this.rootForbidden = (query.rootForbidden ?? []).map((t) => this.traitId(t));
    if (this.rootRequired.some((t) => this.rootForbidden.includes(t))) {
      throw new PlacementBadQueryError('root_required has a trait both required and forbidden.');
    }
  }

  private traitId(name: string): number {
    const t = this.engine.traits.id(name);
    if (t === undefined) throw new PlacementInvalidError(`No such trait(s): ${name}.`);
    return t;
  }

  // -------------------------------------------------------------- per-provider filters

  private inAny(slot: number, aggs: number[]): boolean {
    for (const a of aggs) if (this.p.inAggregate(slot, a)) return true;
    return false;
  }

  private hasAnyTrait(slot: number, traits: number[]): boolean {
    for (const t of traits) if (this.p.hasTrait(slot, t)) return true;
    return false;
  }

  /** Marks every provider in any of the aggregates. */
  private aggregateMark(aggs: readonly number[]): Uint8Array {
    const mark = new Uint8Array(this.p.slots);
    for (const a of aggs) if (a >= 0) for (const m of this.p.aggregateMembers[a] as Set<number>) mark[m] = 1;
    return mark;
  }

  /**
   * Aggregate and tree rules for one group, as a per-slot verdict, or undefined when the group
   * has none. Computed from aggregate member lists, so its cost follows the aggregates' sizes.
   */
  private placeVerdict(g: Group): Uint8Array | undefined {
    if (g.memberOf.length === 0 && g.forbiddenAggs.length === 0 && g.inTreeRoot === NO_PROVIDER) return undefined;
    const p = this.p;
    const slots = p.slots;
    const clauses = g.memberOf.map((anyOf) => this.aggregateMark(anyOf));
    const forbidden = g.forbiddenAggs.length > 0 ? this.aggregateMark(g.forbiddenAggs) : undefined;
    const inAll = (slot: number): boolean => {
      for (const c of clauses) if (c[slot] !== 1) return false;
      return true;
    };
    const verdict = new Uint8Array(slots);
    for (let s = 0; s < slots; s++) {
      if (!p.alive(s)) continue;
      const root = p.root[s] as number;
      if (g.inTreeRoot !== NO_PROVIDER && root !== g.inTreeRoot) continue;
      if (g.granular || this.sharing.has(s)) {
        // A suffixed group's provider, and a sharing provider, must be in the aggregates itself.
        if (!inAll(s) || forbidden?.[s] === 1) continue;
      } else {
        // In the unsuffixed group an aggregate on the root spans the whole tree.
        if (!inAll(s) && !inAll(root)) continue;
        if (forbidden !== undefined && (forbidden[s] === 1 || forbidden[root] === 1)) continue;
      }
      verdict[s] = 1;
    }
    return verdict;
  }

  private traitsOk(g: Group, slot: number): boolean {
    if (g.forbidden.length > 0 && this.hasAnyTrait(slot, g.forbidden)) return false;
    if (!g.granular) return true; // the unsuffixed group checks required traits per candidate
    for (const anyOf of g.required) if (!this.hasAnyTrait(slot, anyOf)) return false;
    return true;
  }

  private findSharing(): void {
    const p = this.p;
    const shares = this.engine.traits.id(SHARES_TRAIT);
    const shareBits = shares === undefined ? undefined : p.traitBits[shares];
    if (shareBits === undefined) return;
    for (let w = 0; w < shareBits.length; w++) {
      let word = shareBits[w] as number;
      while (word !== 0) {
        const b = 31 - Math.clz32(word & -word);
        word &= word - 1;
        const slot = w * 32 + b;
        if (p.alive(slot)) this.sharing.add(slot);
      }
    }
  }

  /** The groups' inventory columns; false (and empty) when a class is stocked nowhere. */
  private findColumns(): boolean {
    for (const g of this.groups) {
      for (const rc of g.rcs) {
        const col = this.engine.inventories.column(rc);
        if (col === undefined) {
          this.empty = true;
          return false;
        }
        g.cols.push(col);
      }
    }
    return true;
  }

  private findEligible(): void {
    const p = this.p;
    const slots = p.slots;
    for (const g of this.groups) {
      const place = this.placeVerdict(g);
      const checkTraits = g.forbidden.length > 0 || (g.granular && g.required.length > 0);
      // Unsuffixed: one list per class. Suffixed: one list of providers holding every class.
      const passes = g.granular ? 1 : g.rcs.length;
      for (let k = 0; k < passes; k++) {
        const mark = new Uint8Array(slots);
        const list: number[] = [];
        const col = g.cols[k];
        for (let s = 0; s < slots; s++) {
          if (col !== undefined ? col.has[s] !== 1 : !p.alive(s)) continue;
          if (place !== undefined && place[s] !== 1) continue;
          let fits = true;
          if (g.granular) {
            for (let m = 0; m < g.cols.length && fits; m++) fits = (g.cols[m] as InventoryColumn).fits(s, g.amounts[m] as number);
          } else fits = (col as InventoryColumn).fits(s, g.amounts[k] as number);
          if (!fits || (checkTraits && !this.traitsOk(g, s))) continue;
          mark[s] = 1;
          list.push(s);
        }
        if (list.length === 0) this.empty = true;
        g.eligible.push(mark);
        g.lists.push(list);
      }
    }
  }

  private anchorsOf(sharingSlot: number): number[] {
    let anchors = this.anchorsOfSharing.get(sharingSlot);
    if (anchors === undefined) {
      const set = new Set<number>([this.p.root[sharingSlot] as number]);
      for (const a of this.p.aggregates[sharingSlot] ?? []) {
        for (const m of this.p.aggregateMembers[a] as Set<number>) set.add(this.p.root[m] as number);
      }
      anchors = [...set];
      this.anchorsOfSharing.set(sharingSlot, anchors);
      const own = this.p.root[sharingSlot] as number;
      for (const anchor of anchors) {
        if (anchor === own) continue;
        let list = this.sharedInto.get(anchor);
        if (list === undefined) {
          list = [];
          this.sharedInto.set(anchor, list);
        }
        list.push(sharingSlot);
      }
    }
    return anchors;
  }

  /** Roots whose tree (with its anchored sharing providers) can meet every group, ascending. */
  private findAnchors(): number[] {
    let bits = 0;
    for (const g of this.groups) {
      g.bit = bits;
      bits += g.lists.length;
    }
    const words = (bits + 31) >>> 5;
    const mask = new Uint32Array(this.p.slots * words);
    const touched: number[] = [];
    const mark = (root: number, bit: number): void => {
      const base = root * words;
      let fresh = true;
      for (let w = 0; w < words; w++) if (mask[base + w] !== 0) fresh = false;
      if (fresh) touched.push(root);
      mask[base + (bit >>> 5)] = (mask[base + (bit >>> 5)] as number) | (1 << (bit & 31));
    };
    for (const g of this.groups) {
      // in_tree on the unsuffixed group anchors it at that tree only: a sharing provider inside
      // it does not bring in the other trees it shares aggregates with.
      const onlyTree = !g.granular && g.inTreeRoot !== NO_PROVIDER;
      for (let k = 0; k < g.lists.length; k++) {
        const bit = g.bit + k;
        for (const s of g.lists[k] as number[]) {
          if (this.sharing.has(s) && !onlyTree) for (const anchor of this.anchorsOf(s)) mark(anchor, bit);
          else mark(this.p.root[s] as number, bit);
        }
      }
    }
    const full = (w: number): number => (w < words - 1 || bits % 32 === 0 ? 0xffffffff : (1 << (bits % 32)) - 1) >>> 0;
    const anchors: number[] = [];
    for (const root of touched) {
      let ok = true;
      for (let w = 0; w < words && ok; w++) ok = mask[root * words + w] === full(w);
      if (ok && this.rootOk(root)) anchors.push(root);
    }
    return anchors.sort((a, b) => a - b);
  }

  /**
   * The usual query on the usual world, in one pass: one unsuffixed group, and every live
   * provider a root without children, none sharing. Each provider can then only be its own
   * candidate, so the anchors are exactly the providers that pass every rule of the group on
   * their own — what findEligible, findAnchors and accept decide together, without their
   * per-class lists and masks. Undefined (take the general path) when the world or the query is
   * anything else; a property test holds the two paths to the same answers.
   */
  private flatAnchors(): number[] | undefined {
    if (this.paths === 'general' || this.groups.length !== 1 || this.sharing.size > 0) return undefined;
    const g = this.groups[0] as Group;
    if (g.granular) return undefined;
    const p = this.p;
    const place = this.placeVerdict(g);
    const cols = g.cols;
    const amounts = g.amounts;
    const anchors: number[] = [];
    const slots = p.slots;
    for (let s = 0; s < slots; s++) {
      if (p.uuid[s] === undefined) continue;
      if (p.parent[s] !== NO_PROVIDER || p.firstChild[s] !== NO_PROVIDER) return undefined;
      if (place !== undefined && place[s] !== 1) continue;
      let fits = true;
      for (let k = 0; k < cols.length && fits; k++) fits = (cols[k] as InventoryColumn).fits(s, amounts[k] as number);
      if (!fits) continue;
      if (g.forbidden.length > 0 && this.hasAnyTrait(s, g.forbidden)) continue;
      let met = true;
      for (let r = 0; r < g.required.length && met; r++) met = this.hasAnyTrait(s, g.required[r] as number[]);
      if (met && this.rootOk(s)) anchors.push(s);
    }
    // One requirement position per class (as findEligible's lists), all served by the anchor.
    g.bit = 0;
    for (let k = 0; k < cols.length; k++) g.lists.push(NO_SLOTS);
    return anchors;
  }

  private rootOk(root: number): boolean {
    for (const t of this.rootRequired) if (!this.p.hasTrait(root, t)) return false;
    for (const t of this.rootForbidden) if (this.p.hasTrait(root, t)) return false;
    return true;
  }

  // -------------------------------------------------------------- combining per anchor

  run(): CandidateList {
    if (this.empty) return EMPTY;
    this.findSharing();
    if (!this.findColumns()) return EMPTY;
    const limit = this.query.limit;
    const early = this.query.rng === undefined ? limit : undefined;
    const flat = this.flatAnchors();
    let out: Collector;
    if (flat !== undefined) {
      out = new Collector(this.engine, this.groups, this.sharing);
      // Each flat anchor is its own one candidate, already judged whole.
      const n = early === undefined ? flat.length : Math.min(early, flat.length);
      for (let i = 0; i < n; i++) out.addSingle(flat[i] as number);
    } else {
      this.findEligible();
      if (this.empty) return EMPTY;
      const anchors = this.findAnchors();
      // After findEligible and findAnchors: the collector reads the groups' lists and bits.
      out = new Collector(this.engine, this.groups, this.sharing);
      for (const anchor of anchors) {
        this.combine(anchor, out, early);
        if (early !== undefined && out.requests.length >= early) break;
      }
    }
    let requests = out.requests;
    let slotsUsed = out.slotsUsed;
    if (this.query.rng !== undefined) {
      const order = shuffleInPlace(requests.map((_, i) => i), this.query.rng);
      const keep = limit === undefined ? order : order.slice(0, limit);
      requests = keep.map((i) => out.requests[i] as string | AllocationRequest);
      slotsUsed = keep.map((i) => out.slotsUsed[i] as number | number[]);
    }
    // Flat and in anchor order, the providers used are already distinct roots, ascending.
    const [summaryUuids, summaries] = this.summaries(slotsUsed, flat !== undefined && this.query.rng === undefined);
    return { requests, together: out.together, summaryUuids, summaries };
  }

  /** Providers that may serve groups anchored at `anchor`: its tree, then anchored sharing ones. */
  private members(anchor: number): number[] {
    const p = this.p;
    const tree = p.firstChild[anchor] === NO_PROVIDER ? [anchor] : p.treeSlots(anchor);
    const shared = this.sharedInto.get(anchor);
    return shared === undefined ? tree : tree.concat(shared.filter((s) => p.root[s] !== anchor));
  }

  private combine(anchor: number, out: Collector, early: number | undefined): void {
    const p = this.p;
    const choice = this.choice;
    // The common case: a provider without children and no sharing provider serving it. Every
    // requirement was marked for this root, so the only combination is the root itself.
    if (p.firstChild[anchor] === NO_PROVIDER && !this.sharedInto.has(anchor)) {
      choice.fill(anchor);
      if (this.accept(choice)) out.add(choice);
      return;
    }
    const members = this.members(anchor);
    const options = this.options;
    options.length = 0;
    for (const g of this.groups) {
      const anchorForbidden = !g.granular && g.forbiddenAggs.length > 0 && this.inAny(anchor, g.forbiddenAggs);
      for (const mark of g.eligible) {
        const opts: number[] = [];
        for (const s of members) {
          if (mark[s] !== 1) continue;
          // A sharing provider is refused when the root of the tree it serves is in a forbidden
          // aggregate (the tree's own providers were already judged by their root).
          if (anchorForbidden && this.sharing.has(s)) continue;
          opts.push(s);
        }
        if (opts.length === 0) return;
        options.push(opts);
      }
    }
    this.walk(0, out, early);
  }

  private readonly options: number[][] = [];
  private choiceBuffer: Int32Array | undefined;

  private get choice(): Int32Array {
    if (this.choiceBuffer === undefined) {
      let n = 0;
      for (const g of this.groups) n += g.lists.length;
      this.choiceBuffer = new Int32Array(n);
    }
    return this.choiceBuffer;
  }

  /** Depth-first over the options of each requirement; true when the limit is reached. */
  private walk(level: number, out: Collector, early: number | undefined): boolean {
    const choice = this.choice;
    if (level === this.options.length) {
      if (this.accept(choice)) out.add(choice);
      return early !== undefined && out.requests.length >= early;
    }
    for (const s of this.options[level] as number[]) {
      choice[level] = s;
      if (this.walk(level + 1, out, early)) return true;
    }
    return false;
  }

  /** The checks that need the whole combination. */
  private accept(choice: Int32Array): boolean {
    const groups = this.groups;
    const p = this.p;
    if (this.onlyUnsuffixedPlain) return true;
    if (this.isolate) {
      for (let i = 0; i < groups.length; i++) {
        const gi = groups[i] as Group;
        if (!gi.granular) continue;
        for (let j = i + 1; j < groups.length; j++) {
          const gj = groups[j] as Group;
          if (gj.granular && choice[gi.bit] === choice[gj.bit]) return false;
        }
      }
    }
    for (const list of this.sameSubtree) {
      let ok = false;
      for (const a of list) {
        const top = choice[(groups[a] as Group).bit] as number;
        let all = true;
        for (const b of list) if (!p.isAncestorOrSelf(top, choice[(groups[b] as Group).bit] as number)) all = false;
        if (all) {
          ok = true;
          break;
        }
      }
      if (!ok) return false;
    }
    for (const g of groups) {
      if (g.granular || g.required.length === 0) continue;
      for (const anyOf of g.required) {
        let met = false;
        for (let k = 0; k < g.lists.length && !met; k++) met = this.hasAnyTrait(choice[g.bit + k] as number, anyOf);
        if (!met) return false;
      }
    }
    // Amounts of one class on one provider from several groups are summed and re-checked.
    for (let i = 0; i < groups.length; i++) {
      const gi = groups[i] as Group;
      for (let k = 0; k < gi.rcs.length; k++) {
        const s = choice[gi.granular ? gi.bit : gi.bit + k] as number;
        const rc = gi.rcs[k] as number;
        let sum = gi.amounts[k] as number;
        let shared = false;
        for (let j = 0; j < groups.length; j++) {
          const gj = groups[j] as Group;
          for (let m = 0; m < gj.rcs.length; m++) {
            if ((j === i && m === k) || gj.rcs[m] !== rc) continue;
            if (choice[gj.granular ? gj.bit : gj.bit + m] !== s) continue;
            sum += gj.amounts[m] as number;
            shared = true;
          }
        }
        if (shared) {
          const col = gi.cols[k] as InventoryColumn;
          if (sum > (col.maxUnit[s] as number) || (col.used[s] as number) + sum > col.capacity(s)) return false;
        }
      }
    }
    return true;
  }

  // -------------------------------------------------------------- provider summaries

  /** The summaries of every tree a request uses, ascending by root slot: uuids, then objects. */
  private summaries(slotsUsed: readonly (number | number[])[], rootsInOrder: boolean): [string[], ProviderSummary[]] {
    const p = this.p;
    if (rootsInOrder) return this.summariesOf(slotsUsed as readonly number[]);
    const seen = new Uint8Array(p.slots);
    const found: number[] = [];
    const addRoot = (s: number): void => {
      const root = p.root[s] as number;
      if (seen[root] === 0) {
        seen[root] = 1;
        found.push(root);
      }
    };
    for (const used of slotsUsed) {
      if (typeof used === 'number') addRoot(used);
      else for (const s of used) addRoot(s);
    }
    // A typed array sorts numerically without a comparator call per pair.
    return this.summariesOf(Int32Array.from(found).sort());
  }

  /** The summaries of the trees of `roots`, in that order. */
  private summariesOf(roots: ArrayLike<number>): [string[], ProviderSummary[]] {
    const p = this.p;
    const uuids: string[] = [];
    const summaries: ProviderSummary[] = [];
    const cache = this.engine.summaryCache;
    const cacheVersion = this.engine.summaryCacheVersion;
    for (let i = 0; i < roots.length; i++) {
      const root = roots[i] as number;
      const tree = p.firstChild[root] === NO_PROVIDER ? [root] : p.treeSlots(root);
      for (const s of tree) {
        const version = p.version[s] as number;
        let summary = cache[s];
        if (summary === undefined || cacheVersion[s] !== version) {
          summary = this.summary(s);
          cache[s] = summary;
          cacheVersion[s] = version;
        }
        uuids.push(p.uuid[s] as string);
        summaries.push(summary);
      }
    }
    return [uuids, summaries];
  }

  private activeColumns: { col: InventoryColumn; name: string }[] | undefined;

  /** Names of an interned trait set, shared by every summary with that set. */
  private traitNames(set: readonly number[]): readonly string[] {
    const cache = this.engine.traitNamesCache;
    let names = cache.get(set);
    if (names === undefined) {
      names = set.map((t) => this.engine.traits.name(t));
      cache.set(set, names);
    }
    return names;
  }

  private summary(s: number): ProviderSummary {
    const p = this.p;
    if (this.activeColumns === undefined) {
      const active: { col: InventoryColumn; name: string }[] = [];
      this.engine.inventories.columns.forEach((col, rc) => {
        if (col !== undefined && col.count > 0) active.push({ col, name: this.engine.resourceClasses.name(rc) });
      });
      this.activeColumns = active;
    }
    // Without a prototype, as the uuid-keyed objects: cheaper to fill than a fresh literal.
    const resources = Object.create(null) as Record<string, { capacity: number; used: number }>;
    for (const { col, name } of this.activeColumns) {
      if (col.has[s] === 1) resources[name] = { capacity: Math.trunc(col.capacity(s)), used: col.used[s] as number };
    }
    const parent = p.parent[s] as number;
    // Shared between answers and typed read-only; not frozen, which would cost more than the rest.
    return {
      resources,
      traits: this.traitNames(p.traitsOf(s)),
      parentProviderUuid: parent === NO_PROVIDER ? null : (p.uuid[parent] as string),
      rootProviderUuid: p.uuid[p.root[s] as number] as string,
    };
  }
}

/** Builds allocation requests from accepted combinations, dropping duplicates. */
class Collector {
  /** A uuid for the one unsuffixed group on one provider (see CandidateList). */
  readonly requests: (string | AllocationRequest)[] = [];
  /** Providers of each request: a number when it is one provider, the usual case. */
  readonly slotsUsed: (number | number[])[] = [];
  private readonly seen = new Set<string>();
  private readonly rcNames: string[][];
  /** Every group's resources on one provider: the usual answer, built once per query. */
  readonly together: { readonly resources: Readonly<Resources> };
  /** The query is one unsuffixed group: a request on one provider is given as its uuid. */
  private readonly plainGroup: boolean;
  /** Requirement positions that carry resources (resourceless groups carry none). */
  private readonly resourceful: number[] = [];

  constructor(
    private readonly engine: PlacementEngine,
    private readonly groups: Group[],
    private readonly sharing: ReadonlySet<number>,
  ) {
    this.rcNames = groups.map((g) => g.rcs.map((rc) => engine.resourceClasses.name(rc)));
    const total: Resources = {};
    groups.forEach((g, i) => {
      g.rcs.forEach((_, k) => {
        const name = (this.rcNames[i] as string[])[k] as string;
        total[name] = (total[name] ?? 0) + (g.amounts[k] as number);
      });
      for (let k = 0; k < g.lists.length; k++) if (g.rcs.length > 0) this.resourceful.push(g.bit + k);
    });
    this.together = Object.freeze({ resources: Object.freeze(total) });
    this.plainGroup = groups.length === 1 && !(groups[0] as Group).granular;
  }

  /** The usual request: one unsuffixed group, one provider, so no other request can repeat it. */
  addSingle(slot: number): void {
    this.requests.push(this.engine.providers.uuid[slot] as string);
    this.slotsUsed.push(slot);
  }

  add(choice: Int32Array): void {
    const p = this.engine.providers;
    const first = choice[this.resourceful[0] as number] as number;
    let single = true;
    for (const i of this.resourceful) if (choice[i] !== first) single = false;
    // Only a combination made entirely of sharing providers can repeat (see below); one provider
    // that is not sharing cannot.
    if (this.plainGroup && single && !this.sharing.has(first)) {
      this.addSingle(first);
      return;
    }
    let mappings: Record<string, string[]>;
    if (this.plainGroup && single) {
      mappings = { '': [p.uuid[first] as string] };
    } else {
      // Suffixes are caller text ('__proto__' is a valid one): no prototype to collide with.
      mappings = Object.create(null) as Record<string, string[]>;
      for (const g of this.groups) {
      const mapped: string[] = [];
      for (let k = 0; k < g.lists.length; k++) {
        const uuid = p.uuid[choice[g.bit + k] as number] as string;
        if (!mapped.includes(uuid)) mapped.push(uuid);
      }
      mappings[g.suffix] = mapped;
      }
    }
    let slots: number | number[];
    // Objects keyed by provider uuid are made without a prototype: V8 keeps them as hash maps
    // instead of minting a hidden class per uuid, which is many times faster for large answers.
    const allocations = Object.create(null) as Record<string, { readonly resources: Readonly<Resources> }>;
    if (single) {
      allocations[p.uuid[first] as string] = this.together;
      slots = first;
    } else {
      const list: number[] = [];
      slots = list;
      for (let i = 0; i < this.groups.length; i++) {
        const g = this.groups[i] as Group;
        const names = this.rcNames[i] as string[];
        for (let k = 0; k < g.rcs.length; k++) {
          const s = choice[g.granular ? g.bit : g.bit + k] as number;
          const uuid = p.uuid[s] as string;
          let entry = allocations[uuid] as { resources: Resources } | undefined;
          if (entry === undefined) {
            entry = { resources: {} };
            allocations[uuid] = entry;
            list.push(s);
          }
          const rc = names[k] as string;
          entry.resources[rc] = (entry.resources[rc] ?? 0) + (g.amounts[k] as number);
        }
      }
    }
    // A combination with any provider that is not sharing belongs to that provider's tree alone,
    // and within one anchor distinct combinations differ in allocations or mappings. Only one
    // made entirely of sharing providers can be reached again from another tree they serve.
    let allSharing = this.sharing.size > 0;
    for (let i = 0; i < choice.length && allSharing; i++) allSharing = this.sharing.has(choice[i] as number);
    if (allSharing) {
      const key = canonicalKey(allocations, mappings);
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    this.requests.push({ allocations, mappings });
    this.slotsUsed.push(slots);
  }
}

function canonicalKey(allocations: AllocationRequest['allocations'], mappings: AllocationRequest['mappings']): string {
  const parts: string[] = [];
  for (const uuid of Object.keys(allocations).sort()) {
    const res = (allocations[uuid] as { resources: Resources }).resources;
    parts.push(uuid + ':' + Object.keys(res).sort().map((rc) => `${rc}=${res[rc] as number}`).join(','));
  }
  parts.push('|');
  for (const suffix of Object.keys(mappings).sort()) parts.push(suffix + '=' + (mappings[suffix] as string[]).slice().sort().join(','));
  return parts.join(';');
}
