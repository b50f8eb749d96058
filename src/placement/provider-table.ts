import { clearBit, growBits, growFloat64, growInt32, setBit, testBit } from './columns.js';

const NONE = -1;
const NO_TRAITS: readonly number[] = Object.freeze([]);

/**
 * Resource providers as struct-of-arrays over dense slots. Holds the tree links, the trait bit sets
 * (one bit set per trait over all slots, so a trait filter is a word-wise AND) and aggregate
 * membership. It checks nothing: the engine validates before it calls a mutator.
 */
export class ProviderTable {
  /** Slots ever used (the high-water mark); live providers are `count`. */
  slots = 0;
  count = 0;
  uuid: (string | undefined)[] = [];
  name: (string | undefined)[] = [];
  readonly byUuid = new Map<string, number>();
  readonly byName = new Map<string, number>();
  generation = new Int32Array(0);
  parent = new Int32Array(0);
  root = new Int32Array(0);
  firstChild = new Int32Array(0);
  nextSibling = new Int32Array(0);
  /**
   * Bumped on any change a reader of the provider could see (inventory, usage, traits, tree
   * position), including those that do not move Placement's generation; caches key on it.
   */
  version = new Int32Array(0);
  createdAt = new Float64Array(0);
  updatedAt = new Float64Array(0);
  /** Aggregate ids per slot, ascending; undefined when none. */
  aggregates: (number[] | undefined)[] = [];
  /**
   * Trait ids per slot, ascending (the bit sets answer "who has T", this answers "what has S").
   * Equal sets share one interned array: a cloud has few distinct trait sets, so this saves memory
   * and lets readers cache per set.
   */
  traitLists: (readonly number[] | undefined)[] = [];
  private readonly traitSets = new Map<string, readonly number[]>();
  /** Trait id → bit set over slots; may be shorter than the table (a missing word is all zeros). */
  traitBits: (Uint32Array<ArrayBuffer> | undefined)[] = [];
  /** Aggregate uuid ↔ id, and members per aggregate id. */
  readonly aggregateIds = new Map<string, number>();
  aggregateUuids: string[] = [];
  aggregateMembers: Set<number>[] = [];
  private readonly free: number[] = [];

  alive(slot: number): boolean {
    return slot >= 0 && slot < this.slots && this.uuid[slot] !== undefined;
  }

  slotOf(uuid: string): number | undefined {
    return this.byUuid.get(uuid);
  }

  /** Adds a provider; `slot` forces a slot (restoring a snapshot keeps the original order). */
  add(uuid: string, name: string, parent: number, at: number, slot?: number): number {
    let s: number;
    if (slot !== undefined) {
      s = slot;
      const i = this.free.indexOf(s);
      if (i >= 0) this.free.splice(i, 1);
    } else {
      s = this.free.length > 0 ? (this.free.pop() as number) : this.slots;
    }
    if (s >= this.slots) {
      this.ensure(s + 1);
      for (let f = this.slots; f < s; f++) this.free.push(f);
      this.slots = s + 1;
    }
    this.uuid[s] = uuid;
    this.name[s] = name;
    this.byUuid.set(uuid, s);
    this.byName.set(name, s);
    this.generation[s] = 0;
    this.parent[s] = NONE;
    this.root[s] = s;
    this.firstChild[s] = NONE;
    this.nextSibling[s] = NONE;
    this.createdAt[s] = at;
    this.updatedAt[s] = at;
    this.aggregates[s] = undefined;
    this.count++;
    if (parent !== NONE) this.setParent(s, parent);
    return s;
  }

  remove(slot: number): void {
    if (this.parent[slot] !== NONE) this.unlink(slot);
    this.setAggregates(slot, []);
    this.setTraits(slot, []);
    this.byUuid.delete(this.uuid[slot] as string);
    this.byName.delete(this.name[slot] as string);
    this.uuid[slot] = undefined;
    this.name[slot] = undefined;
    this.bump(slot);
    this.count--;
    this.free.push(slot);
  }

  rename(slot: number, name: string): void {
    this.byName.delete(this.name[slot] as string);
    this.name[slot] = name;
    this.byName.set(name, slot);
  }

  /** Moves a provider (with its subtree) under `parent`, or makes it a root with -1. */
  setParent(slot: number, parent: number): void {
    if (this.parent[slot] !== NONE) this.unlink(slot);
    this.parent[slot] = parent;
    if (parent !== NONE) {
      this.nextSibling[slot] = this.firstChild[parent] as number;
      this.firstChild[parent] = slot;
    }
    const root = parent === NONE ? slot : (this.root[parent] as number);
    this.forEachInSubtree(slot, (s) => {
      this.root[s] = root;
      this.bump(s);
    });
  }

  /** True when `ancestor` is `slot` or above it. */
  isAncestorOrSelf(ancestor: number, slot: number): boolean {
    for (let s = slot; s !== NONE; s = this.parent[s] as number) if (s === ancestor) return true;
    return false;
  }

  hasChildren(slot: number): boolean {
    return this.firstChild[slot] !== NONE;
  }

  /** Visits `slot` and all its descendants, parents before children. */
  forEachInSubtree(slot: number, visit: (slot: number) => void): void {
    const stack = [slot];
    while (stack.length > 0) {
      const s = stack.pop() as number;
      visit(s);
      for (let c = this.firstChild[s] as number; c !== NONE; c = this.nextSibling[c] as number) stack.push(c);
    }
  }

  /** The slots of a tree in creation-independent, deterministic order (ascending slot). */
  treeSlots(root: number): number[] {
    const out: number[] = [];
    this.forEachInSubtree(root, (s) => out.push(s));
    return out.sort((a, b) => a - b);
  }

  bump(slot: number): void {
    this.version[slot] = ((this.version[slot] as number) + 1) | 0;
  }

  hasTrait(slot: number, trait: number): boolean {
    return testBit(this.traitBits[trait], slot);
  }

  traitsOf(slot: number): readonly number[] {
    return this.traitLists[slot] ?? NO_TRAITS;
  }

  setTraits(slot: number, traits: readonly number[]): void {
    for (const t of this.traitLists[slot] ?? NO_TRAITS) clearBit(this.traitBits[t] as Uint32Array<ArrayBuffer>, slot);
    this.traitLists[slot] = traits.length === 0 ? undefined : this.internTraitSet(traits);
    this.bump(slot);
    for (const t of traits) {
      let bits = this.traitBits[t];
      if (bits === undefined) {
        bits = new Uint32Array(0) as Uint32Array<ArrayBuffer>;
        while (this.traitBits.length <= t) this.traitBits.push(undefined);
      }
      bits = growBits(bits, this.slots);
      this.traitBits[t] = bits;
      setBit(bits, slot);
    }
  }

  private internTraitSet(traits: readonly number[]): readonly number[] {
    const sorted = [...new Set(traits)].sort((a, b) => a - b);
    const key = sorted.join(',');
    let shared = this.traitSets.get(key);
    if (shared === undefined) {
      shared = Object.freeze(sorted);
      this.traitSets.set(key, shared);
    }
    return shared;
  }

  /** True when some live provider carries the trait. */
  traitInUse(trait: number): boolean {
    const bits = this.traitBits[trait];
    if (bits === undefined) return false;
    for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) return true;
    return false;
  }

  aggregateId(uuid: string): number {
    let id = this.aggregateIds.get(uuid);
    if (id === undefined) {
      id = this.aggregateUuids.length;
      this.aggregateIds.set(uuid, id);
      this.aggregateUuids.push(uuid);
      this.aggregateMembers.push(new Set());
    }
    return id;
  }

  setAggregates(slot: number, aggregateUuids: readonly string[]): void {
    const old = this.aggregates[slot];
    if (old !== undefined) for (const a of old) (this.aggregateMembers[a] as Set<number>).delete(slot);
    if (aggregateUuids.length === 0) {
      this.aggregates[slot] = undefined;
      return;
    }
    const ids = [...new Set(aggregateUuids.map((u) => this.aggregateId(u)))].sort((a, b) => a - b);
    for (const a of ids) (this.aggregateMembers[a] as Set<number>).add(slot);
    this.aggregates[slot] = ids;
  }

  aggregateUuidsOf(slot: number): string[] {
    return (this.aggregates[slot] ?? []).map((a) => this.aggregateUuids[a] as string);
  }

  inAggregate(slot: number, aggregate: number): boolean {
    const ids = this.aggregates[slot];
    return ids !== undefined && ids.includes(aggregate);
  }

  private unlink(slot: number): void {
    const parent = this.parent[slot] as number;
    let prev = NONE;
    for (let c = this.firstChild[parent] as number; c !== NONE; c = this.nextSibling[c] as number) {
      if (c === slot) {
        if (prev === NONE) this.firstChild[parent] = this.nextSibling[c] as number;
        else this.nextSibling[prev] = this.nextSibling[c] as number;
        break;
      }
      prev = c;
    }
    this.parent[slot] = NONE;
    this.nextSibling[slot] = NONE;
  }

  private ensure(size: number): void {
    // The per-slot columns grow together, so one length speaks for all; the growth itself is kept
    // out of line so that this check, run on every new provider, stays small for the JIT. Trait
    // bit sets are not grown here: setTraits grows the one it writes, and readers take a missing
    // word as zero.
    if (this.generation.length < size) this.grow(size);
  }

  private grow(size: number): void {
    this.generation = growInt32(this.generation, size);
    this.parent = growInt32(this.parent, size, NONE);
    this.root = growInt32(this.root, size, NONE);
    this.firstChild = growInt32(this.firstChild, size, NONE);
    this.nextSibling = growInt32(this.nextSibling, size, NONE);
    this.createdAt = growFloat64(this.createdAt, size);
    this.version = growInt32(this.version, size);
    this.updatedAt = growFloat64(this.updatedAt, size);
  }
}

export const NO_PROVIDER = NONE;
