/**
 * Property tests of GET /allocation_candidates (PlacementEngine.getAllocationCandidates).
 *
 * Random small worlds (<= 6 providers, small nested trees, at most one sharing provider, random
 * inventories, traits, aggregates and existing allocations) and random valid queries. The checker
 * below is written from docs/placement-rules.md (rule numbers cited), independently of the
 * engine: it decides whether one assignment of providers to the request's (group, class) slots is a
 * valid candidate. From it:
 *   (a) soundness    every returned candidate is produced by some assignment the checker accepts;
 *   (b) completeness the returned set equals a brute-force enumeration of all accepted assignments;
 *   (c) limit        `limit` returns min(limit, all) distinct candidates from the full set (the first
 *                    ones when no rng is given, rule 35);
 *   (d) determinism  the same rng seed gives the same order (and the same set as without rng);
 *   (e) summaries    provider summaries cover exactly the trees of the providers in the returned
 *                    allocations (rule 38), with the world's capacity, usage, traits and tree links.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { seededRng } from '../../../common/rng.js';
import type { AllocationRequest, CandidatePaths, CandidateQuery, CandidateResult, RequestGroup } from '../../../src/placement/candidates.js';
import { findAllocationCandidates } from '../../../src/placement/candidates.js';
import { PlacementEngine } from '../../../src/placement/engine.js';
import { PlacementError } from '../../../src/placement/errors.js';
import type { Inventory, Resources } from '../../../src/placement/types.js';
import { shortJsonWith } from '../../support/short-json.js';

// ------------------------------------------------------------------------------------------ pools

const pad = (n: number): string => n.toString(16).padStart(12, '0');
const PROVIDERS = Array.from({ length: 6 }, (_, i) => `00000000-0000-4000-8000-${pad(i + 1)}`);
const UNKNOWN_PROVIDER = `00000000-0000-4000-8000-${pad(99)}`;
const AGGREGATES = Array.from({ length: 3 }, (_, i) => `aaaaaaaa-0000-4000-8000-${pad(i + 1)}`);
const UNKNOWN_AGGREGATE = `aaaaaaaa-0000-4000-8000-${pad(99)}`;
const RCS = ['VCPU', 'MEMORY_MB', 'DISK_GB', 'CUSTOM_X'] as const;
const TRAITS = ['HW_CPU_X86_AVX2', 'HW_CPU_X86_SSE2', 'STORAGE_DISK_SSD'] as const;
const SHARES = 'MISC_SHARES_VIA_AGGREGATE';
const MAX_INT = 2147483647;

function short(u: string): string {
  const p = PROVIDERS.indexOf(u);
  if (p >= 0) return `P${p + 1}`;
  const a = AGGREGATES.indexOf(u);
  if (a >= 0) return `A${a + 1}`;
  if (u === UNKNOWN_PROVIDER) return 'P?';
  if (u === UNKNOWN_AGGREGATE) return 'A?';
  return u;
}
const shortJson = shortJsonWith(short);

// ------------------------------------------------------------------------------------------ world

interface WProvider {
  uuid: string;
  parent: string | null;
  inventories: Map<string, Inventory>;
  traits: Set<string>;
  aggregates: Set<string>;
}

/** The world as the test built it; `used` only counts allocation writes that succeeded. */
interface World {
  providers: WProvider[];
  byUuid: Map<string, WProvider>;
  used: Map<string, number>;
}

const usedKey = (p: string, rc: string): string => `${p}|${rc}`;

interface WorldSpec {
  parents: number[];
  inventories: Partial<Record<string, Inventory>>[];
  traits: string[][];
  aggregates: string[][];
  sharing: number | null;
  allocations: { p: number; rc: string; amount: number }[];
}

const invArb: fc.Arbitrary<Inventory> = fc
  .record({
    total: fc.integer({ min: 1, max: 8 }),
    reserved: fc.oneof({ weight: 7, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }),
    minUnit: fc.oneof({ weight: 7, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) }),
    maxUnit: fc.oneof({ weight: 5, arbitrary: fc.constant(MAX_INT) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }) }),
    stepSize: fc.oneof({ weight: 7, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) }),
    allocationRatio: fc.constantFrom(1, 1, 1.5, 0.5),
  })
  .map((i) => ({ ...i, reserved: Math.min(i.reserved, i.total) }));

/** A class is stocked about three times in four. */
const maybeInv: fc.Arbitrary<Inventory | null> = fc.oneof({ weight: 3, arbitrary: invArb }, { weight: 1, arbitrary: fc.constant(null) });

const worldSpecArb: fc.Arbitrary<WorldSpec> = fc.constantFrom(1, 2, 3, 4, 4, 5, 5, 6, 6, 6).chain((n) =>
  fc.record({
    // Provider i's parent is an earlier provider, or none: small nested trees.
    parents: fc.tuple(...Array.from({ length: n }, (_, i) => (i === 0 ? fc.constant(-1) : fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 2, arbitrary: fc.nat(i - 1) })))),
    inventories: fc.array(
      fc.record({ VCPU: maybeInv, MEMORY_MB: maybeInv, DISK_GB: maybeInv, CUSTOM_X: maybeInv }).map((r) =>
        Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as Partial<Record<string, Inventory>>,
      ),
      { minLength: n, maxLength: n },
    ),
    traits: fc.array(fc.subarray<string>([...TRAITS]), { minLength: n, maxLength: n }),
    aggregates: fc.array(fc.subarray(AGGREGATES), { minLength: n, maxLength: n }),
    sharing: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.nat(n - 1) }),
    allocations: fc.array(fc.record({ p: fc.nat(n - 1), rc: fc.constantFrom<string>(...RCS), amount: fc.integer({ min: 1, max: 3 }) }), { maxLength: 3 }),
  }),
);

/** Builds the world through the engine's public writes, and the test's own record of it. */
function buildWorld(spec: WorldSpec): { engine: PlacementEngine; world: World } {
  const engine = new PlacementEngine({ now: () => 1 });
  engine.createResourceClass('CUSTOM_X');
  const providers: WProvider[] = [];
  spec.parents.forEach((parentIdx, i) => {
    const uuid = PROVIDERS[i] as string;
    const parent = parentIdx < 0 ? null : (PROVIDERS[parentIdx] as string);
    const traits = new Set(spec.traits[i] ?? []);
    const aggregates = new Set(spec.aggregates[i] ?? []);
    if (spec.sharing === i) {
      traits.add(SHARES);
      // The sharing provider is always in A1; other providers join A1 at random, so it is shared
      // into some trees and not others.
      aggregates.add(AGGREGATES[0] as string);
    }
    const inventories = new Map(Object.entries(spec.inventories[i] ?? {}).filter((e): e is [string, Inventory] => e[1] !== undefined));
    engine.createProvider({ uuid, name: `rp-${i + 1}`, parentUuid: parent });
    engine.setInventories(uuid, 0, Object.fromEntries(inventories));
    engine.setProviderTraits(uuid, 1, [...traits]);
    engine.setAggregates(uuid, engine.requireProvider(uuid).generation, [...aggregates]);
    providers.push({ uuid, parent, inventories, traits, aggregates });
  });
  const byUuid = new Map(providers.map((p) => [p.uuid, p]));
  const used = new Map<string, number>();
  spec.allocations.forEach((a, i) => {
    const p = PROVIDERS[a.p] as string;
    try {
      engine.setAllocations({
        consumerUuid: `cccccccc-0000-4000-8000-${pad(i + 1)}`,
        allocations: { [p]: { [a.rc]: a.amount } },
        projectId: 'project',
        userId: 'user',
        consumerGeneration: null,
      });
      used.set(usedKey(p, a.rc), (used.get(usedKey(p, a.rc)) ?? 0) + a.amount);
    } catch (err) {
      if (!(err instanceof PlacementError)) throw err;
    }
  });
  return { engine, world: { providers, byUuid, used } };
}

// ------------------------------------------------------------------------------------------ query

interface GroupSpec {
  resources: [string, number][];
  required: string[][];
  forbidden: string[];
  memberOf: string[][];
  forbiddenAggregates: string[];
  inTree: number | 'unknown' | null;
}

const sometimes = <T>(arb: fc.Arbitrary<T>, none: T, weightNone = 2): fc.Arbitrary<T> =>
  fc.oneof({ weight: weightNone, arbitrary: fc.constant(none) }, { weight: 1, arbitrary: arb });

const groupSpecArb = (minClasses: number, maxClasses: number): fc.Arbitrary<GroupSpec> =>
  fc
    .record({
      rcs: fc.shuffledSubarray<string>([...RCS], { minLength: minClasses, maxLength: maxClasses }),
      amounts: fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.integer({ min: 2, max: 3 }) }), { minLength: 3, maxLength: 3 }),
      required: sometimes(fc.array(fc.subarray<string>([...TRAITS], { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 }), [], 4),
      forbidden: sometimes(fc.subarray<string>([...TRAITS], { minLength: 1, maxLength: 1 }), [], 5),
      memberOf: sometimes(
        fc.array(
          fc.subarray([...AGGREGATES, ...AGGREGATES, UNKNOWN_AGGREGATE], { minLength: 1, maxLength: 2 }).map((a) => [...new Set(a)]),
          { minLength: 1, maxLength: 2 },
        ),
        [],
        5,
      ),
      forbiddenAggregates: sometimes(fc.subarray(AGGREGATES, { minLength: 1, maxLength: 1 }), [], 3),
      inTree: sometimes(fc.oneof({ weight: 8, arbitrary: fc.nat(5) }, { weight: 1, arbitrary: fc.constant<'unknown'>('unknown') }), null, 5),
    })
    .map((g) => {
      // Forbidden traits never overlap required ones: a conflict would be a 400 (rule 4).
      const requiredTraits = new Set(g.required.flat());
      return {
        resources: g.rcs.map((rc, i): [string, number] => [rc, g.amounts[i] as number]),
        required: g.required,
        forbidden: g.forbidden.filter((t) => !requiredTraits.has(t)),
        memberOf: g.memberOf,
        forbiddenAggregates: g.forbiddenAggregates,
        inTree: g.inTree,
      };
    });

interface QuerySpec {
  unsuffixed: GroupSpec;
  granular: GroupSpec[];
  isolate: boolean | null;
  rootRequired: string[];
  rootForbidden: string[];
  sameSubtree: boolean;
}

const querySpecArb: fc.Arbitrary<QuerySpec> = fc
  .record({
    unsuffixed: fc.oneof({ weight: 2, arbitrary: groupSpecArb(1, 2) }, { weight: 1, arbitrary: groupSpecArb(3, 3) }),
    granular: fc.array(groupSpecArb(0, 2), { maxLength: 2 }),
    isolate: fc.oneof(fc.constant(null), fc.boolean()),
    root: sometimes(fc.tuple(fc.subarray<string>([...TRAITS], { maxLength: 1 }), fc.subarray<string>([...TRAITS], { maxLength: 1 })), [[], []] as [string[], string[]], 5),
    sameSubtree: fc.boolean(),
  })
  .map((q) => ({
    unsuffixed: q.unsuffixed,
    granular: q.granular,
    isolate: q.isolate,
    rootRequired: q.root[0],
    rootForbidden: q.root[1].filter((t) => !q.root[0].includes(t)),
    sameSubtree: q.sameSubtree,
  }));

const SUFFIXES = ['A', 'B'];

/** The CandidateQuery as sent: valid by construction (rules 1-11). */
function toQuery(spec: QuerySpec, world: World): CandidateQuery {
  const group = (suffix: string, g: GroupSpec): RequestGroup => {
    const out: RequestGroup = { suffix, resources: Object.fromEntries(g.resources) };
    if (g.required.length > 0) out.required = g.required;
    if (g.forbidden.length > 0) out.forbidden = g.forbidden;
    if (g.memberOf.length > 0) out.memberOf = g.memberOf;
    if (g.forbiddenAggregates.length > 0) out.forbiddenAggregates = g.forbiddenAggregates;
    // in_tree on a resourceless group is left out: rule 15 marks it unsure.
    if (g.inTree !== null && g.resources.length > 0) {
      out.inTree = g.inTree === 'unknown' ? UNKNOWN_PROVIDER : (world.providers[g.inTree % world.providers.length] as WProvider).uuid;
    }
    return out;
  };
  const groups = [group('', spec.unsuffixed), ...spec.granular.map((g, i) => group(SUFFIXES[i] as string, g))];
  const q: CandidateQuery = { groups };
  // Rule 8: group_policy is required with more than one suffixed group.
  if (spec.granular.length > 1 || spec.isolate !== null) q.groupPolicy = spec.isolate === true ? 'isolate' : 'none';
  if (spec.rootRequired.length > 0) q.rootRequired = spec.rootRequired;
  if (spec.rootForbidden.length > 0) q.rootForbidden = spec.rootForbidden;
  // Rule 11: a resourceless suffixed group must be named in same_subtree.
  const resourceless = spec.granular.map((g, i) => (g.resources.length === 0 ? (SUFFIXES[i] as string) : null)).filter((s): s is string => s !== null);
  if (resourceless.length > 0 || (spec.sameSubtree && spec.granular.length > 0)) {
    q.sameSubtree = [spec.sameSubtree ? SUFFIXES.slice(0, spec.granular.length) : resourceless];
  }
  return q;
}

// ------------------------------------------------------------------------------------ the checker

/** One provider choice to make: a class of the unsuffixed group, or a whole suffixed group. */
interface Slot {
  group: RequestGroup;
  /** The unsuffixed group's class, or null for a suffixed group (all its classes, rule 13). */
  rc: string | null;
  label: string;
}

function slotsOf(q: CandidateQuery): Slot[] {
  const slots: Slot[] = [];
  for (const g of q.groups) {
    if (g.suffix === '') for (const rc of Object.keys(g.resources ?? {})) slots.push({ group: g, rc, label: `'' ${rc}` });
    else slots.push({ group: g, rc: null, label: `'${g.suffix}'` });
  }
  return slots;
}

const slotAmounts = (s: Slot): [string, number][] =>
  s.rc === null ? Object.entries(s.group.resources ?? {}) : [[s.rc, (s.group.resources ?? {})[s.rc] as number]];

class Checker {
  private readonly anchors = new Map<string, Set<string>>();
  readonly roots: string[];

  constructor(
    readonly world: World,
    readonly q: CandidateQuery,
  ) {
    this.roots = world.providers.filter((p) => p.parent === null).map((p) => p.uuid);
  }

  p(u: string): WProvider {
    return this.world.byUuid.get(u) as WProvider;
  }

  root(u: string): string {
    let p = this.p(u);
    while (p.parent !== null) p = this.p(p.parent);
    return p.uuid;
  }

  isAncestorOrSelf(a: string, u: string): boolean {
    for (let x: string | null = u; x !== null; x = this.p(x).parent) if (x === a) return true;
    return false;
  }

  sharing(u: string): boolean {
    return this.p(u).traits.has(SHARES);
  }

  /** Rule 14: roots of every provider sharing an aggregate with `u` (its own root via its own membership). */
  anchorsOf(u: string): Set<string> {
    let set = this.anchors.get(u);
    if (set === undefined) {
      set = new Set();
      for (const other of this.world.providers) {
        if ([...this.p(u).aggregates].some((a) => other.aggregates.has(a))) set.add(this.root(other.uuid));
      }
      this.anchors.set(u, set);
    }
    return set;
  }

  used(u: string, rc: string): number {
    return this.world.used.get(usedKey(u, rc)) ?? 0;
  }

  /** Rule 0.3. */
  fits(u: string, rc: string, amount: number): boolean {
    const inv = this.p(u).inventories.get(rc);
    if (inv === undefined) return false;
    return (
      inv.minUnit <= amount &&
      amount <= inv.maxUnit &&
      amount % inv.stepSize === 0 &&
      this.used(u, rc) + amount <= (inv.total - inv.reserved) * inv.allocationRatio
    );
  }

  inAll(u: string, clauses: readonly (readonly string[])[]): boolean {
    return clauses.every((anyOf) => anyOf.some((a) => this.p(u).aggregates.has(a)));
  }

  inAny(u: string, aggs: readonly string[]): boolean {
    return aggs.some((a) => this.p(u).aggregates.has(a));
  }

  treeOf(inTree: string): string | null {
    return this.world.byUuid.has(inTree) ? this.root(inTree) : null;
  }

  /** The terms about one slot's provider alone (no anchor, no other slot). */
  local(s: Slot, u: string, out: string[]): void {
    const g = s.group;
    for (const [rc, amount] of slotAmounts(s)) if (!this.fits(u, rc, amount)) out.push(`${s.label}: ${amount} ${rc} does not fit on ${short(u)} (rule 0.3)`);
    const traits = this.p(u).traits;
    const forbiddenTrait = (g.forbidden ?? []).find((t) => traits.has(t));
    if (forbiddenTrait !== undefined) out.push(`${s.label}: ${short(u)} has forbidden trait ${forbiddenTrait} (rules 17/19)`);
    if (g.inTree !== undefined && this.treeOf(g.inTree) !== this.root(u)) out.push(`${s.label}: ${short(u)} outside in_tree ${short(g.inTree)} (rule 15)`);
    if (s.rc === null) {
      // Rules 17, 21, 22: a suffixed group's provider alone.
      for (const anyOf of g.required ?? []) if (!anyOf.some((t) => traits.has(t))) out.push(`${s.label}: ${short(u)} lacks one of ${anyOf.join('|')} (rule 17)`);
      if (!this.inAll(u, g.memberOf ?? [])) out.push(`${s.label}: ${short(u)} not in member_of (rule 22)`);
      if (this.inAny(u, g.forbiddenAggregates ?? [])) out.push(`${s.label}: ${short(u)} in a forbidden aggregate (rule 22)`);
    } else if (this.sharing(u)) {
      // Rule 24: a sharing supplier must be in the aggregates itself.
      if (!this.inAll(u, g.memberOf ?? [])) out.push(`${s.label}: sharing ${short(u)} not in member_of itself (rule 24)`);
      if (this.inAny(u, g.forbiddenAggregates ?? [])) out.push(`${s.label}: sharing ${short(u)} in a forbidden aggregate (rule 24)`);
    } else {
      // Rule 23: the provider or its root.
      const r = this.root(u);
      if ((g.memberOf ?? []).length > 0 && !this.inAll(u, g.memberOf ?? []) && !this.inAll(r, g.memberOf ?? [])) {
        out.push(`${s.label}: neither ${short(u)} nor its root ${short(r)} satisfies member_of (rule 23)`);
      }
      if (this.inAny(u, g.forbiddenAggregates ?? []) || this.inAny(r, g.forbiddenAggregates ?? [])) {
        out.push(`${s.label}: ${short(u)} or its root ${short(r)} in a forbidden aggregate (rule 23)`);
      }
    }
  }

  /** The terms that tie a candidate to one anchor root R (rules 12-16, 24, 26). */
  anchored(slots: Slot[], choice: string[], r: string, out: string[]): void {
    const req = this.q.rootRequired ?? [];
    const forb = this.q.rootForbidden ?? [];
    const rootTraits = this.p(r).traits;
    if (!req.every((t) => rootTraits.has(t)) || forb.some((t) => rootTraits.has(t))) out.push(`anchor ${short(r)} fails root_required (rule 26)`);
    slots.forEach((s, i) => {
      const u = choice[i] as string;
      const inTree = this.root(u) === r;
      if (!inTree && !(this.sharing(u) && this.anchorsOf(u).has(r))) out.push(`${s.label}: ${short(u)} neither in tree ${short(r)} nor shared into it (rules 12-14)`);
      if (s.rc !== null) {
        // Rule 15: with in_tree the unsuffixed group is restricted to that tree: its suppliers are
        // there and no sharing provider links it to another tree, so it is anchored at that root.
        if (s.group.inTree !== undefined && this.treeOf(s.group.inTree) !== r) out.push(`${s.label}: anchor ${short(r)} is not the in_tree tree (rule 15)`);
        // Rule 24: a sharing supplier is dropped when the anchor root is in a forbidden aggregate.
        if (this.sharing(u) && this.inAny(r, s.group.forbiddenAggregates ?? [])) out.push(`${s.label}: sharing ${short(u)} used for anchor ${short(r)} in a forbidden aggregate (rule 24)`);
      }
    });
  }

  /** All violated terms of one assignment (empty = a valid candidate). */
  violations(slots: Slot[], choice: string[], stopEarly: boolean): string[] {
    const out: string[] = [];
    slots.forEach((s, i) => this.local(s, choice[i] as string, out));
    if (stopEarly && out.length > 0) return out;
    // Rule 18: the unsuffixed group's required traits collectively over its suppliers.
    const unsuffixed = slots.map((s, i) => (s.rc !== null ? (choice[i] as string) : null)).filter((u): u is string => u !== null);
    const g0 = this.q.groups.find((g) => g.suffix === '');
    for (const anyOf of g0?.required ?? []) {
      if (!unsuffixed.some((u) => anyOf.some((t) => this.p(u).traits.has(t)))) out.push(`'': suppliers lack one of ${anyOf.join('|')} (rule 18)`);
    }
    // Rule 28: isolate.
    const granular = slots.map((s, i) => (s.rc === null ? (choice[i] as string) : null)).filter((u): u is string => u !== null);
    if (this.q.groupPolicy === 'isolate' && new Set(granular).size !== granular.length) out.push(`isolate: suffixed groups share a provider (rule 28)`);
    // Rule 27: same_subtree.
    for (const list of this.q.sameSubtree ?? []) {
      const us = [...new Set(slots.map((s, i) => (s.rc === null && list.includes(s.group.suffix) ? (choice[i] as string) : null)).filter((u): u is string => u !== null))];
      if (us.length > 1 && !us.some((top) => us.every((u) => this.isAncestorOrSelf(top, u)))) out.push(`same_subtree ${list.join(',')}: no common ancestor among ${us.map(short).join(',')} (rule 27)`);
    }
    // Rule 30: summed amounts per (provider, class).
    const sums = new Map<string, number>();
    slots.forEach((s, i) => {
      for (const [rc, amount] of slotAmounts(s)) sums.set(usedKey(choice[i] as string, rc), (sums.get(usedKey(choice[i] as string, rc)) ?? 0) + amount);
    });
    for (const [k, sum] of sums) {
      const [u, rc] = k.split('|') as [string, string];
      const inv = this.p(u).inventories.get(rc);
      if (inv !== undefined && (this.used(u, rc) + sum > (inv.total - inv.reserved) * inv.allocationRatio || sum > inv.maxUnit)) {
        out.push(`${short(u)} ${rc}: summed ${sum} does not fit (rule 30)`);
      }
    }
    if (stopEarly && out.length > 0) return out;
    // Rule 16: one anchor tree for all groups.
    let best: string[] | null = null;
    for (const r of this.roots) {
      const mine: string[] = [];
      this.anchored(slots, choice, r, mine);
      if (mine.length === 0) return out;
      if (best === null || mine.length < best.length) best = mine;
    }
    out.push(...(best ?? ['no root at all']));
    return out;
  }

  /** Rules 33, 37: the candidate an assignment produces, as a canonical string. */
  keyOf(slots: Slot[], choice: string[]): string {
    const allocations: Record<string, Resources> = {};
    const mappings: Record<string, Set<string>> = {};
    slots.forEach((s, i) => {
      const u = choice[i] as string;
      (mappings[s.group.suffix] ??= new Set()).add(u);
      for (const [rc, amount] of slotAmounts(s)) {
        const res = (allocations[u] ??= {});
        res[rc] = (res[rc] ?? 0) + amount;
      }
    });
    for (const g of this.q.groups) mappings[g.suffix] ??= new Set();
    return canonical({ allocations, mappings: Object.fromEntries(Object.entries(mappings).map(([k, v]) => [k, [...v]])) });
  }
}

function canonical(c: { allocations: Record<string, Resources>; mappings: Record<string, readonly string[]> }): string {
  const allocations = Object.keys(c.allocations)
    .sort()
    .map((u) => {
      const res = c.allocations[u] as Resources;
      return `${short(u)}{${Object.keys(res)
        .sort()
        .map((rc) => `${rc}:${res[rc] as number}`)
        .join(',')}}`;
    })
    .join(' ');
  const mappings = Object.keys(c.mappings)
    .sort()
    .map((s) => `'${s}'=[${[...(c.mappings[s] as readonly string[])].map(short).sort().join(',')}]`)
    .join(' ');
  return `${allocations} | ${mappings}`;
}

const keyOfRequest = (r: AllocationRequest): string =>
  canonical({
    allocations: Object.fromEntries(Object.entries(r.allocations).map(([u, v]) => [u, { ...v.resources }])),
    mappings: r.mappings,
  });

/** (b): every assignment of providers to slots, kept when the checker accepts it. */
function bruteForce(checker: Checker, slots: Slot[]): Map<string, string[]> {
  const all = checker.world.providers.map((p) => p.uuid);
  // Pruning by the slot-local terms of the same checker only skips assignments it would reject.
  const options = slots.map((s) =>
    all.filter((u) => {
      const out: string[] = [];
      checker.local(s, u, out);
      return out.length === 0;
    }),
  );
  const found = new Map<string, string[]>();
  const choice: string[] = [];
  const walk = (i: number): void => {
    if (i === slots.length) {
      if (checker.violations(slots, choice, true).length === 0) found.set(checker.keyOf(slots, choice), [...choice]);
      return;
    }
    for (const u of options[i] as string[]) {
      choice[i] = u;
      walk(i + 1);
    }
  };
  walk(0);
  return found;
}

/** (a): the assignments that reproduce a returned candidate, and why each is rejected (if it is). */
function explain(checker: Checker, slots: Slot[], r: AllocationRequest): { ok: boolean; why: string[] } {
  const key = keyOfRequest(r);
  const options = slots.map((s) =>
    s.rc === null
      ? [...(r.mappings[s.group.suffix] ?? [])]
      : [...(r.mappings[''] ?? [])].filter((u) => r.allocations[u]?.resources[s.rc as string] !== undefined),
  );
  const why: string[] = [];
  let ok = false;
  const choice: string[] = [];
  const walk = (i: number): void => {
    if (ok) return;
    if (i === slots.length) {
      if (checker.keyOf(slots, choice) !== key) return;
      const v = checker.violations(slots, choice, false);
      if (v.length === 0) ok = true;
      else why.push(`${slots.map((s, j) => `${s.label}->${short(choice[j] as string)}`).join(', ')}: ${v.join('; ')}`);
      return;
    }
    for (const u of options[i] as string[]) {
      if (!checker.world.byUuid.has(u)) continue;
      choice[i] = u;
      walk(i + 1);
    }
  };
  walk(0);
  if (!ok && why.length === 0) why.push('no assignment of providers to the request slots reproduces these allocations and mappings');
  return { ok, why };
}

function describeWorld(world: World): string {
  return world.providers
    .map((p) => {
      const inv = [...p.inventories]
        .map(([rc, i]) => {
          const extras = [
            i.reserved > 0 ? `r${i.reserved}` : '',
            i.minUnit > 1 ? `min${i.minUnit}` : '',
            i.maxUnit < MAX_INT ? `max${i.maxUnit}` : '',
            i.stepSize > 1 ? `step${i.stepSize}` : '',
            i.allocationRatio !== 1 ? `x${i.allocationRatio}` : '',
          ].filter((x) => x !== '');
          const used = world.used.get(usedKey(p.uuid, rc));
          return `${rc}:${i.total}${extras.length > 0 ? `(${extras.join(',')})` : ''}${used !== undefined ? `used${used}` : ''}`;
        })
        .join(' ');
      return `${short(p.uuid)}${p.parent === null ? '' : `<${short(p.parent)}`} [${inv}] traits=${[...p.traits].join(',')} aggs=${[...p.aggregates].map(short).join(',')}`;
    })
    .join('\n  ');
}

// ------------------------------------------------------------------------------------ summaries (e)

function expectSummaries(checker: Checker, result: CandidateResult, what: string): void {
  const roots = new Set<string>();
  for (const r of result.allocationRequests) for (const u of Object.keys(r.allocations)) roots.add(checker.root(u));
  const expected = checker.world.providers.filter((p) => roots.has(checker.root(p.uuid)));
  expect(Object.keys(result.providerSummaries).map(short).sort(), `${what}: provider summary keys (rule 38)`).toEqual(expected.map((p) => short(p.uuid)).sort());
  for (const p of expected) {
    const resources: Record<string, { capacity: number; used: number }> = {};
    for (const [rc, inv] of p.inventories) resources[rc] = { capacity: Math.trunc((inv.total - inv.reserved) * inv.allocationRatio), used: checker.used(p.uuid, rc) };
    const got = result.providerSummaries[p.uuid];
    expect(
      got === undefined ? undefined : { ...got, traits: [...got.traits].sort() },
      `${what}: summary of ${short(p.uuid)}`,
    ).toEqual({ resources, traits: [...p.traits].sort(), parentProviderUuid: p.parent, rootProviderUuid: checker.root(p.uuid) });
  }
}

// ------------------------------------------------------------------------------------ properties

const caseArb = fc.record({ world: worldSpecArb, query: querySpecArb, limit: fc.integer({ min: 1, max: 4 }), seed: fc.integer() });

interface Case {
  engine: PlacementEngine;
  world: World;
  query: CandidateQuery;
  checker: Checker;
  slots: Slot[];
  result: CandidateResult;
  context: string;
}

function prepare(c: { world: WorldSpec; query: QuerySpec }): Case {
  const { engine, world } = buildWorld(c.world);
  const query = toQuery(c.query, world);
  const checker = new Checker(world, query);
  const slots = slotsOf(query);
  const result = engine.getAllocationCandidates(query);
  const context = `world:\n  ${describeWorld(world)}\nquery: ${shortJson(query)}\nengine returned:\n  ${result.allocationRequests.map(keyOfRequest).join('\n  ')}`;
  return { engine, world, query, checker, slots, result, context };
}

const NUM_RUNS = Number(process.env.NUM_RUNS ?? 3000);

describe('allocation candidates against a brute-force reading of the rules', () => {
  it('(a) soundness: every returned candidate satisfies every term of its query', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const k = prepare(c);
        for (const r of k.result.allocationRequests) {
          const { ok, why } = explain(k.checker, k.slots, r);
          if (!ok) throw new Error(`unsound candidate ${keyOfRequest(r)}\n  ${why.join('\n  ')}\n${k.context}`);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(b) completeness: the candidates are exactly the brute-force enumeration, without duplicates', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const k = prepare(c);
        const got = k.result.allocationRequests.map(keyOfRequest);
        expect(new Set(got).size, `duplicate candidates (rule 33)\n${k.context}`).toBe(got.length);
        const want = bruteForce(k.checker, k.slots);
        const missing = [...want.keys()].filter((x) => !got.includes(x));
        const extra = got.filter((x) => !want.has(x));
        if (missing.length > 0 || extra.length > 0) {
          throw new Error(`candidates differ from the enumeration\nmissing:\n  ${missing.join('\n  ')}\nextra:\n  ${extra.join('\n  ')}\n${k.context}`);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(c) limit returns min(limit, all) distinct candidates from the full set, the first ones without rng', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const k = prepare(c);
        const all = k.result.allocationRequests.map(keyOfRequest);
        const limited = k.engine.getAllocationCandidates({ ...k.query, limit: c.limit });
        const keys = limited.allocationRequests.map(keyOfRequest);
        expect(keys, `limit ${c.limit}\n${k.context}`).toEqual(all.slice(0, c.limit));
        expectSummaries(k.checker, limited, `limit ${c.limit}`);
        const shuffled = k.engine.getAllocationCandidates({ ...k.query, limit: c.limit, rng: seededRng(c.seed) });
        const sKeys = shuffled.allocationRequests.map(keyOfRequest);
        expect(sKeys.length, `limit ${c.limit} with rng\n${k.context}`).toBe(Math.min(c.limit, all.length));
        expect(new Set(sKeys).size).toBe(sKeys.length);
        for (const x of sKeys) expect(all, `limit with rng returned a candidate outside the full set\n${k.context}`).toContain(x);
        expectSummaries(k.checker, shuffled, `limit ${c.limit} with rng`);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(d) the same rng seed gives the same order; any seed gives the same set', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), (c, limited) => {
        const k = prepare(c);
        const q = limited ? { ...k.query, limit: c.limit } : k.query;
        const first = k.engine.getAllocationCandidates({ ...q, rng: seededRng(c.seed) });
        const second = k.engine.getAllocationCandidates({ ...q, rng: seededRng(c.seed) });
        expect(second, `same seed ${c.seed}\n${k.context}`).toEqual(first);
        if (!limited) {
          expect(first.allocationRequests.map(keyOfRequest).sort(), `rng changes the set\n${k.context}`).toEqual(
            k.result.allocationRequests.map(keyOfRequest).sort(),
          );
        }
        // Without rng the order is deterministic too.
        expect(k.engine.getAllocationCandidates(k.query)).toEqual(k.result);
      }),
      { numRuns: NUM_RUNS / 2 },
    );
  });

  it('(e) provider summaries cover exactly the trees of the providers in the returned allocations', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const k = prepare(c);
        expectSummaries(k.checker, k.result, `full result\n${k.context}`);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('allocation candidates: the flat-world path', () => {
  // The engine answers a one-group query on a world of childless roots with no sharing provider in
  // one pass (candidates.ts flatAnchors). Worlds here are mostly flat, so that path runs; its
  // answers must be the general path's, order, limit, rng and summaries included.
  const flatCaseArb = fc.record({
    world: worldSpecArb.chain((w) =>
      fc.record({ flat: fc.boolean(), unshared: fc.boolean() }).map(({ flat, unshared }) => ({
        ...w,
        parents: flat ? w.parents.map(() => -1) : w.parents,
        sharing: unshared ? null : w.sharing,
      })),
    ),
    query: querySpecArb,
    limit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    seed: fc.option(fc.integer(), { nil: undefined }),
  });
  it('gives the same answer as the general path', () => {
    fc.assert(
      fc.property(flatCaseArb, (c) => {
        const { engine, world } = buildWorld(c.world);
        const query: CandidateQuery = { ...toQuery(c.query, world), ...(c.limit === undefined ? {} : { limit: c.limit }) };
        const run = (paths: CandidatePaths): CandidateResult | string => {
          try {
            return findAllocationCandidates(engine, c.seed === undefined ? query : { ...query, rng: seededRng(c.seed) }, paths);
          } catch (e) {
            if (e instanceof PlacementError) return e.code;
            throw e;
          }
        };
        expect(run('fastest'), `world:\n  ${describeWorld(world)}\nquery: ${shortJson(query)}`).toEqual(run('general'));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('allocation candidates: in_tree with a sharing provider (rules 15, 16)', () => {
  // Rules 15, 16: in_tree on the unsuffixed group restricts that group to the named tree: its
  // suppliers are in that tree and no sharing provider brings in another tree, so the group is
  // anchored at the in_tree root (Placement skips the sharing-anchor step when in_tree is given).
  // The case that once failed: P1 root, MISC_SHARES_VIA_AGGREGATE, DISK_GB 1, aggregate A1; P2 root,
  // VCPU 4, aggregate A1; groups '' {DISK_GB:1, in_tree: P1} and 'X' {VCPU:1} must give nothing.
  it('in_tree on the unsuffixed group anchors it at the in_tree root, even when a sharing provider of that tree is shared elsewhere', () => {
    fc.assert(
      fc.property(
        fc.record({
          sharingIsChild: fc.boolean(),
          inTreeAtSharing: fc.boolean(),
          disk: fc.integer({ min: 1, max: 8 }),
          amount: fc.integer({ min: 1, max: 3 }),
          resourceless: fc.boolean(),
          otherTreeChild: fc.boolean(),
        }),
        (c) => {
          // T: P1 (root) [+ P2 child]; the sharing provider is P2 (child) or P1 (root).
          // R: P3 (root) [+ P4 child holding the VCPU].
          const parents = c.sharingIsChild ? [-1, 0, -1] : [-1, -1];
          if (c.otherTreeChild) parents.push(parents.length - 1);
          const n = parents.length;
          const sharingIdx = c.sharingIsChild ? 1 : 0;
          const otherRoot = c.sharingIsChild ? 2 : 1;
          const vcpuAt = c.otherTreeChild ? n - 1 : otherRoot;
          const inventories: Partial<Record<string, Inventory>>[] = parents.map(() => ({}));
          const inv = (total: number): Inventory => ({ total, reserved: 0, minUnit: 1, maxUnit: MAX_INT, stepSize: 1, allocationRatio: 1 });
          (inventories[sharingIdx] as Partial<Record<string, Inventory>>).DISK_GB = inv(Math.max(c.disk, c.amount));
          (inventories[vcpuAt] as Partial<Record<string, Inventory>>).VCPU = inv(4);
          const aggregates = parents.map((): string[] => []);
          (aggregates[otherRoot] as string[]).push(AGGREGATES[0] as string);
          const { engine, world } = buildWorld({
            parents,
            inventories,
            traits: parents.map(() => []),
            aggregates,
            sharing: sharingIdx,
            allocations: [],
          });
          const query: CandidateQuery = {
            groups: [
              { suffix: '', resources: { DISK_GB: c.amount }, inTree: PROVIDERS[c.inTreeAtSharing ? sharingIdx : 0] as string },
              { suffix: 'X', resources: c.resourceless ? {} : { VCPU: 1 } },
            ],
            ...(c.resourceless ? { sameSubtree: [['X']] } : {}),
          };
          const checker = new Checker(world, query);
          const slots = slotsOf(query);
          const result = engine.getAllocationCandidates(query);
          const want = [...bruteForce(checker, slots).keys()].sort();
          const got = result.allocationRequests.map(keyOfRequest).sort();
          expect(got, `world:\n  ${describeWorld(world)}\nquery: ${shortJson(query)}`).toEqual(want);
        },
      ),
      { numRuns: 50 },
    );
  });
});
