/**
 * The scheduler's host table: struct-of-arrays over dense host ids (0, 1, 2 … in order of
 * addHost), for a fixed, small set of resource dimensions given at construction.
 *
 * Per host:
 * - capacity[h·D + d], used[h·D + d]  (Float64Array; capacity is already (total − reserved) × ratio);
 * - enabled[h]                         (Uint8Array, 1 = may be scheduled to);
 * - failureDomain[h]                   (Int32Array, −1 = none);
 * - traits: one bit set over host ids per trait id (Uint32Array per trait, trait ids dense);
 * - aggregates: one bit set over host ids per aggregate id (Uint32Array per aggregate).
 *
 * Why bit sets per aggregate rather than a small sorted Int32Array per host: each host's own typed
 * array costs a JS object (~100+ bytes of heap with its backing store header) before its first
 * element, whereas a bit set costs 1 bit per host per aggregate: at 100 aggregates that is
 * 12.5 bytes per host, and the bench measures both (`bytesPerHost`).
 *
 * Changes of capacity and usage are pushed to the attached listeners (the capacity index) so that
 * the index stays exact; claim/release are O(D) here plus O(D·log n) in the index.
 */
import { SchedulerCapacityError, SchedulerHostError } from './errors.js';

/** What a capacity index (or any other derived structure) hears from the table. */
export interface HostTableListener {
  /** Free capacity of `host` changed (claim, release, setCapacity). */
  hostChanged(host: number): void;
  /** `host` was appended (its id is count − 1). */
  hostAdded(host: number): void;
}

export interface HostTableOptions {
  /** Resource dimension names, e.g. ['VCPU', 'MEMORY_MB', 'DISK_GB']. Fixed for the table's life. */
  readonly dimensions: readonly string[];
  /** Hosts to allocate room for up front (grows by doubling past it). */
  readonly initialHosts?: number;
}

export interface HostSpec {
  /** One per dimension, in the table's dimension order. */
  readonly capacity: ArrayLike<number>;
  /** Existing usage; zero when absent. May exceed capacity (the host then fits nothing needing that dimension). */
  readonly used?: ArrayLike<number>;
  readonly enabled?: boolean;
  readonly failureDomain?: number;
  /** Dense trait ids. */
  readonly traits?: readonly number[];
  /** Dense aggregate ids. */
  readonly aggregates?: readonly number[];
}

/** A breakdown of the table's typed-array bytes (allocated length, including growth slack). */
export interface HostTableMemory {
  readonly hosts: number;
  readonly capacityAndUsedBytes: number;
  readonly flagsBytes: number;
  readonly traitBytes: number;
  readonly aggregateBytes: number;
  readonly totalBytes: number;
}

function words(hosts: number): number {
  return (hosts + 31) >>> 5;
}

function growF64(a: Float64Array, size: number): Float64Array {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}

export class HostTable {
  readonly dimensions: readonly string[];
  /** Number of dimensions (D). */
  readonly dims: number;
  /** capacity[h·D + d]. Read-only for callers; change through setCapacity. */
  capacity: Float64Array;
  /** used[h·D + d]. Read-only for callers; change through claim/release. */
  used: Float64Array;
  enabled: Uint8Array;
  failureDomain: Int32Array;
  /** traitBits[t] is a bit set over host ids (may be shorter than the host count: missing words are 0). */
  readonly traitBits: Uint32Array[] = [];
  /** aggregateBits[a] is a bit set over host ids. */
  readonly aggregateBits: Uint32Array[] = [];

  private hostCount = 0;
  private room: number;
  private readonly listeners: HostTableListener[] = [];

  constructor(options: HostTableOptions) {
    if (options.dimensions.length === 0) throw new SchedulerHostError('a host table needs at least one dimension');
    if (new Set(options.dimensions).size !== options.dimensions.length) throw new SchedulerHostError('dimension names must be distinct');
    this.dimensions = [...options.dimensions];
    this.dims = this.dimensions.length;
    this.room = Math.max(16, options.initialHosts ?? 16);
    this.capacity = new Float64Array(this.room * this.dims);
    this.used = new Float64Array(this.room * this.dims);
    this.enabled = new Uint8Array(this.room);
    this.failureDomain = new Int32Array(this.room);
  }

  /** Number of hosts; ids are 0 … count − 1. */
  get count(): number {
    return this.hostCount;
  }

  /** Index of a dimension by name, or −1. */
  dimensionIndex(name: string): number {
    return this.dimensions.indexOf(name);
  }

  attach(listener: HostTableListener): void {
    this.listeners.push(listener);
  }

  detach(listener: HostTableListener): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  addHost(spec: HostSpec): number {
    const D = this.dims;
    this.checkAmounts(spec.capacity, 'capacity');
    if (spec.used !== undefined) this.checkAmounts(spec.used, 'used');
    const h = this.hostCount;
    if (h === this.room) this.grow(this.room * 2);
    for (let d = 0; d < D; d++) {
      this.capacity[h * D + d] = spec.capacity[d] as number;
      this.used[h * D + d] = spec.used === undefined ? 0 : (spec.used[d] as number);
    }
    this.enabled[h] = spec.enabled === false ? 0 : 1;
    this.failureDomain[h] = spec.failureDomain ?? -1;
    this.hostCount = h + 1;
    for (const t of spec.traits ?? []) this.setTrait(h, t, true);
    for (const a of spec.aggregates ?? []) this.setAggregate(h, a, true);
    for (const l of this.listeners) l.hostAdded(h);
    return h;
  }

  setCapacity(host: number, capacity: ArrayLike<number>): void {
    this.checkHost(host);
    this.checkAmounts(capacity, 'capacity');
    const base = host * this.dims;
    for (let d = 0; d < this.dims; d++) this.capacity[base + d] = capacity[d] as number;
    this.changed(host);
  }

  /** Free capacity of one dimension: capacity − used (negative if capacity was lowered below usage). */
  free(host: number, dim: number): number {
    const i = host * this.dims + dim;
    return (this.capacity[i] as number) - (this.used[i] as number);
  }

  /** True when `amounts` fit the host's free capacity in every dimension with a positive amount. */
  fits(host: number, amounts: ArrayLike<number>): boolean {
    const D = this.dims;
    const base = host * D;
    for (let d = 0; d < D; d++) {
      const a = amounts[d] as number;
      if (a > 0 && (this.capacity[base + d] as number) - (this.used[base + d] as number) < a) return false;
    }
    return true;
  }

  /**
   * Adds `amounts` to the host's usage, all dimensions or none. Throws SchedulerCapacityError
   * (ERR_SCHEDULER_CAPACITY) when some dimension would exceed its capacity.
   */
  claim(host: number, amounts: ArrayLike<number>): void {
    this.checkHost(host);
    this.checkAmounts(amounts, 'amount');
    const D = this.dims;
    const base = host * D;
    for (let d = 0; d < D; d++) {
      const a = amounts[d] as number;
      const free = (this.capacity[base + d] as number) - (this.used[base + d] as number);
      if (a > 0 && free < a) throw new SchedulerCapacityError(host, this.dimensions[d] as string, a, free);
    }
    for (let d = 0; d < D; d++) this.used[base + d] = (this.used[base + d] as number) + (amounts[d] as number);
    this.changed(host);
  }

  /** claim without the throw: false (and nothing changed) when the amounts do not fit. */
  tryClaim(host: number, amounts: ArrayLike<number>): boolean {
    this.checkHost(host);
    this.checkAmounts(amounts, 'amount');
    if (!this.fits(host, amounts)) return false;
    const base = host * this.dims;
    for (let d = 0; d < this.dims; d++) this.used[base + d] = (this.used[base + d] as number) + (amounts[d] as number);
    this.changed(host);
    return true;
  }

  /** Subtracts `amounts` from the host's usage, all dimensions or none; refuses to go below zero. */
  release(host: number, amounts: ArrayLike<number>): void {
    this.checkHost(host);
    this.checkAmounts(amounts, 'amount');
    const D = this.dims;
    const base = host * D;
    for (let d = 0; d < D; d++) {
      if ((this.used[base + d] as number) < (amounts[d] as number)) {
        throw new SchedulerHostError(`host ${host}: releasing ${amounts[d]} ${this.dimensions[d]}, only ${this.used[base + d]} used`);
      }
    }
    for (let d = 0; d < D; d++) this.used[base + d] = (this.used[base + d] as number) - (amounts[d] as number);
    this.changed(host);
  }

  /**
   * Adds `delta` (entries may be negative) to the host's usage without the capacity check: for a
   * cache that mirrors usage decided elsewhere (placement may hold usage above a lowered capacity).
   * Refuses (nothing changed) when some usage would fall below zero.
   */
  addUsage(host: number, delta: ArrayLike<number>): void {
    this.checkHost(host);
    const D = this.dims;
    if (delta.length !== D) throw new SchedulerHostError(`usage delta: ${delta.length} values for ${D} dimensions`);
    const base = host * D;
    for (let d = 0; d < D; d++) {
      const v = (this.used[base + d] as number) + (delta[d] as number);
      if (!(v >= 0) || v === Infinity) throw new SchedulerHostError(`host ${host}: usage of ${this.dimensions[d]} would become ${v}`);
    }
    for (let d = 0; d < D; d++) this.used[base + d] = (this.used[base + d] as number) + (delta[d] as number);
    this.changed(host);
  }

  setEnabled(host: number, enabled: boolean): void {
    this.checkHost(host);
    this.enabled[host] = enabled ? 1 : 0;
  }

  isEnabled(host: number): boolean {
    return this.enabled[host] === 1;
  }

  setFailureDomain(host: number, domain: number): void {
    this.checkHost(host);
    this.failureDomain[host] = domain;
  }

  setTrait(host: number, trait: number, on: boolean): void {
    this.checkHost(host);
    this.setBit(this.traitBits, trait, host, on, 'trait');
  }

  hasTrait(host: number, trait: number): boolean {
    return testBit(this.traitBits[trait], host);
  }

  setAggregate(host: number, aggregate: number, on: boolean): void {
    this.checkHost(host);
    this.setBit(this.aggregateBits, aggregate, host, on, 'aggregate');
  }

  inAggregate(host: number, aggregate: number): boolean {
    return testBit(this.aggregateBits[aggregate], host);
  }

  memory(): HostTableMemory {
    const capacityAndUsedBytes = this.capacity.byteLength + this.used.byteLength;
    const flagsBytes = this.enabled.byteLength + this.failureDomain.byteLength;
    let traitBytes = 0;
    for (const b of this.traitBits) traitBytes += b.byteLength;
    let aggregateBytes = 0;
    for (const b of this.aggregateBits) aggregateBytes += b.byteLength;
    return {
      hosts: this.hostCount,
      capacityAndUsedBytes,
      flagsBytes,
      traitBytes,
      aggregateBytes,
      totalBytes: capacityAndUsedBytes + flagsBytes + traitBytes + aggregateBytes,
    };
  }

  /** Typed-array bytes of the table (allocated, growth slack included) divided by the host count. */
  bytesPerHost(): number {
    return this.hostCount === 0 ? 0 : this.memory().totalBytes / this.hostCount;
  }

  private changed(host: number): void {
    for (const l of this.listeners) l.hostChanged(host);
  }

  private grow(room: number): void {
    const D = this.dims;
    this.capacity = growF64(this.capacity, room * D);
    this.used = growF64(this.used, room * D);
    const e = new Uint8Array(room);
    e.set(this.enabled);
    this.enabled = e;
    const f = new Int32Array(room);
    f.set(this.failureDomain);
    this.failureDomain = f;
    this.room = room;
  }

  private setBit(sets: Uint32Array[], id: number, host: number, on: boolean, what: string): void {
    if (!Number.isInteger(id) || id < 0 || id > 1_000_000) throw new SchedulerHostError(`${what} id ${id} is not a dense id`);
    let bits = sets[id];
    const need = words(this.room);
    if (bits === undefined || bits.length < words(host + 1)) {
      if (!on && bits === undefined) return;
      const b = new Uint32Array(need);
      if (bits !== undefined) b.set(bits);
      while (sets.length < id) sets.push(new Uint32Array(0));
      sets[id] = b;
      bits = b;
    }
    const w = host >>> 5;
    if (on) bits[w] = (bits[w] as number) | (1 << (host & 31));
    else bits[w] = (bits[w] as number) & ~(1 << (host & 31));
  }

  private checkHost(host: number): void {
    if (!Number.isInteger(host) || host < 0 || host >= this.hostCount) throw new SchedulerHostError(`no host ${host}`);
  }

  private checkAmounts(amounts: ArrayLike<number>, what: string): void {
    if (amounts.length !== this.dims) throw new SchedulerHostError(`${what}: ${amounts.length} values for ${this.dims} dimensions`);
    for (let d = 0; d < this.dims; d++) {
      const a = amounts[d] as number;
      if (!(a >= 0) || a === Infinity) throw new SchedulerHostError(`${what} of ${this.dimensions[d]} must be a finite number ≥ 0, got ${a}`);
    }
  }
}

/** Bit `host` of a bit set over host ids; false past its end. */
export function testBit(bits: Uint32Array | undefined, host: number): boolean {
  if (bits === undefined) return false;
  const w = bits[host >>> 5];
  return w !== undefined && (w & (1 << (host & 31))) !== 0;
}
