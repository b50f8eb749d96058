/**
 * Our packing weigher (not in Nova): prefers the host whose usage after placing the request is
 * highest and most even across the request's binding dimensions, so that capacity is not stranded
 * (one resource full while others sit idle).
 *
 * Binding dimensions of a request on a host: the dimensions the request asks for (need > 0) and the
 * host has (capacity > 0), and whose share of the host the request takes, need_d / capacity_d, is at
 * least `scarceShare` (default 0.25) of its largest share over those dimensions. A dimension the
 * request barely touches (the trace's disk: 18 GB per vCPU on hosts with 125) is idle on every host
 * whatever the choice, so it neither lowers the mean nor counts as imbalance. With nothing requested,
 * every dimension with capacity is binding.
 *
 * For each binding dimension d:  u_d = clamp((used_d + need_d) / capacity_d, 0, 1), and u⁰_d the same
 * before placement. With spread(x) = max(x) − min(x):
 *   raw = mean(u) − imbalancePenalty × (spread(u) − spread(u⁰))
 * i.e. the imbalance the placement adds (negative when it evens the host out) is penalised, not the
 * host's own imbalance: when the hosts' shape differs from the workload's (8 GiB per vCPU offered,
 * 4.5 asked), every host grows unbalanced as it fills, and penalising that made the weigher prefer
 * empty hosts (it spread). A host with no binding dimension weighs 0. Positive multiplier (default
 * 1.0) prefers the fuller host that the request evens out; a negative one the opposite.
 *
 * Example (penalty 1), a request adding (0.1, 0.0): a host at (0.8, 0.7) → (0.9, 0.7): 0.8 − 0.1 =
 * 0.7; a host at (0.5, 0.8) → (0.6, 0.8): 0.7 + 0.1 = 0.8: the request evens the second out.
 */
import { SchedulerWeigherError } from './errors.js';
import { checkMultiplier, type Weigher, type WeighRequest, type WeighView } from './weigher.js';

export interface PackingWeigherOptions {
  readonly multiplier?: number;
  /** Weight of the spread between the most and least used binding dimension (default 1.0, ≥ 0). */
  readonly imbalancePenalty?: number;
  /** A requested dimension is binding when the request's share of it is ≥ this × its largest share (default 0.25, in [0, 1]). */
  readonly scarceShare?: number;
}

export function packingWeigher(options: PackingWeigherOptions = {}): Weigher {
  const multiplier = checkMultiplier('packing', options.multiplier ?? 1.0);
  const penalty = options.imbalancePenalty ?? 1.0;
  if (!(penalty >= 0) || !Number.isFinite(penalty)) throw new SchedulerWeigherError(`packing: imbalancePenalty must be a finite number ≥ 0, got ${penalty}`);
  const scarce = options.scarceShare ?? 0.25;
  if (!(scarce >= 0 && scarce <= 1)) throw new SchedulerWeigherError(`packing: scarceShare must be a number in [0, 1], got ${scarce}`);
  return {
    name: 'packing',
    multiplier,
    weigh(hosts: Int32Array, view: WeighView, request: WeighRequest, out: Float64Array): void {
      packingScores(view, hosts, request, out, penalty, scarce);
    },
  };
}

function packingScores(view: WeighView, hosts: Int32Array, request: WeighRequest, out: Float64Array, penalty: number, scarce: number): void {
  const table = view.table;
  const D = table.dims;
  const capacity = table.capacity;
  const used = table.used;
  const need = request.need;
  let requested = false;
  if (need !== undefined) for (let d = 0; d < D; d++) if ((need[d] ?? 0) > 0) requested = true;
  for (let i = 0; i < hosts.length; i++) {
    const base = (hosts[i] as number) * D;
    // The request's largest share of this host, over the dimensions it asks for and the host has.
    let top = 0;
    if (requested) {
      for (let d = 0; d < D; d++) {
        const cap = capacity[base + d] as number;
        const n = (need as ArrayLike<number>)[d] ?? 0;
        if (cap > 0 && n > 0 && n / cap > top) top = n / cap;
      }
    }
    let sum = 0;
    let k = 0;
    let max = -Infinity;
    let min = Infinity;
    let max0 = -Infinity;
    let min0 = Infinity;
    for (let d = 0; d < D; d++) {
      const cap = capacity[base + d] as number;
      if (!(cap > 0)) continue;
      const add = need === undefined ? 0 : (need[d] ?? 0);
      if (requested && !(add > 0 && add / cap >= scarce * top)) continue;
      const before = (used[base + d] as number) / cap;
      let u = before + (add > 0 ? add : 0) / cap;
      u = u > 1 ? 1 : u < 0 ? 0 : u;
      const u0 = before > 1 ? 1 : before < 0 ? 0 : before;
      sum += u;
      k++;
      if (u > max) max = u;
      if (u < min) min = u;
      if (u0 > max0) max0 = u0;
      if (u0 < min0) min0 = u0;
    }
    out[i] = k === 0 ? 0 : sum / k - penalty * (max - min - (max0 - min0));
  }
}
