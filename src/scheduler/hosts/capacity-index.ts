/**
 * An index over the host table's free capacity: a segment tree whose node k holds, per dimension
 * d, the maximum of free[h·D + d] = capacity − used over the hosts under it. A query for `need`
 * descends only into subtrees where every requested dimension's maximum free is ≥ need, so hosts
 * in full regions of the id space are skipped a subtree at a time; the other filters (traits,
 * aggregates, enabled, excluded ids) are checked on the hosts reached.
 *
 * Layout: an implicit binary heap of 2·size nodes (size = power of two ≥ host room), stored as
 * tree[k·D + d] in one Float64Array; leaves are k = size + host; leaves with no host hold −∞.
 * Updates (claim, release, setCapacity) cost O(D·log n); the walk is stackless and allocates
 * nothing. The leaves copy the table's free values bit for bit, so the index and the reference scan
 * decide "fits" by the same comparison.
 *
 * Score buckets (bestFit / worstFit). The tree bounds only "fits", not the placement score, so a
 * best-fit walk over it would still reach every fitting host. Beside the tree, every dimension d has
 * K buckets by the free ratio r = free_d / capacity_d (bucket b holds r in [b/K, (b+1)/K); hosts with
 * capacity_d = 0 sit in an extra bucket K that never holds a host fitting a request of d). Buckets
 * are intrusive doubly linked lists over host ids, so a claim moves a host in O(D) (O(D²) with the
 * bucket statistics). Each bucket keeps, lazily, an upper bound of the free capacity of every
 * dimension over its hosts and a lower bound of capacity_d: widened on every insertion and change,
 * made exact again whenever the bucket is scanned in full, reset when it empties. Lazy bounds stay
 * valid bounds, which is all the search needs.
 *
 * With R = the requested dimensions (need > 0), a fitting host has capacity > 0 in every d ∈ R and
 * score s(h) = min_{d∈R} f_d(h), f_d = fl(fl(free_d − need_d) / capacity_d) (placementScore's very
 * operations), f_d ≥ 0; and f_d = r_d − need_d/capacity_d up to rounding (≤ 2⁻⁵¹ absolute here).
 * - Pack (least s, ties to the lower id): min_h min_d f_d = min_d min_h f_d, so the answer h* has
 *   some d* with f_{d*}(h*) = s(h*). For each d ∈ R the buckets are walked upward; every host met
 *   is scored in full (placementScore). A bucket is skipped when some requested dimension's free
 *   bound is < need (nothing in it fits) or when its lower bound of f_d, b/K − need_d/capMin_b − ε,
 *   exceeds the best score S so far (S only falls, so h* is never skipped in d*); the walk of d stops
 *   at the first b with b/K − need_d/capMin_all − ε > S (the bound grows with b).
 * - Spread (greatest s): s(h) ≤ f_{d0}(h) ≤ (b+1)/K − need_{d0}/capMax_all + ε for any one d0 ∈ R.
 *   One bucket per requested dimension is scored first to get an S, then d0 is the dimension with
 *   the fewest hosts in buckets whose bound is ≥ S, and its buckets are walked downward until the
 *   bound drops below S (strictly, so equal scores at lower ids are still met). A bucket is also
 *   skipped when min_{e∈R} of its bound of free_e/capacity_e (+ ε) is < S, since f_e ≤ free_e/capacity_e.
 * Ties: a host replaces the best when its score is strictly better, or equal with a lower id; which
 * is the scan's rule, whatever order hosts are met in. ε = 1e−9 covers rounding of r and f.
 * With nothing requested (every host fits, scores are free ratios) both fall back to the tree walk.
 */
import { SchedulerHostError } from './errors.js';
import type { HostFilter, HostFinder } from './filter.js';
import { passesFilter, placementScore } from './filter.js';
import type { HostTable, HostTableListener } from './host-table.js';
import { TopK } from './top-k.js';

/** Slack for the rounding of r = free/capacity and of the score against the bucket bounds. */
const EPS = 1e-9;

export interface CapacityIndexOptions {
  /**
   * Buckets per dimension for bestFit/worstFit (default: from the tree's room, size/16 clamped to
   * 64 … 2048). Any K ≥ 1 gives the same answers; it only changes the speed.
   */
  readonly scoreBuckets?: number;
}

export class CapacityIndex implements HostFinder, HostTableListener {
  private size: number;
  private tree: Float64Array;
  private readonly D: number;
  /** Scratch: requested dimensions and their amounts for the current walk. */
  private readonly reqDims: Int32Array;
  private readonly reqNeed: Float64Array;
  private reqCount = 0;

  private readonly fixedK: number | undefined;
  /** Buckets per dimension (plus one, K, for hosts with capacity 0 in that dimension). */
  private K = 1;
  /** bucketOf[h·D + d]: bucket of host h in dimension d (−1: not placed). */
  private bucketOf = new Int32Array(0);
  /** Intrusive doubly linked lists: next/previous host id in the same bucket, −1 at the ends. */
  private nextIn = new Int32Array(0);
  private prevIn = new Int32Array(0);
  /** heads[d·(K+1) + b], counts[…]: first host and number of hosts of a bucket. */
  private heads = new Int32Array(0);
  private counts = new Int32Array(0);
  /** bMax[(d·(K+1) + b)·D + e]: upper bound of free_e over the bucket (−∞ when empty). */
  private bMax = new Float64Array(0);
  /** bRatio[(d·(K+1) + b)·D + e]: upper bound of free_e/capacity_e over the bucket (+∞ for capacity_e = 0; −∞ when empty). */
  private bRatio = new Float64Array(0);
  /** bCapMin[d·(K+1) + b]: lower bound of capacity_d over the bucket (+∞ when empty). */
  private bCapMin = new Float64Array(0);
  /** Over all hosts with capacity_d > 0: an upper bound of the largest and a lower bound of the least capacity_d. */
  private readonly capMaxAll: Float64Array;
  private readonly capMinAll: Float64Array;
  /** The k best hosts of the running bestFit/worstFit; its bound is the score to beat. */
  private readonly top = new TopK();

  /** Builds the index over the table's current hosts and keeps it current from then on. */
  constructor(
    readonly table: HostTable,
    options: CapacityIndexOptions = {},
  ) {
    const k = options.scoreBuckets;
    if (k !== undefined && !(Number.isInteger(k) && k >= 1 && k <= 1 << 20)) {
      throw new SchedulerHostError(`scoreBuckets must be an integer in 1 … 2^20, got ${k}`);
    }
    this.fixedK = k;
    this.D = table.dims;
    this.capMaxAll = new Float64Array(this.D);
    this.capMinAll = new Float64Array(this.D);
    this.reqDims = new Int32Array(this.D);
    this.reqNeed = new Float64Array(this.D);
    this.size = 1;
    while (this.size < Math.max(1, table.count)) this.size *= 2;
    this.tree = new Float64Array(0);
    this.rebuild();
    table.attach(this);
  }

  /** Stops following the table. */
  detach(): void {
    this.table.detach(this);
  }

  /** Bytes of the index: the tree and the score buckets (their typed arrays). */
  bytes(): number {
    return (
      this.tree.byteLength +
      this.bucketOf.byteLength +
      this.nextIn.byteLength +
      this.prevIn.byteLength +
      this.heads.byteLength +
      this.counts.byteLength +
      this.bMax.byteLength +
      this.bRatio.byteLength +
      this.bCapMin.byteLength +
      this.capMaxAll.byteLength +
      this.capMinAll.byteLength
    );
  }

  hostAdded(host: number): void {
    if (host >= this.size) {
      while (this.size <= host) this.size *= 2;
      this.rebuild();
    } else this.hostChanged(host);
  }

  hostChanged(host: number): void {
    const D = this.D;
    const tree = this.tree;
    const cap = this.table.capacity;
    const used = this.table.used;
    let k = this.size + host;
    for (let d = 0; d < D; d++) tree[k * D + d] = (cap[host * D + d] as number) - (used[host * D + d] as number);
    k >>= 1;
    while (k >= 1) {
      const l = 2 * k * D;
      const r = l + D;
      let same = true;
      for (let d = 0; d < D; d++) {
        const a = tree[l + d] as number;
        const b = tree[r + d] as number;
        const m = a >= b ? a : b;
        if (tree[k * D + d] !== m) {
          tree[k * D + d] = m;
          same = false;
        }
      }
      if (same) break;
      k >>= 1;
    }
    this.placeInBuckets(host);
  }

  /** Max free of `dim` over all hosts (−∞ with no hosts). */
  maxFree(dim: number): number {
    return this.tree[this.D + dim] as number;
  }

  private rebuild(): void {
    const D = this.D;
    const size = this.size;
    const tree = new Float64Array(2 * size * D).fill(-Infinity);
    const cap = this.table.capacity;
    const used = this.table.used;
    const n = this.table.count;
    for (let h = 0; h < n; h++) {
      for (let d = 0; d < D; d++) tree[(size + h) * D + d] = (cap[h * D + d] as number) - (used[h * D + d] as number);
    }
    for (let k = size - 1; k >= 1; k--) {
      for (let d = 0; d < D; d++) {
        const a = tree[2 * k * D + d] as number;
        const b = tree[(2 * k + 1) * D + d] as number;
        tree[k * D + d] = a >= b ? a : b;
      }
    }
    this.tree = tree;

    const K = this.fixedK ?? Math.min(2048, Math.max(64, size >> 4));
    this.K = K;
    const slots = (K + 1) * D;
    this.bucketOf = new Int32Array(size * D).fill(-1);
    this.nextIn = new Int32Array(size * D);
    this.prevIn = new Int32Array(size * D);
    this.heads = new Int32Array(slots).fill(-1);
    this.counts = new Int32Array(slots);
    this.bMax = new Float64Array(slots * D).fill(-Infinity);
    this.bRatio = new Float64Array(slots * D).fill(-Infinity);
    this.bCapMin = new Float64Array(slots).fill(Infinity);
    this.capMaxAll.fill(-Infinity);
    this.capMinAll.fill(Infinity);
    for (let h = 0; h < n; h++) this.placeInBuckets(h);
  }

  /** The bucket of host `host` in dimension `d`, from the tree's leaf (its free values). */
  private bucketFor(host: number, d: number): number {
    const K = this.K;
    const c = this.table.capacity[host * this.D + d] as number;
    if (!(c > 0)) return K;
    const r = (this.tree[(this.size + host) * this.D + d] as number) / c;
    if (!(r > 0)) return 0;
    const b = Math.floor(r * K);
    return b >= K ? K - 1 : b;
  }

  /** Moves the host to its current bucket in every dimension and widens the bounds. */
  private placeInBuckets(host: number): void {
    const D = this.D;
    for (let d = 0; d < D; d++) {
      const b = this.bucketFor(host, d);
      const old = this.bucketOf[host * D + d] as number;
      if (old !== b) {
        if (old >= 0) this.unlink(host, d, old);
        this.link(host, d, b);
      }
      this.widen(d * (this.K + 1) + b, host, d);
    }
  }

  private link(host: number, d: number, b: number): void {
    const D = this.D;
    const slot = d * (this.K + 1) + b;
    const head = this.heads[slot] as number;
    this.nextIn[host * D + d] = head;
    this.prevIn[host * D + d] = -1;
    if (head >= 0) this.prevIn[head * D + d] = host;
    this.heads[slot] = host;
    this.counts[slot] = (this.counts[slot] as number) + 1;
    this.bucketOf[host * D + d] = b;
  }

  private unlink(host: number, d: number, b: number): void {
    const D = this.D;
    const slot = d * (this.K + 1) + b;
    const p = this.prevIn[host * D + d] as number;
    const n = this.nextIn[host * D + d] as number;
    if (p >= 0) this.nextIn[p * D + d] = n;
    else this.heads[slot] = n;
    if (n >= 0) this.prevIn[n * D + d] = p;
    const left = (this.counts[slot] as number) - 1;
    this.counts[slot] = left;
    this.bucketOf[host * D + d] = -1;
    if (left === 0) {
      for (let e = 0; e < D; e++) {
        this.bMax[slot * D + e] = -Infinity;
        this.bRatio[slot * D + e] = -Infinity;
      }
      this.bCapMin[slot] = Infinity;
    }
  }

  /** Widens the bounds of bucket `slot` (of dimension d) and the all-host capacity bounds by `host`. */
  private widen(slot: number, host: number, d: number): void {
    const D = this.D;
    const leaf = (this.size + host) * D;
    const bMax = this.bMax;
    const bRatio = this.bRatio;
    const cap = this.table.capacity;
    for (let e = 0; e < D; e++) {
      const f = this.tree[leaf + e] as number;
      if (f > (bMax[slot * D + e] as number)) bMax[slot * D + e] = f;
      const ce = cap[host * D + e] as number;
      const r = ce > 0 ? f / ce : Infinity;
      if (r > (bRatio[slot * D + e] as number)) bRatio[slot * D + e] = r;
    }
    const c = cap[host * D + d] as number;
    if (c < (this.bCapMin[slot] as number)) this.bCapMin[slot] = c;
    if (c > 0) {
      if (c > (this.capMaxAll[d] as number)) this.capMaxAll[d] = c;
      if (c < (this.capMinAll[d] as number)) this.capMinAll[d] = c;
    }
  }

  /** False when, by the bucket's free bounds, no host in it can fit the prepared request. */
  private slotMayFit(slot: number): boolean {
    const base = slot * this.D;
    for (let i = 0; i < this.reqCount; i++) {
      if ((this.bMax[base + (this.reqDims[i] as number)] as number) < (this.reqNeed[i] as number)) return false;
    }
    return true;
  }

  /**
   * Scores every fitting, passing host of bucket `slot` (dimension d) against the running best
   * (pack: least score; spread: greatest; ties to the lower id) and makes the bucket's bounds exact.
   */
  private scanSlot(slot: number, d: number, filter: HostFilter, ratios: boolean): void {
    const D = this.D;
    const size = this.size;
    const tree = this.tree;
    const bMax = this.bMax;
    const cap = this.table.capacity;
    const used = this.table.used;
    const bRatio = this.bRatio;
    const reqDims = this.reqDims;
    const reqNeed = this.reqNeed;
    const reqCount = this.reqCount;
    const top = this.top;
    const mb = slot * D;
    // Plain loops: TypedArray.prototype.fill costs a native call, too much for D entries. The ratio
    // bounds are only made exact when asked (spread uses them); left alone they stay valid upper bounds.
    for (let e = 0; e < D; e++) bMax[mb + e] = -Infinity;
    if (ratios) for (let e = 0; e < D; e++) bRatio[mb + e] = -Infinity;
    let capMin = Infinity;
    for (let h = this.heads[slot] as number; h >= 0; h = this.nextIn[h * D + d] as number) {
      const leaf = (size + h) * D;
      const base = h * D;
      for (let e = 0; e < D; e++) {
        const f = tree[leaf + e] as number;
        if (f > (bMax[mb + e] as number)) bMax[mb + e] = f;
      }
      if (ratios) {
        for (let e = 0; e < D; e++) {
          const ce = cap[base + e] as number;
          const r = ce > 0 ? (tree[leaf + e] as number) / ce : Infinity;
          if (r > (bRatio[mb + e] as number)) bRatio[mb + e] = r;
        }
      }
      const c = cap[base + d] as number;
      if (c < capMin) capMin = c;
      let fits = true;
      for (let i = 0; i < reqCount; i++) {
        if ((tree[leaf + (reqDims[i] as number)] as number) < (reqNeed[i] as number)) {
          fits = false;
          break;
        }
      }
      if (!fits || !passesFilter(this.table, h, filter)) continue;
      // placementScore's very operations over the requested dimensions (all have capacity > 0 here).
      let score = Infinity;
      for (let i = 0; i < reqCount; i++) {
        const e = reqDims[i] as number;
        const ce = cap[base + e] as number;
        const left = (ce - (used[base + e] as number) - (reqNeed[i] as number)) / ce;
        if (left < score) score = left;
      }
      top.offer(h, score);
    }
    this.bCapMin[slot] = capMin;
  }

  private prepare(need: ArrayLike<number>): void {
    let c = 0;
    for (let d = 0; d < this.D; d++) {
      const n = need[d] as number;
      if (n > 0) {
        this.reqDims[c] = d;
        this.reqNeed[c] = n;
        c++;
      }
    }
    this.reqCount = c;
  }

  private nodeFits(k: number): boolean {
    const base = k * this.D;
    const tree = this.tree;
    for (let i = 0; i < this.reqCount; i++) {
      if ((tree[base + (this.reqDims[i] as number)] as number) < (this.reqNeed[i] as number)) return false;
    }
    return true;
  }

  /**
   * The next host at or after the walk position `k` (a node id) that fits and passes the filter;
   * returns the leaf node id, or 0 when the walk is over. Call with k = 1 to start, and with
   * next(leaf) to continue.
   */
  private seek(k: number, filter: HostFilter): number {
    const size = this.size;
    const count = this.table.count;
    for (;;) {
      if (this.nodeFits(k)) {
        if (k < size) {
          k = 2 * k;
          continue;
        }
        const h = k - size;
        if (h < count && passesFilter(this.table, h, filter)) return k;
      }
      while ((k & 1) === 1) k >>= 1;
      if (k === 0) return 0;
      k++;
    }
  }

  /** The walk position after leaf `k`. */
  private static after(k: number): number {
    while ((k & 1) === 1) k >>= 1;
    return k === 0 ? 0 : k + 1;
  }

  forEachFit(need: ArrayLike<number>, filter: HostFilter, visit: (host: number) => boolean | void): number {
    this.prepare(need);
    const size = this.size;
    let visited = 0;
    let k = this.seek(1, filter);
    while (k !== 0) {
      visited++;
      if (visit(k - size) === false) break;
      // visit may claim or release (the walk state is only k, and the scratch request is set
      // again below, so a nested query is fine too), but not add hosts past the tree's room.
      if (this.size !== size) throw new SchedulerHostError('hosts were added during forEachFit');
      this.prepare(need);
      const next = CapacityIndex.after(k);
      k = next === 0 ? 0 : this.seek(next, filter);
    }
    return visited;
  }

  firstFit(need: ArrayLike<number>, filter: HostFilter): number {
    this.prepare(need);
    const k = this.seek(1, filter);
    return k === 0 ? -1 : k - this.size;
  }

  bestFit(need: ArrayLike<number>, filter: HostFilter): number {
    this.searchBest(need, filter, 1);
    return this.top.found > 0 ? (this.top.hosts[0] as number) : -1;
  }

  /** The `k` fitting hosts of least placementScore, best first, into `out`; returns how many (≤ k). */
  bestFitMany(need: ArrayLike<number>, filter: HostFilter, k: number, out: Int32Array): number {
    this.searchBest(need, filter, k);
    return this.top.copyTo(out);
  }

  /** The `k` fitting hosts of greatest placementScore, best first, into `out`; returns how many (≤ k). */
  worstFitMany(need: ArrayLike<number>, filter: HostFilter, k: number, out: Int32Array): number {
    this.searchWorst(need, filter, k);
    return this.top.copyTo(out);
  }

  worstFit(need: ArrayLike<number>, filter: HostFilter): number {
    this.searchWorst(need, filter, 1);
    return this.top.found > 0 ? (this.top.hosts[0] as number) : -1;
  }

  private searchBest(need: ArrayLike<number>, filter: HostFilter, k: number): void {
    this.prepare(need);
    this.top.reset(k, true);
    if (this.reqCount === 0) {
      this.walk(need, filter);
      return;
    }
    const K = this.K;
    const slots = K + 1;
    const top = this.top;
    for (let i = 0; i < this.reqCount; i++) {
      const d = this.reqDims[i] as number;
      const n = this.reqNeed[i] as number;
      const capMax = this.capMaxAll[d] as number;
      // No host has capacity in a requested dimension: nothing fits.
      if (!(capMax > 0)) {
        top.found = 0;
        return;
      }
      // Fitting hosts have free ≥ n and capacity ≤ capMax, so r ≥ n/capMax: start one bucket below.
      let b = Math.floor(K * (n / capMax)) - 1;
      if (b < 0) b = 0;
      const slackAll = n / (this.capMinAll[d] as number) + EPS;
      for (; b < K; b++) {
        const lo = b / K;
        if (lo - slackAll > top.bound) break;
        const slot = d * slots + b;
        if ((this.heads[slot] as number) < 0 || !this.slotMayFit(slot)) continue;
        if (lo - (n / (this.bCapMin[slot] as number) + EPS) > top.bound) continue;
        this.scanSlot(slot, d, filter, false);
      }
    }
  }

  private searchWorst(need: ArrayLike<number>, filter: HostFilter, k: number): void {
    this.prepare(need);
    this.top.reset(k, false);
    if (this.reqCount === 0) {
      this.walk(need, filter);
      return;
    }
    const K = this.K;
    const slots = K + 1;
    const top = this.top;
    // A first score: the topmost bucket that may fit, in every requested dimension.
    for (let i = 0; i < this.reqCount; i++) {
      const d = this.reqDims[i] as number;
      if (!((this.capMaxAll[d] as number) > 0)) {
        top.found = 0;
        return;
      }
      for (let b = K - 1; b >= 0; b--) {
        const slot = d * slots + b;
        if ((this.heads[slot] as number) < 0 || !this.slotMayFit(slot)) continue;
        this.scanSlot(slot, d, filter, true);
        break;
      }
    }
    // The dimension whose buckets that can still hold a better (or equal) score hold fewest hosts.
    let d0 = this.reqDims[0] as number;
    let n0 = this.reqNeed[0] as number;
    let fewest = Infinity;
    for (let i = 0; i < this.reqCount; i++) {
      const d = this.reqDims[i] as number;
      const shift = (this.reqNeed[i] as number) / (this.capMaxAll[d] as number) - EPS;
      let hosts = 0;
      for (let b = K - 1; b >= 0 && (b + 1) / K - shift >= top.bound && hosts < fewest; b--) hosts += this.counts[d * slots + b] as number;
      if (hosts < fewest) {
        fewest = hosts;
        d0 = d;
        n0 = this.reqNeed[i] as number;
      }
    }
    const shift = n0 / (this.capMaxAll[d0] as number) - EPS;
    for (let b = K - 1; b >= 0; b--) {
      if ((b + 1) / K - shift < top.bound) break;
      const slot = d0 * slots + b;
      if ((this.heads[slot] as number) < 0 || !this.slotMayFit(slot)) continue;
      // s(h) ≤ f_e(h) ≤ free_e/capacity_e for every e ∈ R (fl is monotone): the bucket's ratio bounds.
      let ub = Infinity;
      for (let i = 0; i < this.reqCount; i++) {
        const r = this.bRatio[slot * this.D + (this.reqDims[i] as number)] as number;
        if (r < ub) ub = r;
      }
      if (ub + EPS < top.bound) continue;
      this.scanSlot(slot, d0, filter, true);
    }
  }

  /** bestFit/worstFit by the tree walk alone: every fitting host is scored (used when nothing is requested). */
  private walk(need: ArrayLike<number>, filter: HostFilter): void {
    let k = this.seek(1, filter);
    while (k !== 0) {
      const h = k - this.size;
      this.top.offer(h, placementScore(this.table, h, need));
      const next = CapacityIndex.after(k);
      k = next === 0 ? 0 : this.seek(next, filter);
    }
  }
}
