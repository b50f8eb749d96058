/**
 * Model-based property test of the placement engine's writes.
 *
 * A deliberately plain reference model (Maps and arrays) is written from docs/placement-rules.md
 * (rule numbers are cited inline), not from the engine. Every command runs against both: when the
 * rules refuse a write, the engine must throw a PlacementError with the status and Placement code the
 * rules name, and nothing may change; otherwise the write must succeed and the model is updated. After
 * every command all engine reads are compared with the model, and model-independent invariants are
 * checked on the engine alone (usage = sum of allocations, no over-commit except after an inventory
 * change, generations never go backwards).
 *
 * Worlds are tiny on purpose (<= 6 providers out of a pool of 7 uuids, 4 resource classes, totals of a
 * few units, ratios 0.5/1/1.5) so that capacity, name clashes, stale generations and missing
 * providers are hit often.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { PlacementEngine } from '../../../src/placement/engine.js';
import { PlacementError } from '../../../src/placement/errors.js';
import type { ConsumerAllocationsWrite, Inventory, InventoryInput, ReshapeInput, Resources } from '../../../src/placement/types.js';
import { shortJsonWith } from '../../support/short-json.js';

// ------------------------------------------------------------------------------------------ pools

const pad = (n: number): string => n.toString(16).padStart(12, '0');
const PROVIDERS = Array.from({ length: 7 }, (_, i) => `00000000-0000-4000-8000-${pad(i + 1)}`);
const CONSUMERS = Array.from({ length: 4 }, (_, i) => `cccccccc-0000-4000-8000-${pad(i + 1)}`);
const AGGREGATES = Array.from({ length: 3 }, (_, i) => `aaaaaaaa-0000-4000-8000-${pad(i + 1)}`);
const NAMES = ['rp-a', 'rp-b', 'rp-c', 'rp-d', 'rp-e', 'rp-f', 'rp-g'];
const RCS = ['VCPU', 'MEMORY_MB', 'DISK_GB', 'CUSTOM_X'] as const;
const UNKNOWN_RC = 'CUSTOM_NOPE';
const TRAITS = ['HW_CPU_X86_AVX2', 'STORAGE_DISK_SSD', 'MISC_SHARES_VIA_AGGREGATE'] as const;
const UNKNOWN_TRAIT = 'CUSTOM_NOT_A_TRAIT';
const PROJECTS = ['project-1', 'project-2'];
const USERS = ['user-1', 'user-2'];
const MAX_INT = 2147483647;
const MAX_PROVIDERS = 6;

/** Short names for messages: P1..P7, C1..C4, A1..A3. */
function short(u: string): string {
  const p = PROVIDERS.indexOf(u);
  if (p >= 0) return `P${p + 1}`;
  const c = CONSUMERS.indexOf(u);
  if (c >= 0) return `C${c + 1}`;
  const a = AGGREGATES.indexOf(u);
  if (a >= 0) return `A${a + 1}`;
  return u;
}
const shortJson = shortJsonWith(short);
const key = (p: string, rc: string): string => `${p}|${rc}`;

// ------------------------------------------------------------------------------- the reference model

interface MProvider {
  uuid: string;
  name: string;
  parent: string | null;
  generation: number;
  inventories: Map<string, Inventory>;
  aggregates: string[];
  traits: Set<string>;
}

interface MConsumer {
  uuid: string;
  projectId: string;
  userId: string;
  consumerType: string;
  generation: number;
  /** provider -> rc -> amount */
  allocations: Map<string, Map<string, number>>;
}

class Model {
  readonly providers = new Map<string, MProvider>();
  readonly consumers = new Map<string, MConsumer>();
  /** (provider, rc) pairs that an inventory change left with usage above capacity (rule 49). */
  readonly lowered = new Set<string>();

  alive(): string[] {
    return PROVIDERS.filter((u) => this.providers.has(u));
  }

  absent(): string[] {
    return PROVIDERS.filter((u) => !this.providers.has(u));
  }

  get(u: string): MProvider {
    const p = this.providers.get(u);
    if (p === undefined) throw new Error(`model: no provider ${short(u)}`);
    return p;
  }

  root(u: string): string {
    let p = this.get(u);
    while (p.parent !== null) p = this.get(p.parent);
    return p.uuid;
  }

  isAncestorOrSelf(ancestor: string, u: string): boolean {
    for (let x: string | null = u; x !== null; x = this.providers.get(x)?.parent ?? null) if (x === ancestor) return true;
    return false;
  }

  /** Rule 0.2, optionally leaving out some consumers (those a write replaces, rule 62). */
  usage(p: string, rc: string, without: ReadonlySet<string> = new Set()): number {
    let used = 0;
    for (const c of this.consumers.values()) if (!without.has(c.uuid)) used += c.allocations.get(p)?.get(rc) ?? 0;
    return used;
  }

  hasAllocationsOn(p: string): boolean {
    for (const c of this.consumers.values()) if (c.allocations.has(p)) return true;
    return false;
  }

  /** Flags every pair now above capacity (called after inventory changes, rule 49). */
  flagOverCapacity(): void {
    for (const p of this.providers.values()) {
      for (const [rc, inv] of p.inventories) if (this.usage(p.uuid, rc) > rawCapacity(inv)) this.lowered.add(key(p.uuid, rc));
    }
  }

  /** Forgets flags of pairs that are back within capacity (or gone). */
  pruneFlags(): void {
    for (const k of [...this.lowered]) {
      const [p, rc] = k.split('|') as [string, string];
      const inv = this.providers.get(p)?.inventories.get(rc);
      if (inv === undefined || this.usage(p, rc) <= rawCapacity(inv)) this.lowered.delete(k);
    }
  }
}

/** Rule 0.3: the float bound used by fit checks. */
const rawCapacity = (inv: Inventory): number => (inv.total - inv.reserved) * inv.allocationRatio;

/** Rule 0.3's unit constraints. */
const unitsOk = (inv: Inventory, amount: number): boolean =>
  inv.minUnit <= amount && amount <= inv.maxUnit && amount % inv.stepSize === 0;

/** Rules 41-43: the stored record, or why the write is a 400. */
function modelInventory(rc: string, input: InventoryInput): Inventory | string {
  if (!(RCS as readonly string[]).includes(rc)) return `unknown resource class ${rc}`;
  const int = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_INT;
  const total = input.total;
  const reserved = input.reserved ?? 0;
  const minUnit = input.minUnit ?? 1;
  const maxUnit = input.maxUnit ?? MAX_INT;
  const stepSize = input.stepSize ?? 1;
  const allocationRatio = input.allocationRatio ?? 1;
  if (!int(total, 1)) return `${rc}: total ${String(total)} out of range`;
  if (!int(reserved, 0) || !int(minUnit, 1) || !int(maxUnit, 1) || !int(stepSize, 1)) return `${rc}: field out of range`;
  // Rule 42 (mv >= 1.26): the truncated capacity must not be negative.
  if (Math.trunc((total - reserved) * allocationRatio) < 0) return `${rc}: reserved ${reserved} > total ${total}`;
  return { total, reserved, minUnit, maxUnit, stepSize, allocationRatio };
}

// ------------------------------------------------------------------------------ expected outcomes

type Code =
  | 'default'
  | 'any'
  | 'placement.concurrent_update'
  | 'placement.inventory.inuse'
  | 'placement.duplicate_name'
  | 'placement.resource_provider.inuse'
  | 'placement.resource_provider.cannot_delete_parent'
  | 'placement.resource_provider.not_found';

/** One acceptable refusal: HTTP status and Placement error code (rule 68). */
interface Expected {
  status: number;
  /** 'default' = placement.undefined_code; 'any' = the rules name no code (404s). */
  code: Code;
  why: string;
}

const DEFAULT_CODE = 'placement.undefined_code';

const refuse = (status: number, code: Code, why: string): Expected => ({ status, code, why });

type Prediction = { refuse: Expected[] } | { commit: () => Set<string> };

interface Real {
  engine: PlacementEngine;
}

function matches(err: PlacementError, x: Expected): boolean {
  if (err.httpStatus !== x.status) return false;
  if (x.code === 'any') return true;
  return err.placementCode === (x.code === 'default' ? DEFAULT_CODE : x.code);
}

// ------------------------------------------------------------------------ engine reads and checks

function snapshot(e: PlacementEngine): unknown {
  const providers = e.listProviders().sort((a, b) => a.uuid.localeCompare(b.uuid));
  return {
    seq: e.seq,
    providers,
    details: providers.map((p) => ({
      inventories: e.getInventories(p.uuid),
      usages: e.getProviderUsages(p.uuid),
      aggregates: e.getAggregates(p.uuid),
      traits: e.getProviderTraits(p.uuid),
      allocations: e.getProviderAllocations(p.uuid),
    })),
    consumers: CONSUMERS.map((c) => e.getConsumerAllocations(c) ?? null),
  };
}

function generations(e: PlacementEngine): Map<string, number> {
  return new Map(e.listProviders().map((p) => [p.uuid, p.generation]));
}

/** Every engine read equals the model. */
function verifyReads(m: Model, e: PlacementEngine): void {
  const byUuid = (a: { uuid: string }, b: { uuid: string }): number => a.uuid.localeCompare(b.uuid);
  const listed = e
    .listProviders()
    .map((v) => ({ uuid: v.uuid, name: v.name, generation: v.generation, parentUuid: v.parentUuid, rootUuid: v.rootUuid }))
    .sort(byUuid);
  const expected = [...m.providers.values()]
    .map((p) => ({ uuid: p.uuid, name: p.name, generation: p.generation, parentUuid: p.parent, rootUuid: m.root(p.uuid) }))
    .sort(byUuid);
  expect(listed.map((p) => shortJson(p)), 'listProviders').toEqual(expected.map((p) => shortJson(p)));

  for (const p of m.providers.values()) {
    const name = short(p.uuid);
    expect(e.getInventories(p.uuid), `getInventories ${name}`).toEqual({
      generation: p.generation,
      inventories: Object.fromEntries(p.inventories),
    });
    const usages: Resources = {};
    for (const rc of p.inventories.keys()) usages[rc] = m.usage(p.uuid, rc);
    expect(e.getProviderUsages(p.uuid), `getProviderUsages ${name}`).toEqual({ generation: p.generation, usages });
    const aggs = e.getAggregates(p.uuid);
    expect({ generation: aggs.generation, aggregates: [...aggs.aggregates].sort() }, `getAggregates ${name}`).toEqual({
      generation: p.generation,
      aggregates: [...p.aggregates].sort(),
    });
    const traits = e.getProviderTraits(p.uuid);
    expect({ generation: traits.generation, traits: [...traits.traits].sort() }, `getProviderTraits ${name}`).toEqual({
      generation: p.generation,
      traits: [...p.traits].sort(),
    });
    const held: Record<string, { resources: Resources }> = {};
    for (const c of m.consumers.values()) {
      const r = c.allocations.get(p.uuid);
      if (r !== undefined) held[c.uuid] = { resources: Object.fromEntries(r) };
    }
    expect(e.getProviderAllocations(p.uuid), `getProviderAllocations ${name}`).toEqual({ generation: p.generation, allocations: held });
  }

  for (const c of CONSUMERS) {
    const got = e.getConsumerAllocations(c);
    const mc = m.consumers.get(c);
    if (mc === undefined) {
      expect(got, `getConsumerAllocations ${short(c)} (no allocations)`).toBeUndefined();
      continue;
    }
    expect(got, `getConsumerAllocations ${short(c)}`).toBeDefined();
    const allocations: Record<string, { generation: number; resources: Resources }> = {};
    for (const [p, r] of mc.allocations) allocations[p] = { generation: m.get(p).generation, resources: Object.fromEntries(r) };
    expect(
      {
        projectId: got?.projectId,
        userId: got?.userId,
        consumerType: got?.consumerType,
        consumerGeneration: got?.consumerGeneration,
        allocations: got?.allocations,
      },
      `getConsumerAllocations ${short(c)}`,
    ).toEqual({
      projectId: mc.projectId,
      userId: mc.userId,
      consumerType: mc.consumerType,
      consumerGeneration: mc.generation,
      allocations,
    });
  }
}

/** Invariants checked on the engine's own reads (the model only supplies the over-commit flags). */
function verifyEngineInvariants(m: Model, e: PlacementEngine): void {
  const sums = new Map<string, number>();
  for (const c of CONSUMERS) {
    const a = e.getConsumerAllocations(c);
    if (a === undefined) continue;
    const providers = Object.keys(a.allocations);
    expect(providers.length, `consumer ${short(c)} exists with no allocations`).toBeGreaterThan(0);
    for (const [p, { resources }] of Object.entries(a.allocations)) {
      for (const [rc, n] of Object.entries(resources)) sums.set(key(p, rc), (sums.get(key(p, rc)) ?? 0) + n);
    }
  }
  const seen = new Set<string>();
  for (const v of e.listProviders()) {
    const inv = e.getInventories(v.uuid).inventories;
    const use = e.getProviderUsages(v.uuid).usages;
    for (const [rc, record] of Object.entries(inv)) {
      const k = key(v.uuid, rc);
      seen.add(k);
      // usage equals the sum of all consumers' allocations (rule 0.2)
      expect(use[rc], `usage of ${short(v.uuid)} ${rc} vs sum of allocations`).toBe(sums.get(k) ?? 0);
      // over capacity only where an inventory change lowered capacity (rule 49)
      if ((use[rc] ?? 0) > rawCapacity(record)) {
        expect(m.lowered.has(k), `${short(v.uuid)} ${rc} over capacity (${use[rc]} > ${rawCapacity(record)}) without an inventory change`).toBe(true);
      }
    }
  }
  for (const k of sums.keys()) expect(seen.has(k), `allocation ${k} has no inventory`).toBe(true);
}

// ------------------------------------------------------------------------------------ one step

interface Plan {
  label: string;
  predict: Prediction;
  act: (e: PlacementEngine) => void;
  /** Inventory change: over-commit it causes is legitimate (rule 49). */
  inventoryChange?: boolean;
  /** Pairs a successful allocation write put usage on: they must be within capacity. */
  allocated?: [string, string][];
}

/**
 * Outcome counts per command kind, printed with PLACEMENT_STATS=1 (PLACEMENT_WHY=1 adds reasons):
 * a quick way to see that every branch of every command is exercised.
 */
const stats = new Map<string, number>();
const count = (k: string): void => {
  stats.set(k, (stats.get(k) ?? 0) + 1);
};

function step(m: Model, r: Real, plan: Plan): void {
  const e = r.engine;
  count(`${plan.label.split(' ')[0] as string} ${'refuse' in plan.predict ? 'refused ' + [...new Set(plan.predict.refuse.map((x) => x.status + (process.env.PLACEMENT_WHY ? ' ' + x.why.replace(/[PC][0-9]|[0-9]+/g, '#') : '')))].join('/') : 'ok'}`);
  const before = snapshot(e);
  const gensBefore = generations(e);
  const seq = e.seq;
  let threw = false;
  let thrown: unknown;
  try {
    plan.act(e);
  } catch (err) {
    threw = true;
    thrown = err;
  }
  if ('refuse' in plan.predict) {
    const options = plan.predict.refuse.map((x) => `${x.status} ${x.code} (${x.why})`).join(' | ');
    if (!threw) throw new Error(`${plan.label}: engine accepted a write the rules refuse: ${options}`);
    if (!(thrown instanceof PlacementError)) throw thrown;
    const err = thrown;
    expect(err.code, `${plan.label}: engine error code`).toMatch(/^ERR_PLACEMENT_[A-Z_]+$/);
    if (!plan.predict.refuse.some((x) => matches(err, x))) {
      throw new Error(`${plan.label}: engine refused with ${err.httpStatus} ${err.placementCode} (${err.code}: ${err.message}); rules expect ${options}`);
    }
    // A refused write changes nothing, for every consumer and provider (all or nothing).
    expect(snapshot(e), `${plan.label}: state changed by a refused write`).toEqual(before);
  } else {
    if (threw) {
      const what = thrown instanceof PlacementError ? `${thrown.httpStatus} ${thrown.placementCode} ${thrown.message}` : String(thrown);
      throw new Error(`${plan.label}: engine refused a write the rules allow: ${what}`);
    }
    expect(e.seq, `${plan.label}: seq`).toBe(seq + 1);
    const bumped = plan.predict.commit();
    if (plan.inventoryChange === true) m.flagOverCapacity();
    // Generations strictly increase where the rules bump them (rules 64, 75, 95), never decrease,
    // and stay put elsewhere.
    const gensAfter = generations(e);
    for (const [u, g] of gensBefore) {
      const after = gensAfter.get(u);
      if (after === undefined) continue;
      expect(after, `${plan.label}: generation of ${short(u)} went backwards`).toBeGreaterThanOrEqual(g);
      if (bumped.has(u)) expect(after, `${plan.label}: generation of ${short(u)} not bumped`).toBeGreaterThan(g);
      else expect(after, `${plan.label}: generation of ${short(u)} bumped`).toBe(g);
    }
    for (const [p, rc] of plan.allocated ?? []) {
      const inv = e.getInventories(p).inventories[rc];
      const used = e.getProviderUsages(p).usages[rc] ?? 0;
      expect(inv !== undefined && used <= rawCapacity(inv), `${plan.label}: ${short(p)} ${rc} over capacity after an allocation write`).toBe(true);
    }
  }
  m.pruneFlags();
  verifyReads(m, e);
  verifyEngineInvariants(m, e);
}

class Cmd<P> implements fc.Command<Model, Real> {
  private last = '';

  constructor(
    private readonly kind: string,
    private readonly params: P,
    private readonly plan: (m: Model, r: Real, p: P) => Plan | null,
    private readonly guard: (m: Readonly<Model>) => boolean = () => true,
  ) {}

  check(m: Readonly<Model>): boolean {
    return this.guard(m);
  }

  run(m: Model, r: Real): void {
    const plan = this.plan(m, r, this.params);
    if (plan === null) {
      this.last = `${this.kind} (skipped)`;
      return;
    }
    this.last = plan.label;
    step(m, r, plan);
  }

  toString(): string {
    return this.last === '' ? `${this.kind} ${shortJson(this.params)}` : this.last;
  }
}

// ------------------------------------------------------------------------------ shared resolution

interface Ref {
  missing: boolean;
  idx: number;
}
/** True about once in `n` draws (an explicit weight: integer generators are biased to their bounds). */
const rarely = (n: number): fc.Arbitrary<boolean> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });

const refArb: fc.Arbitrary<Ref> = fc.record({ missing: rarely(12), idx: fc.nat(11) });

function resolveRef(m: Model, ref: Ref): string {
  const alive = m.alive();
  if (ref.missing || alive.length === 0) {
    const absent = m.absent();
    return absent[ref.idx % absent.length] as string;
  }
  return alive[ref.idx % alive.length] as string;
}

type GenChoice = { right: true } | { right: false; k: number };
const genArb: fc.Arbitrary<GenChoice> = fc.oneof(
  { weight: 7, arbitrary: fc.constant<GenChoice>({ right: true }) },
  { weight: 1, arbitrary: fc.nat(2).map((k): GenChoice => ({ right: false, k })) },
);

/** A provider generation the writer names: the current one, or a stale (never negative) one. */
function providerGen(m: Model, u: string, g: GenChoice): number {
  const current = m.providers.get(u)?.generation ?? 0;
  if (g.right) return current;
  return [current + 1, current > 0 ? current - 1 : current + 2, current + 3][g.k] as number;
}

/** Consumer generation (rule 54): current, or null for a new consumer; else a wrong one. */
function consumerGen(m: Model, c: string, g: GenChoice): number | null {
  const existing = m.consumers.get(c);
  if (g.right) return existing === undefined ? null : existing.generation;
  if (existing === undefined) return g.k;
  return [null, existing.generation + 1, existing.generation > 0 ? existing.generation - 1 : existing.generation + 2][g.k] as number | null;
}

/** Inventories as written: mostly valid (fields often left to their defaults), sometimes a 400. */
const goodInvArb: fc.Arbitrary<InventoryInput> = fc
  .record(
    {
      total: fc.integer({ min: 1, max: 8 }),
      reserved: fc.integer({ min: 0, max: 2 }),
      minUnit: fc.integer({ min: 1, max: 2 }),
      maxUnit: fc.integer({ min: 1, max: 8 }),
      stepSize: fc.integer({ min: 1, max: 2 }),
      allocationRatio: fc.constantFrom(1, 1.5, 0.5),
    },
    { requiredKeys: ['total'] },
  )
  .map((i) => ({ ...i, ...((i.reserved ?? 0) > i.total ? { reserved: i.total } : {}) }));
const badInvArb: fc.Arbitrary<InventoryInput> = fc.oneof(
  goodInvArb.map((i) => ({ ...i, total: 0 })),
  // reserved > total: a 400, unless ratio 0.5 truncates the capacity to 0 (rule 42).
  fc.tuple(goodInvArb, fc.integer({ min: 1, max: 2 })).map(([i, d]) => ({ ...i, reserved: i.total + d })),
  goodInvArb.map((i) => ({ ...i, minUnit: 0 })),
);
const invArb = fc.oneof({ weight: 14, arbitrary: goodInvArb }, { weight: 1, arbitrary: badInvArb });

/** An inventory every rule accepts, reserved <= total (rule 93 leaves the reshaper's check unsure). */
const validInvArb = goodInvArb;

const invSetArb = (inv: fc.Arbitrary<InventoryInput>, unknownRc: boolean): fc.Arbitrary<Record<string, InventoryInput>> =>
  fc
    .tuple(
      fc.record({ VCPU: inv, MEMORY_MB: inv, DISK_GB: inv, CUSTOM_X: inv }, { requiredKeys: [] }),
      unknownRc ? fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: inv }) : fc.constant(null),
    )
    .map(([known, odd]) => (odd === null ? known : { ...known, [UNKNOWN_RC]: odd }));

const rcArb = fc.oneof({ weight: 25, arbitrary: fc.constantFrom<string>(...RCS) }, { weight: 1, arbitrary: fc.constant(UNKNOWN_RC) });

/** A class to allocate: usually one the provider stocks (so that writes often get to the capacity check). */
type RcPick = { stocked: true; idx: number } | { stocked: false; rc: string };
const rcPickArb: fc.Arbitrary<RcPick> = fc.oneof(
  { weight: 6, arbitrary: fc.nat(3).map((idx): RcPick => ({ stocked: true, idx })) },
  { weight: 1, arbitrary: rcArb.map((rc): RcPick => ({ stocked: false, rc })) },
);

interface WriteParams {
  c: number;
  gen: GenChoice;
  entries: { p: Ref; rc: RcPick; amount: number }[];
  project: number;
  user: number;
  type: string | undefined;
}
const writeArb: fc.Arbitrary<WriteParams> = fc.record({
  c: fc.nat(CONSUMERS.length - 1),
  gen: genArb,
  entries: fc.oneof(
    { weight: 8, arbitrary: fc.array(fc.record({ p: refArb, rc: rcPickArb, amount: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constant<WriteParams['entries']>([]) },
  ),
  project: fc.nat(1),
  user: fc.nat(1),
  type: fc.constantFrom(undefined, 'INSTANCE', 'MIGRATION'),
});

/**
 * Builds the write exactly as sent. A write of `{}` for a consumer that does not exist is left out:
 * rule 56 marks its outcome unsure.
 */
function resolveWrite(m: Model, w: WriteParams): ConsumerAllocationsWrite | null {
  const consumerUuid = CONSUMERS[w.c] as string;
  const allocations: Record<string, Resources> = {};
  // Usually a provider that stocks something, so that writes often reach the capacity check.
  const stocking = m.alive().filter((u) => m.get(u).inventories.size > 0);
  for (const en of w.entries) {
    const p = en.rc.stocked && !en.p.missing && stocking.length > 0 ? (stocking[en.p.idx % stocking.length] as string) : resolveRef(m, en.p);
    const stocked = [...(m.providers.get(p)?.inventories.keys() ?? [])];
    const rc = en.rc.stocked ? (stocked.length > 0 ? (stocked[en.rc.idx % stocked.length] as string) : (RCS[en.rc.idx] as string)) : en.rc.rc;
    (allocations[p] ??= {})[rc] = en.amount;
  }
  if (Object.keys(allocations).length === 0 && !m.consumers.has(consumerUuid)) return null;
  const out: ConsumerAllocationsWrite = {
    consumerUuid,
    allocations,
    projectId: PROJECTS[w.project] as string,
    userId: USERS[w.user] as string,
    consumerGeneration: consumerGen(m, consumerUuid, w.gen),
  };
  if (w.type !== undefined) out.consumerType = w.type;
  return out;
}

/** Rules 54, 59: refusals that come before any capacity arithmetic. */
function allocationPreChecks(m: Model, writes: readonly ConsumerAllocationsWrite[]): Expected[] {
  const out: Expected[] = [];
  for (const w of writes) {
    const actual = m.consumers.get(w.consumerUuid)?.generation ?? null;
    if (w.consumerGeneration !== actual) {
      out.push(refuse(409, 'placement.concurrent_update', `consumer ${short(w.consumerUuid)} generation ${String(w.consumerGeneration)} != ${String(actual)}`));
    }
    for (const [p, res] of Object.entries(w.allocations)) {
      if (!m.providers.has(p)) out.push(refuse(400, 'default', `allocation on missing provider ${short(p)}`));
      for (const rc of Object.keys(res)) if (!(RCS as readonly string[]).includes(rc)) out.push(refuse(400, 'default', `unknown class ${rc}`));
    }
  }
  return out;
}

/** Rules 60-63: every new amount against inventory, units and capacity (others' usage + request sum). */
function allocationFitChecks(
  m: Model,
  writes: readonly ConsumerAllocationsWrite[],
  inventoryOf: (p: string, rc: string) => Inventory | undefined,
): Expected[] {
  const out: Expected[] = [];
  const rewritten = new Set(writes.map((w) => w.consumerUuid));
  const sums = new Map<string, number>();
  for (const w of writes) {
    for (const [p, res] of Object.entries(w.allocations)) for (const [rc, n] of Object.entries(res)) sums.set(key(p, rc), (sums.get(key(p, rc)) ?? 0) + n);
  }
  for (const w of writes) {
    for (const [p, res] of Object.entries(w.allocations)) {
      for (const [rc, amount] of Object.entries(res)) {
        const inv = inventoryOf(p, rc);
        const where = `${short(w.consumerUuid)}: ${amount} ${rc} on ${short(p)}`;
        if (inv === undefined) out.push(refuse(409, 'default', `${where}: no inventory`));
        else if (!unitsOk(inv, amount)) out.push(refuse(409, 'default', `${where}: min/max/step`));
        else if (m.usage(p, rc, rewritten) + (sums.get(key(p, rc)) ?? 0) > rawCapacity(inv)) {
          out.push(refuse(409, 'default', `${where}: over capacity ${rawCapacity(inv)}`));
        }
      }
    }
  }
  return out;
}

/** Rules 55-58, 64: replaces the consumers' allocations; returns the providers whose generation moves. */
function commitAllocations(m: Model, writes: readonly ConsumerAllocationsWrite[]): Set<string> {
  const bumped = new Set<string>();
  for (const w of writes) {
    const existing = m.consumers.get(w.consumerUuid);
    const next = new Map(Object.entries(w.allocations).map(([p, res]) => [p, new Map(Object.entries(res))]));
    if (next.size === 0) {
      if (existing !== undefined) {
        for (const p of existing.allocations.keys()) bumped.add(p);
        m.consumers.delete(w.consumerUuid);
      }
      continue;
    }
    for (const p of next.keys()) bumped.add(p);
    const c: MConsumer = existing ?? {
      uuid: w.consumerUuid,
      projectId: w.projectId,
      userId: w.userId,
      consumerType: w.consumerType ?? 'unknown',
      generation: 0,
      allocations: new Map(),
    };
    c.projectId = w.projectId;
    c.userId = w.userId;
    if (w.consumerType !== undefined) c.consumerType = w.consumerType;
    c.generation += 1;
    c.allocations = next;
    m.consumers.set(c.uuid, c);
  }
  for (const p of bumped) m.get(p).generation += 1;
  return bumped;
}

const allocatedPairs = (writes: readonly ConsumerAllocationsWrite[]): [string, string][] =>
  writes.flatMap((w) => Object.entries(w.allocations).flatMap(([p, res]) => Object.keys(res).map((rc): [string, string] => [p, rc])));

// ------------------------------------------------------------------------------------- commands

const createCmd = fc
  .record({
    fresh: rarely(8).map((dup) => !dup),
    idx: fc.nat(11),
    name: fc.nat(NAMES.length - 1),
    parent: fc.oneof(
      { weight: 8, arbitrary: fc.constant<{ kind: 'root' }>({ kind: 'root' }) },
      { weight: 10, arbitrary: refArb.map((ref) => ({ kind: 'child' as const, ref })) },
      { weight: 1, arbitrary: fc.constant<{ kind: 'self' }>({ kind: 'self' }) },
    ),
  })
  .map(
    (params) =>
      new Cmd(
        'createProvider',
        params,
        (m, _r, p) => {
          const alive = m.alive();
          const uuid = p.fresh || alive.length === 0 ? (m.absent()[p.idx % m.absent().length] as string) : (alive[p.idx % alive.length] as string);
          const name = NAMES[p.name] as string;
          // A child of nothing is a root (unless the generator asked for a missing parent on purpose).
          const parent =
            p.parent.kind === 'root' || (p.parent.kind === 'child' && !p.parent.ref.missing && alive.length === 0)
              ? null
              : p.parent.kind === 'self'
                ? uuid
                : resolveRef(m, p.parent.ref);
          const errors: Expected[] = [];
          // Rule 69.
          if (m.providers.has(uuid)) errors.push(refuse(409, 'placement.duplicate_name', 'uuid exists'));
          if ([...m.providers.values()].some((x) => x.name === name)) errors.push(refuse(409, 'placement.duplicate_name', 'name exists'));
          if (parent === uuid) errors.push(refuse(400, 'default', 'own parent'));
          else if (parent !== null && !m.providers.has(parent)) errors.push(refuse(400, 'default', 'parent missing'));
          return {
            label: `createProvider ${short(uuid)} name=${name} parent=${parent === null ? 'null' : short(parent)}`,
            act: (e) => e.createProvider({ uuid, name, parentUuid: parent }),
            predict:
              errors.length > 0
                ? { refuse: errors }
                : {
                    commit: () => {
                      // Rule 70: generation 0, root from the parent.
                      m.providers.set(uuid, { uuid, name, parent, generation: 0, inventories: new Map(), aggregates: [], traits: new Set() });
                      return new Set<string>();
                    },
                  },
          };
        },
        (m) => m.providers.size < MAX_PROVIDERS,
      ),
  );

const updateCmd = fc
  .record({
    target: refArb,
    what: fc.constantFrom<'rename' | 'renameOnly' | 'reparent' | 'unparent' | 'both'>('rename', 'renameOnly', 'reparent', 'unparent', 'both'),
    name: fc.nat(NAMES.length - 1),
    parent: refArb,
  })
  .map(
    (params) =>
      new Cmd('updateProvider', params, (m, _r, p) => {
        const uuid = resolveRef(m, p.target);
        const current = m.providers.get(uuid);
        const renaming = p.what === 'rename' || p.what === 'renameOnly' || p.what === 'both';
        const name = renaming ? (NAMES[p.name] as string) : (current?.name ?? (NAMES[p.name] as string));
        // 'rename' sends the current parent again; 'renameOnly' leaves parent_provider_uuid out of the
        // body, which keeps the parent (rule 71: the field is optional).
        const omitParent = p.what === 'renameOnly';
        const parent = p.what === 'unparent' ? null : p.what === 'rename' || omitParent ? (current?.parent ?? null) : resolveRef(m, p.parent);
        const label = `updateProvider ${short(uuid)} name=${name} parent=${omitParent ? '(omitted)' : parent === null ? 'null' : short(parent)}`;
        const act = (e: PlacementEngine): void => {
          if (omitParent) e.updateProvider(uuid, { name });
          else e.updateProvider(uuid, { name, parentUuid: parent });
        };
        if (current === undefined) return { label, act, predict: { refuse: [refuse(404, 'any', 'no such provider')] } };
        const errors: Expected[] = [];
        // Rules 71-72.
        if ([...m.providers.values()].some((x) => x.name === name && x.uuid !== uuid)) errors.push(refuse(409, 'placement.duplicate_name', 'name taken'));
        if (parent !== null && !m.providers.has(parent)) errors.push(refuse(400, 'default', 'parent missing'));
        else if (parent !== null && m.isAncestorOrSelf(uuid, parent)) errors.push(refuse(400, 'default', 'loop'));
        return {
          label,
          act,
          predict:
            errors.length > 0
              ? { refuse: errors }
              : {
                  commit: () => {
                    current.name = name;
                    current.parent = parent;
                    return new Set<string>(); // Rule 75: provider PUT never bumps.
                  },
                },
        };
      }),
  );

const deleteProviderCmd = refArb.map(
  (params) =>
    new Cmd('deleteProvider', params, (m, _r, ref) => {
      const uuid = resolveRef(m, ref);
      const label = `deleteProvider ${short(uuid)}`;
      const act = (e: PlacementEngine): void => e.deleteProvider(uuid);
      // Rule 73: unknown 404; children first, then allocations.
      if (!m.providers.has(uuid)) return { label, act, predict: { refuse: [refuse(404, 'any', 'no such provider')] } };
      if ([...m.providers.values()].some((x) => x.parent === uuid)) {
        return { label, act, predict: { refuse: [refuse(409, 'placement.resource_provider.cannot_delete_parent', 'has children')] } };
      }
      if (m.hasAllocationsOn(uuid)) return { label, act, predict: { refuse: [refuse(409, 'placement.resource_provider.inuse', 'has allocations')] } };
      return {
        label,
        act,
        predict: {
          commit: () => {
            m.providers.delete(uuid);
            return new Set<string>();
          },
        },
      };
    }),
);

/** Rule 44 (PUT all, generation checked) and rule 48 (DELETE all: no generation, `generation: null`). */
const setInventoriesCmd = fc
  .record({ target: refArb, gen: fc.oneof({ weight: 6, arbitrary: genArb }, { weight: 1, arbitrary: fc.constant(null) }), invs: invSetArb(invArb, true) })
  .map(
    (params) =>
      new Cmd('setInventories', params, (m, _r, p) => {
        const uuid = resolveRef(m, p.target);
        const deleteAll = p.gen === null;
        const invs = deleteAll ? {} : p.invs;
        const generation = p.gen === null ? null : providerGen(m, uuid, p.gen);
        const label = deleteAll ? `deleteInventories ${short(uuid)}` : `setInventories ${short(uuid)} gen=${generation} ${shortJson(invs)}`;
        const act = (e: PlacementEngine): void => {
          if (deleteAll) e.deleteInventories(uuid);
          else e.setInventories(uuid, generation, invs);
        };
        const prov = m.providers.get(uuid);
        if (prov === undefined) return { label, act, predict: { refuse: [refuse(404, 'any', 'no such provider')] } };
        const errors: Expected[] = [];
        if (generation !== null && generation !== prov.generation) errors.push(refuse(409, 'placement.concurrent_update', 'stale generation'));
        const next = new Map<string, Inventory>();
        for (const [rc, input] of Object.entries(invs)) {
          const inv = modelInventory(rc, input);
          if (typeof inv === 'string') errors.push(refuse(400, 'default', inv));
          else next.set(rc, inv);
        }
        for (const rc of prov.inventories.keys()) {
          if (!(rc in invs) && m.usage(uuid, rc) > 0) errors.push(refuse(409, 'placement.inventory.inuse', `${rc} in use`));
        }
        return {
          label,
          act,
          inventoryChange: true,
          predict:
            errors.length > 0
              ? { refuse: errors }
              : {
                  commit: () => {
                    prov.inventories = next;
                    prov.generation += 1; // Rule 75: always.
                    return new Set([uuid]);
                  },
                },
        };
      }),
  );

/** Rule 46 (POST one: generation ignored) and rule 45 (PUT one: generation checked). */
const oneInventoryCmd = fc
  .record({ target: refArb, post: fc.boolean(), gen: genArb, rc: rcPickArb, inv: invArb })
  .map(
    (params) =>
      new Cmd(params.post ? 'addInventory' : 'updateInventory', params, (m, _r, p) => {
        const uuid = resolveRef(m, p.target);
        const generation = providerGen(m, uuid, p.gen);
        // POST usually names a class the provider lacks, PUT one it has.
        const stocked = [...(m.providers.get(uuid)?.inventories.keys() ?? [])];
        const pool = p.post ? RCS.filter((x) => !stocked.includes(x)) : stocked;
        const rc = p.rc.stocked ? (pool.length > 0 ? (pool[p.rc.idx % pool.length] as string) : (RCS[p.rc.idx] as string)) : p.rc.rc;
        const label = `${p.post ? 'addInventory' : 'updateInventory'} ${short(uuid)} gen=${generation} ${rc} ${shortJson(p.inv)}`;
        const act = (e: PlacementEngine): void => {
          if (p.post) e.addInventory(uuid, generation, rc, p.inv);
          else e.updateInventory(uuid, generation, rc, p.inv);
        };
        const prov = m.providers.get(uuid);
        if (prov === undefined) return { label, act, predict: { refuse: [refuse(404, 'any', 'no such provider')] } };
        const errors: Expected[] = [];
        const inv = modelInventory(rc, p.inv);
        if (typeof inv === 'string') errors.push(refuse(400, 'default', inv));
        if (p.post) {
          if (prov.inventories.has(rc)) errors.push(refuse(409, 'placement.concurrent_update', 'inventory exists'));
        } else {
          if (generation !== prov.generation) errors.push(refuse(409, 'placement.concurrent_update', 'stale generation'));
          if (!prov.inventories.has(rc)) errors.push(refuse(400, 'default', 'no such inventory'));
        }
        return {
          label,
          act,
          inventoryChange: true,
          predict:
            errors.length > 0 || typeof inv === 'string'
              ? { refuse: errors }
              : {
                  commit: () => {
                    prov.inventories.set(rc, inv); // Rule 49: may leave usage above capacity.
                    prov.generation += 1;
                    return new Set([uuid]);
                  },
                },
        };
      }),
  );

/** Rule 47: DELETE one inventory, no generation check (`null`). */
const deleteInventoryCmd = fc.record({ target: refArb, rc: fc.nat(3), stocked: rarely(6).map((x) => !x) }).map(
  (params) =>
    new Cmd('deleteInventory', params, (m, _r, p) => {
      const uuid = resolveRef(m, p.target);
      // Usually a class the provider has.
      const stocked = [...(m.providers.get(uuid)?.inventories.keys() ?? [])];
      const rc = p.stocked && stocked.length > 0 ? (stocked[p.rc % stocked.length] as string) : (RCS[p.rc] as string);
      const label = `deleteInventory ${short(uuid)} ${rc}`;
      const act = (e: PlacementEngine): void => {
        e.deleteInventory(uuid, null, rc);
      };
      const prov = m.providers.get(uuid);
      if (prov === undefined) return { label, act, predict: { refuse: [refuse(404, 'any', 'no such provider')] } };
      if (!prov.inventories.has(rc)) return { label, act, predict: { refuse: [refuse(404, 'any', 'no such inventory')] } };
      if (m.usage(uuid, rc) > 0) return { label, act, predict: { refuse: [refuse(409, 'placement.concurrent_update', 'in use')] } };
      return {
        label,
        act,
        inventoryChange: true,
        predict: {
          commit: () => {
            prov.inventories.delete(rc);
            prov.generation += 1;
            return new Set([uuid]);
          },
        },
      };
    }),
);

/** Rule 76 (>= 1.19): replace-all, generation checked, always bumps; unique uuids. */
const setAggregatesCmd = fc
  .record({
    target: refArb,
    gen: genArb,
    aggs: fc.oneof(
      { weight: 8, arbitrary: fc.subarray(AGGREGATES) },
      { weight: 1, arbitrary: fc.constantFrom(...AGGREGATES).map((a) => [a, a]) },
    ),
  })
  .map(
    (params) =>
      new Cmd('setAggregates', params, (m, _r, p) => {
        const uuid = resolveRef(m, p.target);
        const generation = providerGen(m, uuid, p.gen);
        const label = `setAggregates ${short(uuid)} gen=${generation} [${p.aggs.map(short).join(',')}]`;
        const act = (e: PlacementEngine): void => {
          e.setAggregates(uuid, generation, p.aggs);
        };
        const prov = m.providers.get(uuid);
        if (prov === undefined) return { label, act, predict: { refuse: [refuse(404, 'any', 'no such provider')] } };
        const errors: Expected[] = [];
        if (generation !== prov.generation) errors.push(refuse(409, 'placement.concurrent_update', 'stale generation'));
        if (new Set(p.aggs).size !== p.aggs.length) errors.push(refuse(400, 'default', 'repeated aggregate'));
        return {
          label,
          act,
          predict:
            errors.length > 0
              ? { refuse: errors }
              : {
                  commit: () => {
                    prov.aggregates = [...p.aggs];
                    prov.generation += 1;
                    return new Set([uuid]);
                  },
                },
        };
      }),
  );

/** Rule 80: PUT traits (generation checked) or DELETE traits (`null`, no check); bump only on change (75). */
const setTraitsCmd = fc
  .record({
    target: refArb,
    gen: fc.oneof({ weight: 6, arbitrary: genArb }, { weight: 1, arbitrary: fc.constant(null) }),
    traits: fc.subarray<string>([...TRAITS]),
    unknown: rarely(12),
  })
  .map(
    (params) =>
      new Cmd('setProviderTraits', params, (m, _r, p) => {
        const uuid = resolveRef(m, p.target);
        const del = p.gen === null;
        const traits = del ? [] : p.unknown ? [...p.traits, UNKNOWN_TRAIT] : p.traits;
        const generation = p.gen === null ? null : providerGen(m, uuid, p.gen);
        const label = del ? `deleteProviderTraits ${short(uuid)}` : `setProviderTraits ${short(uuid)} gen=${generation} [${traits.join(',')}]`;
        const act = (e: PlacementEngine): void => {
          if (del) e.deleteProviderTraits(uuid);
          else e.setProviderTraits(uuid, generation, traits);
        };
        const prov = m.providers.get(uuid);
        if (prov === undefined) return { label, act, predict: { refuse: [refuse(404, 'any', 'no such provider')] } };
        const errors: Expected[] = [];
        if (generation !== null && generation !== prov.generation) errors.push(refuse(409, 'placement.concurrent_update', 'stale generation'));
        if (traits.includes(UNKNOWN_TRAIT)) errors.push(refuse(400, 'default', 'unknown trait'));
        return {
          label,
          act,
          predict:
            errors.length > 0
              ? { refuse: errors }
              : {
                  commit: () => {
                    const next = new Set(traits);
                    const changed = next.size !== prov.traits.size || [...next].some((t) => !prov.traits.has(t));
                    prov.traits = next;
                    if (!changed) return new Set<string>();
                    prov.generation += 1;
                    return new Set([uuid]);
                  },
                },
        };
      }),
  );

function allocationPlan(m: Model, writes: ConsumerAllocationsWrite[], many: boolean): Plan {
  const label = `${many ? 'setAllocationsMany' : 'setAllocations'} ${shortJson(
    writes.map((w) => ({ c: w.consumerUuid, gen: w.consumerGeneration, type: w.consumerType, a: w.allocations })),
  )}`;
  const act = (e: PlacementEngine): void => {
    if (many) e.setAllocationsMany(writes);
    else e.setAllocations(writes[0] as ConsumerAllocationsWrite);
  };
  const pre = allocationPreChecks(m, writes);
  if (pre.length > 0) return { label, act, predict: { refuse: pre } };
  const fit = allocationFitChecks(m, writes, (p, rc) => m.get(p).inventories.get(rc));
  if (fit.length > 0) return { label, act, predict: { refuse: fit } };
  return { label, act, allocated: allocatedPairs(writes), predict: { commit: () => commitAllocations(m, writes) } };
}

const hasProviders = (m: Readonly<Model>): boolean => m.providers.size > 0;

const writeOneCmd = writeArb.map(
  (params) =>
    new Cmd(
      'setAllocations',
      params,
      (m, _r, w) => {
        const write = resolveWrite(m, w);
        return write === null ? null : allocationPlan(m, [write], false);
      },
      hasProviders,
    ),
);

const writeManyCmd = fc.uniqueArray(writeArb, { minLength: 2, maxLength: 3, selector: (w) => w.c }).map(
  (params) =>
    new Cmd('setAllocationsMany', params, (m, _r, ws) => {
      const writes = ws.map((w) => resolveWrite(m, w)).filter((w): w is ConsumerAllocationsWrite => w !== null);
      return writes.length === 0 ? null : allocationPlan(m, writes, true);
    }, hasProviders),
);

const deleteAllocationsCmd = fc.record({ existing: rarely(5).map((x) => !x), idx: fc.nat(CONSUMERS.length - 1) }).map(
  (params) =>
    new Cmd('deleteAllocations', params, (m, _r, c) => {
      const held = CONSUMERS.filter((x) => m.consumers.has(x));
      const uuid = c.existing && held.length > 0 ? (held[c.idx % held.length] as string) : (CONSUMERS[c.idx] as string);
      const label = `deleteAllocations ${short(uuid)}`;
      const act = (e: PlacementEngine): void => e.deleteAllocations(uuid);
      // Rule 53: 404 without allocations; deletes the consumer; bumps nothing.
      if (!m.consumers.has(uuid)) return { label, act, predict: { refuse: [refuse(404, 'any', 'no allocations')] } };
      return {
        label,
        act,
        predict: {
          commit: () => {
            m.consumers.delete(uuid);
            return new Set<string>();
          },
        },
      };
    }),
);

interface ReshapeVerdict {
  plan: Plan;
}

/** Rules 87-95. */
function reshapePlan(m: Model, input: ReshapeInput): ReshapeVerdict {
  const label = `reshape inventories=${shortJson(input.inventories)} allocations=${shortJson(
    input.allocations.map((w) => ({ c: w.consumerUuid, gen: w.consumerGeneration, a: w.allocations })),
  )}`;
  const act = (e: PlacementEngine): void => e.reshape(input);
  const verdict = (predict: Prediction, extra: Partial<Plan> = {}): ReshapeVerdict => ({
    plan: { label, act, predict, inventoryChange: true, ...extra },
  });
  const pre: Expected[] = [];
  const entries = Object.entries(input.inventories);
  if (entries.length === 0) pre.push(refuse(400, 'default', 'inventories must name a provider (minProperties 1)'));
  const next = new Map<string, Map<string, Inventory>>();
  for (const [u, entry] of entries) {
    const prov = m.providers.get(u);
    if (prov === undefined) {
      pre.push(refuse(400, 'placement.resource_provider.not_found', `reshape of missing provider ${short(u)}`));
      continue;
    }
    if (entry.generation !== prov.generation) pre.push(refuse(409, 'placement.concurrent_update', `stale generation of ${short(u)}`));
    const invs = new Map<string, Inventory>();
    for (const [rc, input2] of Object.entries(entry.inventories)) {
      const inv = modelInventory(rc, input2);
      if (typeof inv === 'string') pre.push(refuse(400, 'default', inv));
      else invs.set(rc, inv);
    }
    next.set(u, invs);
  }
  pre.push(...allocationPreChecks(m, input.allocations));
  if (pre.length > 0) return verdict({ refuse: pre });
  // (a) interim inventory: old overlaid with the new records, for providers with a non-empty new one;
  // nothing is removed yet.
  const interim = (p: string, rc: string): Inventory | undefined => {
    const n = next.get(p);
    if (n !== undefined && n.size > 0 && n.has(rc)) return n.get(rc);
    return m.get(p).inventories.get(rc);
  };
  // (b) the allocations against the interim inventory.
  const fit = allocationFitChecks(m, input.allocations, interim);
  if (fit.length > 0) return verdict({ refuse: fit });
  // (c) the final inventories: removed classes must be unused once the allocations are replaced.
  const rewritten = new Set(input.allocations.map((w) => w.consumerUuid));
  const inUse: Expected[] = [];
  for (const [u, invs] of next) {
    for (const rc of m.get(u).inventories.keys()) {
      if (invs.has(rc)) continue;
      const fresh = input.allocations.some((w) => (w.allocations[u]?.[rc] ?? 0) > 0);
      if (m.usage(u, rc, rewritten) > 0 || fresh) inUse.push(refuse(409, 'placement.inventory.inuse', `${short(u)} ${rc} removed while in use`));
    }
  }
  if (inUse.length > 0) return verdict({ refuse: inUse });
  return verdict(
    {
      commit: () => {
        const bumped = new Set<string>();
        for (const [u, invs] of next) {
          const prov = m.get(u);
          prov.inventories = new Map(invs);
          // Rule 95: +1 interim (when non-empty) +1 final.
          prov.generation += invs.size > 0 ? 2 : 1;
          bumped.add(u);
        }
        for (const p of commitAllocations(m, input.allocations)) bumped.add(p);
        return bumped;
      },
    },
    { allocated: allocatedPairs(input.allocations) },
  );
}

const reshapeCmd = fc
  .record({
    inventories: fc.oneof(
      { weight: 15, arbitrary: fc.array(fc.record({ p: refArb, gen: genArb, invs: invSetArb(validInvArb, false) }), { minLength: 1, maxLength: 2 }) },
      // Rule 87: `inventories` must name at least one provider.
      { weight: 1, arbitrary: fc.constant([]) },
    ),
    allocations: fc.uniqueArray(writeArb, { maxLength: 2, selector: (w) => w.c }),
  })
  .map(
    (params) =>
      new Cmd('reshape', params, (m, r, p) => {
        const inventories: ReshapeInput['inventories'] = {};
        for (const x of p.inventories) {
          const u = resolveRef(m, x.p);
          if (u in inventories) continue;
          inventories[u] = { generation: providerGen(m, u, x.gen), inventories: x.invs };
        }
        const allocations = p.allocations.map((w) => resolveWrite(m, w)).filter((w): w is ConsumerAllocationsWrite => w !== null);
        const v = reshapePlan(m, { inventories, allocations });
        return v.plan;
      }, hasProviders),
  );

const allCommands = [
  createCmd,
  createCmd,
  createCmd,
  updateCmd,
  deleteProviderCmd,
  setInventoriesCmd,
  setInventoriesCmd,
  oneInventoryCmd,
  deleteInventoryCmd,
  setAggregatesCmd,
  setTraitsCmd,
  writeOneCmd,
  writeOneCmd,
  writeOneCmd,
  writeManyCmd,
  deleteAllocationsCmd,
  reshapeCmd,
];

function setup(): () => { model: Model; real: Real } {
  return () => {
    let clock = 0;
    const engine = new PlacementEngine({ now: () => ++clock });
    engine.createResourceClass('CUSTOM_X');
    return { model: new Model(), real: { engine } };
  };
}

// ------------------------------------------------------------------------------------ properties

describe('placement engine against a reference model', () => {
  it('every write succeeds or is refused exactly as the rules say, and reads equal the model', () => {
    fc.assert(
      fc.property(fc.commands(allCommands, { maxCommands: 50, size: 'max' }), (cmds) => {
        fc.modelRun(setup(), cmds);
      }),
      { numRuns: Number(process.env.NUM_RUNS ?? 800) },
    );
    if (process.env.PLACEMENT_STATS) console.log([...stats].sort().map(([k, v]) => `${k}: ${v}`).join('\n')); // eslint-disable-line no-console
  });
});


// ------------------------------------------------------------------- reshape ordering (rules 87, 91, 92)

/** Runs `fn` and returns the PlacementError it throws (failing the test otherwise). */
function placementErrorOf(fn: () => void): PlacementError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PlacementError) return err;
    throw err;
  }
  throw new Error('expected a PlacementError, but the write succeeded');
}

describe('placement engine: reshape edge cases (rules 87, 91, 92)', () => {
  it('reshape with no inventories is refused with 400 and changes nothing (rule 87)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 4 }), (withAllocation, amount) => {
        const e = setup()().real.engine;
        const p = PROVIDERS[0] as string;
        e.createProvider({ uuid: p, name: 'rp-a', parentUuid: null });
        e.setInventories(p, 0, { VCPU: { total: 4 } });
        const allocations: ConsumerAllocationsWrite[] = withAllocation
          ? [{ consumerUuid: CONSUMERS[0] as string, allocations: { [p]: { VCPU: amount } }, projectId: 'p', userId: 'u', consumerGeneration: null }]
          : [];
        const before = snapshot(e);
        const err = placementErrorOf(() => e.reshape({ inventories: {}, allocations }));
        expect([err.httpStatus, err.placementCode]).toEqual([400, DEFAULT_CODE]);
        expect(snapshot(e)).toEqual(before);
      }),
      { numRuns: 20 },
    );
  });

  /**
   * P has `total` of `rc`; a reshape drops `rc` from P (new inventory empty, or another class only)
   * while consumer C1's new allocations take `amount` of `rc` on P.
   */
  const removedClassCase = fc.record({
    rc: fc.constantFrom<string>(...RCS),
    total: fc.integer({ min: 1, max: 6 }),
    emptyNew: fc.boolean(),
    other: fc.constantFrom<string>(...RCS),
    extra: fc.integer({ min: 0, max: 3 }),
  });

  function reshapeRemovingClass(c: { rc: string; total: number; emptyNew: boolean; other: string }, amount: number): { err: PlacementError; unchanged: boolean } {
    const e = setup()().real.engine;
    const p = PROVIDERS[0] as string;
    e.createProvider({ uuid: p, name: 'rp-a', parentUuid: null });
    e.setInventories(p, 0, { [c.rc]: { total: c.total } });
    const next: Record<string, InventoryInput> = c.emptyNew || c.other === c.rc ? {} : { [c.other]: { total: 1 } };
    const before = snapshot(e);
    const err = placementErrorOf(() =>
      e.reshape({
        inventories: { [p]: { generation: 1, inventories: next } },
        allocations: [{ consumerUuid: CONSUMERS[0] as string, allocations: { [p]: { [c.rc]: amount } }, projectId: 'p', userId: 'u', consumerGeneration: null }],
      }),
    );
    return { err, unchanged: JSON.stringify(snapshot(e)) === JSON.stringify(before) };
  }

  it('a new allocation that fits the interim inventory but uses a removed class fails with inventory.inuse (rule 91 c)', () => {
    fc.assert(
      fc.property(removedClassCase, (c) => {
        const { err, unchanged } = reshapeRemovingClass(c, Math.max(1, c.total - c.extra));
        expect([err.httpStatus, err.placementCode]).toEqual([409, 'placement.inventory.inuse']);
        expect(unchanged).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  // Rule 91 checks the new allocations against the interim inventory (step b: old records
  // overlaid with new ones, nothing removed; rule 92: a capacity failure is a 409 with no specific
  // code) BEFORE removing classes (step c: 409 placement.inventory.inuse): a new allocation on a
  // class being removed that exceeds its old capacity gets the capacity error.
  it('a new allocation over the interim capacity of a removed class fails the capacity check first (rule 91 b)', () => {
    fc.assert(
      fc.property(removedClassCase, (c) => {
        const { err, unchanged } = reshapeRemovingClass(c, c.total + 1 + c.extra);
        expect([err.httpStatus, err.placementCode]).toEqual([409, DEFAULT_CODE]);
        expect(unchanged).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
