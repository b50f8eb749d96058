/**
 * What every host query shares: the non-capacity filters, checked per visited host, and the
 * placement score that bestFit/worstFit rank by. The capacity index and the reference scan both
 * use these very functions, so their answers agree exactly (same floating-point operations).
 */
import type { HostTable } from './host-table.js';
import { testBit } from './host-table.js';

/**
 * The non-capacity filters of a request. Build it once per request shape and reuse it: nothing is
 * allocated when it is checked.
 */
export interface HostFilter {
  /** Trait ids the host must all have. */
  readonly requiredTraits?: readonly number[];
  /** Trait ids the host must have none of. */
  readonly forbiddenTraits?: readonly number[];
  /** Aggregate ids of which the host must be in at least one (absent or empty: no constraint). */
  readonly aggregatesAnyOf?: readonly number[];
  /** Also consider disabled hosts (default: enabled hosts only). */
  readonly includeDisabled?: boolean;
  /** Host ids never to return (anti-affinity, retries). Checked linearly: keep it short. */
  readonly excludedHosts?: readonly number[];
  /**
   * Any further per-host test (the pipeline's filters, NUMA and PCI fit), checked last, only on hosts
   * that fit and pass the rest. Must be a pure function of the host's state and must not allocate.
   */
  readonly accept?: (host: number) => boolean;
}

/** No constraint beyond "enabled". */
export const NO_FILTER: HostFilter = Object.freeze({});

export function passesFilter(table: HostTable, host: number, filter: HostFilter): boolean {
  if (filter.includeDisabled !== true && table.enabled[host] !== 1) return false;
  const excluded = filter.excludedHosts;
  if (excluded !== undefined) {
    for (let i = 0; i < excluded.length; i++) if (excluded[i] === host) return false;
  }
  const required = filter.requiredTraits;
  if (required !== undefined) {
    for (let i = 0; i < required.length; i++) if (!testBit(table.traitBits[required[i] as number], host)) return false;
  }
  const forbidden = filter.forbiddenTraits;
  if (forbidden !== undefined) {
    for (let i = 0; i < forbidden.length; i++) if (testBit(table.traitBits[forbidden[i] as number], host)) return false;
  }
  const aggs = filter.aggregatesAnyOf;
  if (aggs !== undefined && aggs.length > 0) {
    let any = false;
    for (let i = 0; i < aggs.length && !any; i++) any = testBit(table.aggregateBits[aggs[i] as number], host);
    if (!any) return false;
  }
  const accept = filter.accept;
  return accept === undefined || accept(host);
}

/**
 * How tight the host would be after placing `need`: the free fraction left in the binding
 * dimension, min over the requested dimensions (need > 0) of (free − need) / capacity; when nothing
 * is requested, min over all dimensions of free / capacity. Dimensions with capacity ≤ 0 do not
 * count; with none left the score is 0. For a fitting host the score is ≥ 0.
 * bestFit (pack) takes the least score, worstFit (spread) the greatest; ties go to the lower host id.
 */
export function placementScore(table: HostTable, host: number, need: ArrayLike<number>): number {
  const D = table.dims;
  const base = host * D;
  const cap = table.capacity;
  const used = table.used;
  let requested = false;
  for (let d = 0; d < D; d++) if ((need[d] as number) > 0) requested = true;
  let score = Infinity;
  for (let d = 0; d < D; d++) {
    const n = need[d] as number;
    if (requested && !(n > 0)) continue;
    const c = cap[base + d] as number;
    if (!(c > 0)) continue;
    const left = (c - (used[base + d] as number) - (requested ? n : 0)) / c;
    if (left < score) score = left;
  }
  return score === Infinity ? 0 : score;
}

/** The queries both the index and the reference scan answer. `need` has one amount per dimension; amounts ≤ 0 are not constrained. */
export interface HostFinder {
  /**
   * Calls `visit(host)` for every host that fits `need` and passes `filter`, in increasing host id;
   * `visit` returning false stops the walk. Returns the number of hosts visited.
   */
  forEachFit(need: ArrayLike<number>, filter: HostFilter, visit: (host: number) => boolean | void): number;
  /** Lowest fitting host id, or −1. */
  firstFit(need: ArrayLike<number>, filter: HostFilter): number;
  /** Fitting host with the least placementScore (pack), or −1. */
  bestFit(need: ArrayLike<number>, filter: HostFilter): number;
  /** Fitting host with the greatest placementScore (spread), or −1. */
  worstFit(need: ArrayLike<number>, filter: HostFilter): number;
  /** The k fitting hosts of least placementScore, best first (ties to the lower id), into out; returns how many. */
  bestFitMany(need: ArrayLike<number>, filter: HostFilter, k: number, out: Int32Array): number;
  /** The k fitting hosts of greatest placementScore, best first (ties to the lower id), into out; returns how many. */
  worstFitMany(need: ArrayLike<number>, filter: HostFilter, k: number, out: Int32Array): number;
}
