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
 * dimension over its hosts, bounds of capacity_d and a lower bound of free_d: widened on every
 * insertion and change, made exact again whenever the bucket is scanned in full, reset when it
 * empties. Lazy bounds stay valid bounds, which is all the search needs.
 *
 * With R = the requested dimensions (need > 0), a fitting host has capacity > 0 in every d ∈ R and
 * score s(h) = min_{d∈R} f_d(h), f_d = fl(fl(free_d − need_d) / capacity_d) (placementScore's very
 * operations), f_d ≥ 0; and f_d = r_d − need_d/capacity_d up to rounding (≤ 2⁻⁵¹ absolute here).
 * - Pack (least s, ties to the lower id): min_h min_d f_d = min_d min_h f_d, so the answer h* has
 *   some d* with f_{d*}(h*) = s(h*). The buckets of every d ∈ R are walked upward, merged best
 *   first by their lower bound of f_d (b/K − need_d/capMin_all − ε), so that the k best are found
 *   early; the walk stops when the least next bound exceeds the k-th best score S. A bucket is
 *   skipped when some requested dimension's free bound is < need (nothing in it fits) or when its
 *   lower bound of f_d, b/K − need_d/capMin_b − ε, exceeds S (S only falls, so h* is never skipped
 *   in d*); 32 buckets at once when their group bound shows that none fits, and empty buckets by a
 *   bit set. Hosts met are scored first (placementScore's operations) and only those that would
 *   enter the k best run the filter (traits, aggregates, the pipeline's stages: NUMA fit…).
 *   Two things keep a bucket's scan short:
 *   · settled tails: a full scan makes the bucket's bounds exact and marks its hosts as the tail; a
 *     host that changes (free rising) or arrives goes to the head. A later scan reads the head and
 *     skips the tail when the tail's exact bounds show that none of it fits — on a cluster that is
 *     mostly full, the full hosts settle in the tails and do not cost the hosts being packed;
 *   · id order for large buckets that can stop early (one f_d value — PCPU has 17 free ratios, so
 *     thousands of hosts tie — or S already ≤ the bucket's exact floor of f_d): the bucket's hosts
 *     are read in host id order (per-block member counts over blocks of 2^idBlockShift ids) and the
 *     scan stops at the first host that has f_d ≥ floor ≥ S and an id above the k-th best's, since
 *     neither it nor any later one can enter. A host whose score is below its f_d is found by the
 *     walk of the dimension that gives its score.
 * - Spread (greatest s), by the request's own buckets: for each set R of requested dimensions met
 *   (at most MAX_SPREAD_SETS of them, each made on first use and kept current like the others), the
 *   hosts are also bucketed by m_R(h) = min_{d∈R} free_d/capacity_d (hosts with capacity 0 in some
 *   d ∈ R in bucket K, never walked). Since f_d ≤ free_d/capacity_d − need_d/capacity_d up to
 *   rounding, s(h) ≤ m_R(h) − min_{d∈R} need_d/capMax_all_d, so a host of bucket b scores at most
 *   (b+1)/K − min_d need_d/capMax_d + ε: the buckets are walked downward, each host scored, until
 *   that bound drops below the k-th best score (strictly, so equal scores at lower ids are met).
 *   Unlike one dimension's buckets, this bound follows every requested dimension at once: a host is
 *   reached only when all of them are nearly as free as the best's, so the band scored is the few
 *   buckets of the spread of need/capacity across dimensions.
 * - Spread, fallback (more sets than MAX_SPREAD_SETS): s(h) ≤ f_{d0}(h) ≤ (b+1)/K − need_{d0}/capMax_all + ε for any one d0 ∈ R.
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

/** Sets of requested dimensions (spread) that get buckets of their own; more fall back to one dimension's buckets. */
const MAX_SPREAD_SETS = 4;

/** Hosts bucketed by m_R = min over a set R of dimensions of free/capacity (worstFit's walk). */
interface SpreadBuckets {
  /** Bit d set for d ∈ R. */
  readonly mask: number;
  readonly dims: Int32Array;
  /** Bucket of each host (−1: not placed); K: capacity 0 in some d ∈ R. */
  readonly bucketOf: Int32Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly heads: Int32Array;
  readonly counts: Int32Array;
  /** ratioMax[b·|R| + i]: upper bound of free/capacity of the i-th dimension of R over bucket b (−∞ when empty); exact after a scan. */
  readonly ratioMax: Float64Array;
}

/** The id-order scan reads at most this many ids per member of the bucket (sequential reads) before giving up. */
const WALK_BUDGET = 16;

export interface CapacityIndexOptions {
  /**
   * Buckets per dimension for bestFit/worstFit (default: from the tree's room, size/16 clamped to
   * 64 … 2048). Any K ≥ 1 gives the same answers; it only changes the speed.
   */
  readonly scoreBuckets?: number;
  /**
   * bestFit scans a bucket of at least this many hosts in host id order, stopping early, when that
   * can pay (default 128). Any value ≥ 1 gives the same answers (tests use small ones).
   */
  readonly idWalkMin?: number;
  /** log2 of the id blocks that count each bucket's hosts for that scan (default 9: 512 ids; 0 … 15). */
  readonly idBlockShift?: number;
}

export class CapacityIndex implements HostFinder, HostTableListener {
  private size: number;
  private tree: Float64Array;
  private readonly D: number;
  /** Scratch: requested dimensions and their amounts for the current walk. */
  private readonly reqDims: Int32Array;
  private readonly reqNeed: Float64Array;
  private reqCount = 0;
  /** Scratch of bestFit's merged walk: next bucket and slack (need/capMin + ε) per requested dimension. */
  private readonly cursor: Int32Array;
  private readonly slack: Float64Array;
  private readonly nextLo: Float64Array;
  /** Scratch of scanSlot: the bucket's free bounds before the scan. */
  private readonly before: Float64Array;

  private readonly fixedK: number | undefined;
  /** Buckets per dimension (plus one, K, for hosts with capacity 0 in that dimension). */
  private K = 1;
  /** bucketOf[h·D + d]: bucket of host h in dimension d (−1: not placed). */
  private bucketOf = new Int32Array(0);
  /** Intrusive doubly linked lists: next/previous host id in the same bucket, −1 at the ends. */
  private nextIn = new Int32Array(0);
  private prevIn = new Int32Array(0);
  /** blockCounts[(d·(K+1) + b)·nBlocks + (h >> blockShift)]: hosts of the bucket in each block of 2^blockShift ids (bestFit's id-order scan). */
  private blockCounts = new Uint16Array(0);
  private nBlocks = 1;
  private readonly blockShift: number;
  private readonly walkMin: number;
  /** Bit b of words [d·W, d·W + W) set when bucket b of dimension d holds hosts (W = words per dimension), so walks skip empty buckets 32 at a time. */
  private nonEmpty = new Uint32Array(0);
  private W = 1;
  /**
   * gMax[(d·W + w)·D + e]: upper bound of free_e over the buckets b of dimension d with b >> 5 = w
   * (the 32 buckets of one nonEmpty word): widened with the buckets' bounds, recomputed from them
   * after a scan. bestFit's walk skips the 32 buckets at once when it shows that none fits.
   */
  private gMax = new Float64Array(0);
  /** heads[d·(K+1) + b], counts[…]: first host and number of hosts of a bucket. */
  private heads = new Int32Array(0);
  private counts = new Int32Array(0);
  /** bMax[(d·(K+1) + b)·D + e]: upper bound of free_e over the bucket (−∞ when empty). */
  private bMax = new Float64Array(0);
  /** bRatio[(d·(K+1) + b)·D + e]: upper bound of free_e/capacity_e over the bucket (+∞ for capacity_e = 0; −∞ when empty). */
  private bRatio = new Float64Array(0);
  /**
   * tail[slot]: first host of the bucket's settled tail — the hosts that were in it at its last full
   * scan and have not changed since (a host that changes moves to the head) — or −1 for none.
   * tMax[slot·D + e]: upper bound of free_e over the tail, exact at that scan. A scan for bestFit
   * reads the head (the hosts that came or changed since) and skips the tail when tMax shows that
   * none of it fits: on a cluster mostly full, the full hosts settle in the tails and a bucket they
   * share with a few hosts being packed costs only those few.
   */
  private tail = new Int32Array(0);
  private tMax = new Float64Array(0);
  /** bCapMin[d·(K+1) + b]: lower bound of capacity_d over the bucket (+∞ when empty). */
  private bCapMin = new Float64Array(0);
  /** bCapMax[d·(K+1) + b]: upper bound of capacity_d over the bucket (−∞ when empty). */
  private bCapMax = new Float64Array(0);
  /** bFreeMin[d·(K+1) + b]: lower bound of free_d over the bucket (+∞ when empty). */
  private bFreeMin = new Float64Array(0);
  /** Over all hosts with capacity_d > 0: an upper bound of the largest and a lower bound of the least capacity_d. */
  private readonly capMaxAll: Float64Array;
  private readonly capMinAll: Float64Array;
  /** The k best hosts of the running bestFit/worstFit; its bound is the score to beat. */
  private readonly top = new TopK();
  /** worstFit's buckets per set of requested dimensions (made on first use, rebuilt with the index). */
  private spread: SpreadBuckets[] = [];

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
    const walkMin = options.idWalkMin ?? 128;
    if (!(Number.isInteger(walkMin) && walkMin >= 1)) throw new SchedulerHostError(`idWalkMin must be an integer ≥ 1, got ${walkMin}`);
    const shift = options.idBlockShift ?? 9;
    if (!(Number.isInteger(shift) && shift >= 0 && shift <= 15)) throw new SchedulerHostError(`idBlockShift must be an integer in 0 … 15, got ${shift}`);
    this.walkMin = walkMin;
    this.blockShift = shift;
    this.D = table.dims;
    this.capMaxAll = new Float64Array(this.D);
    this.capMinAll = new Float64Array(this.D);
    this.reqDims = new Int32Array(this.D);
    this.reqNeed = new Float64Array(this.D);
    this.cursor = new Int32Array(this.D);
    this.slack = new Float64Array(this.D);
    this.nextLo = new Float64Array(this.D);
    this.before = new Float64Array(this.D);
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
      this.blockCounts.byteLength +
      this.nonEmpty.byteLength +
      this.gMax.byteLength +
      this.bMax.byteLength +
      this.bRatio.byteLength +
      this.bCapMin.byteLength +
      this.tail.byteLength +
      this.tMax.byteLength +
      this.bCapMax.byteLength +
      this.bFreeMin.byteLength +
      this.capMaxAll.byteLength +
      this.capMinAll.byteLength +
      this.spread.reduce((n, sb) => n + sb.bucketOf.byteLength + sb.next.byteLength + sb.prev.byteLength + sb.heads.byteLength + sb.counts.byteLength + sb.dims.byteLength, 0)
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
    let grew = false;
    for (let d = 0; d < D; d++) {
      const f = (cap[host * D + d] as number) - (used[host * D + d] as number);
      if (!(f <= (tree[k * D + d] as number))) grew = true;
      tree[k * D + d] = f;
    }
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
    this.placeInBuckets(host, grew);
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
    this.nBlocks = Math.max(1, Math.ceil(size / (1 << this.blockShift)));
    this.blockCounts = new Uint16Array(slots * this.nBlocks);
    this.W = (K + 1 + 31) >>> 5;
    this.nonEmpty = new Uint32Array(this.W * D);
    this.gMax = new Float64Array(this.W * D * D).fill(-Infinity);
    this.bMax = new Float64Array(slots * D).fill(-Infinity);
    this.bRatio = new Float64Array(slots * D).fill(-Infinity);
    this.bCapMin = new Float64Array(slots).fill(Infinity);
    this.tail = new Int32Array(slots).fill(-1);
    this.tMax = new Float64Array(slots * D).fill(-Infinity);
    this.bCapMax = new Float64Array(slots).fill(-Infinity);
    this.bFreeMin = new Float64Array(slots).fill(Infinity);
    this.capMaxAll.fill(-Infinity);
    this.capMinAll.fill(Infinity);
    const masks = this.spread.map((sb) => sb.mask);
    this.spread = [];
    for (let h = 0; h < n; h++) this.placeInBuckets(h, true);
    for (const m of masks) this.addSpreadSet(m);
  }

  /** Makes worstFit's buckets for the set of dimensions `mask` over the current hosts. */
  private addSpreadSet(mask: number): SpreadBuckets {
    const dims: number[] = [];
    for (let d = 0; d < this.D; d++) if ((mask & (1 << d)) !== 0) dims.push(d);
    const sb: SpreadBuckets = {
      mask,
      dims: Int32Array.from(dims),
      bucketOf: new Int32Array(this.size).fill(-1),
      next: new Int32Array(this.size),
      prev: new Int32Array(this.size),
      heads: new Int32Array(this.K + 1).fill(-1),
      counts: new Int32Array(this.K + 1),
      ratioMax: new Float64Array((this.K + 1) * dims.length).fill(-Infinity),
    };
    this.spread.push(sb);
    const n = this.table.count;
    // Linked in decreasing id so that each list reads in increasing id (cache-friendlier).
    for (let h = n - 1; h >= 0; h--) this.placeInSpread(sb, h);
    return sb;
  }

  /** The host's bucket of m_R = min_{d∈R} free_d/capacity_d (free from the tree's leaf), K when some capacity_d ≤ 0. */
  private spreadBucketFor(sb: SpreadBuckets, host: number): number {
    const K = this.K;
    const D = this.D;
    const leaf = (this.size + host) * D;
    let m = Infinity;
    for (let i = 0; i < sb.dims.length; i++) {
      const d = sb.dims[i] as number;
      const c = this.table.capacity[host * D + d] as number;
      if (!(c > 0)) return K;
      const r = (this.tree[leaf + d] as number) / c;
      if (r < m) m = r;
    }
    if (!(m > 0)) return 0;
    const b = Math.floor(m * K);
    return b >= K ? K - 1 : b;
  }

  private placeInSpread(sb: SpreadBuckets, host: number): void {
    const b = this.spreadBucketFor(sb, host);
    const old = sb.bucketOf[host] as number;
    const R = sb.dims.length;
    if (old !== b) {
      if (old >= 0) {
        const p = sb.prev[host] as number;
        const nx = sb.next[host] as number;
        if (p >= 0) sb.next[p] = nx;
        else sb.heads[old] = nx;
        if (nx >= 0) sb.prev[nx] = p;
        const left = (sb.counts[old] as number) - 1;
        sb.counts[old] = left;
        if (left === 0) sb.ratioMax.fill(-Infinity, old * R, old * R + R);
      }
      const head = sb.heads[b] as number;
      sb.next[host] = head;
      sb.prev[host] = -1;
      if (head >= 0) sb.prev[head] = host;
      sb.heads[b] = host;
      sb.counts[b] = (sb.counts[b] as number) + 1;
      sb.bucketOf[host] = b;
    }
    // Widened on every change (a free value may have risen within the bucket): the bound must hold.
    const D = this.D;
    const leaf = (this.size + host) * D;
    for (let i = 0; i < R; i++) {
      const d = sb.dims[i] as number;
      const c = this.table.capacity[host * D + d] as number;
      const r = c > 0 ? (this.tree[leaf + d] as number) / c : Infinity;
      if (r > (sb.ratioMax[b * R + i] as number)) sb.ratioMax[b * R + i] = r;
    }
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

  /**
   * Moves the host to its current bucket in every dimension and widens the bounds. `grew`: some free
   * value rose (or may have), so a host staying in its bucket must leave the settled tail too.
   */
  private placeInBuckets(host: number, grew: boolean): void {
    const D = this.D;
    for (let d = 0; d < D; d++) {
      const b = this.bucketFor(host, d);
      const old = this.bucketOf[host * D + d] as number;
      // A host that changes moves to the head of its list, out of the bucket's settled tail (whose
      // bounds must keep holding for every host in it).
      if (old !== b || (grew && (this.tail[d * (this.K + 1) + b] as number) >= 0)) {
        if (old >= 0) this.unlink(host, d, old);
        this.link(host, d, b);
      }
      this.widen(d * (this.K + 1) + b, host, d);
    }
    const spread = this.spread;
    for (let i = 0; i < spread.length; i++) this.placeInSpread(spread[i] as SpreadBuckets, host);
  }

  private link(host: number, d: number, b: number): void {
    const D = this.D;
    const slot = d * (this.K + 1) + b;
    const head = this.heads[slot] as number;
    this.nextIn[host * D + d] = head;
    this.prevIn[host * D + d] = -1;
    if (head >= 0) this.prevIn[head * D + d] = host;
    this.heads[slot] = host;
    const was = this.counts[slot] as number;
    this.counts[slot] = was + 1;
    if (was === 0) {
      const w = d * this.W + (b >>> 5);
      this.nonEmpty[w] = (this.nonEmpty[w] as number) | (1 << (b & 31));
    }
    const bc = slot * this.nBlocks + (host >> this.blockShift);
    this.blockCounts[bc] = (this.blockCounts[bc] as number) + 1;
    this.bucketOf[host * D + d] = b;
  }

  private unlink(host: number, d: number, b: number): void {
    const D = this.D;
    const slot = d * (this.K + 1) + b;
    const p = this.prevIn[host * D + d] as number;
    const n = this.nextIn[host * D + d] as number;
    if ((this.tail[slot] as number) === host) this.tail[slot] = n;
    if (p >= 0) this.nextIn[p * D + d] = n;
    else this.heads[slot] = n;
    if (n >= 0) this.prevIn[n * D + d] = p;
    const left = (this.counts[slot] as number) - 1;
    const bc = slot * this.nBlocks + (host >> this.blockShift);
    this.blockCounts[bc] = (this.blockCounts[bc] as number) - 1;
    this.counts[slot] = left;
    this.bucketOf[host * D + d] = -1;
    if (left === 0) {
      for (let e = 0; e < D; e++) this.tMax[slot * D + e] = -Infinity;
      const w = d * this.W + (b >>> 5);
      this.nonEmpty[w] = (this.nonEmpty[w] as number) & ~(1 << (b & 31));
      for (let e = 0; e < D; e++) {
        this.bMax[slot * D + e] = -Infinity;
        this.bRatio[slot * D + e] = -Infinity;
      }
      this.bCapMin[slot] = Infinity;
      this.bCapMax[slot] = -Infinity;
      this.bFreeMin[slot] = Infinity;
    }
  }

  /** Widens the bounds of bucket `slot` (of dimension d) and the all-host capacity bounds by `host`. */
  private widen(slot: number, host: number, d: number): void {
    const D = this.D;
    const leaf = (this.size + host) * D;
    const bMax = this.bMax;
    const bRatio = this.bRatio;
    const cap = this.table.capacity;
    const gMax = this.gMax;
    const g = (d * this.W + ((slot - d * (this.K + 1)) >>> 5)) * D;
    for (let e = 0; e < D; e++) {
      const f = this.tree[leaf + e] as number;
      if (f > (bMax[slot * D + e] as number)) bMax[slot * D + e] = f;
      if (f > (gMax[g + e] as number)) gMax[g + e] = f;
      const ce = cap[host * D + e] as number;
      const r = ce > 0 ? f / ce : Infinity;
      if (r > (bRatio[slot * D + e] as number)) bRatio[slot * D + e] = r;
    }
    const c = cap[host * D + d] as number;
    if (c < (this.bCapMin[slot] as number)) this.bCapMin[slot] = c;
    if (c > (this.bCapMax[slot] as number)) this.bCapMax[slot] = c;
    const fd = this.tree[leaf + d] as number;
    if (fd < (this.bFreeMin[slot] as number)) this.bFreeMin[slot] = fd;
    if (c > 0) {
      if (c > (this.capMaxAll[d] as number)) this.capMaxAll[d] = c;
      if (c < (this.capMinAll[d] as number)) this.capMinAll[d] = c;
    }
  }

  /** Whether, by the group bound, a bucket of word w of dimension d may hold a host fitting the prepared request. */
  private groupMayFit(d: number, w: number): boolean {
    const g = (d * this.W + w) * this.D;
    for (let i = 0; i < this.reqCount; i++) {
      if ((this.gMax[g + (this.reqDims[i] as number)] as number) < (this.reqNeed[i] as number)) return false;
    }
    return true;
  }

  /** The first non-empty bucket ≥ b of dimension d below K whose group may fit the prepared request, or K. */
  private nextNonEmpty(d: number, b: number): number {
    const K = this.K;
    if (b >= K) return K;
    const W = this.W;
    const words = this.nonEmpty;
    let w = b >>> 5;
    let bits = (words[d * W + w] as number) & (~0 << (b & 31));
    if (bits !== 0 && !this.groupMayFit(d, w)) bits = 0;
    while (bits === 0) {
      if (++w >= W) return K;
      bits = words[d * W + w] as number;
      if (bits !== 0 && !this.groupMayFit(d, w)) bits = 0;
    }
    const found = (w << 5) + (31 - Math.clz32(bits & -bits));
    return found < K ? found : K;
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
    const bRatio = this.bRatio;
    const reqDims = this.reqDims;
    const reqNeed = this.reqNeed;
    const reqCount = this.reqCount;
    const mb = slot * D;
    // Plain loops: TypedArray.prototype.fill costs a native call, too much for D entries. The ratio
    // bounds are only made exact when asked (spread uses them); left alone they stay valid upper bounds.
    const before = this.before;
    for (let e = 0; e < D; e++) {
      before[e] = bMax[mb + e] as number;
      bMax[mb + e] = -Infinity;
    }
    if (ratios) for (let e = 0; e < D; e++) bRatio[mb + e] = -Infinity;
    let capMin = Infinity;
    let capMax = -Infinity;
    let freeMin = Infinity;
    const tail = this.tail[slot] as number;
    const tMax = this.tMax;
    for (let h = this.heads[slot] as number; h >= 0; h = this.nextIn[h * D + d] as number) {
      if (h === tail && !ratios) {
        // The settled tail: skipped when by its exact bounds none of it fits (the bucket's bounds then
        // become the head's, exact, widened by the tail's); the capacity and free minima stay as they were.
        let tailFits = true;
        for (let i = 0; i < reqCount; i++) {
          if ((tMax[mb + (reqDims[i] as number)] as number) < (reqNeed[i] as number)) {
            tailFits = false;
            break;
          }
        }
        if (!tailFits) {
          for (let e = 0; e < D; e++) if ((tMax[mb + e] as number) > (bMax[mb + e] as number)) bMax[mb + e] = tMax[mb + e] as number;
          this.settleGroupIfTighter(slot, d);
          return;
        }
      }
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
      if (c > capMax) capMax = c;
      const fd = tree[leaf + d] as number;
      if (fd < freeMin) freeMin = fd;
      this.consider(h, filter);
    }
    this.bCapMin[slot] = capMin;
    this.bCapMax[slot] = capMax;
    this.bFreeMin[slot] = freeMin;
    // Scanned in full: every host settles into the tail, whose bounds are now exact.
    this.tail[slot] = this.heads[slot] as number;
    for (let e = 0; e < D; e++) tMax[mb + e] = bMax[mb + e] as number;
    // Only bestFit reads the group bounds; left alone they stay valid (wider) bounds.
    if (!ratios) this.settleGroupIfTighter(slot, d);
  }

  /** settleGroup, when the scan just made the bucket's bounds tighter than they were (`before`). */
  private settleGroupIfTighter(slot: number, d: number): void {
    const D = this.D;
    for (let e = 0; e < D; e++) {
      if ((this.bMax[slot * D + e] as number) < (this.before[e] as number)) {
        this.settleGroup(slot, d);
        return;
      }
    }
  }

  /** Recomputes the group bound of the 32 buckets around `slot` (dimension d) from their bounds. */
  private settleGroup(slot: number, d: number): void {
    const D = this.D;
    const K = this.K;
    const first = d * (K + 1);
    const w = (slot - first) >>> 5;
    const from = first + (w << 5);
    const to = Math.min(first + K + 1, from + 32);
    const g = (d * this.W + w) * D;
    const bMax = this.bMax;
    const gMax = this.gMax;
    for (let e = 0; e < D; e++) gMax[g + e] = -Infinity;
    // Empty buckets hold −∞: reading them costs less than testing the bit.
    for (let sl = from; sl < to; sl++) {
      for (let e = 0; e < D; e++) {
        const v = bMax[sl * D + e] as number;
        if (v > (gMax[g + e] as number)) gMax[g + e] = v;
      }
    }
  }

  /**
   * An exact lower bound of f_d = fl(fl(free_d − need)/capacity_d) over the hosts of bucket `slot`
   * (dimension d) that fit `need`: rounding is monotone, so fl(fl(freeMin − need)/capMax) bounds it
   * from below when freeMin ≥ need; otherwise 0 does (a fitting host has f_d ≥ 0). Every host of a
   * bucket with one free value and one capacity has exactly this f_d.
   */
  private slotFloor(slot: number, need: number): number {
    const y = (this.bFreeMin[slot] as number) - need;
    return y >= 0 ? y / (this.bCapMax[slot] as number) : 0;
  }

  /**
   * bestFit's scan of a large bucket in increasing host id, stopping as soon as no later host of the
   * bucket can enter the k best: every one has f_d ≥ floor = slotFloor and a greater id than the
   * k-th best, so (score, id) ≥ (floor, id) > (S, I) once floor ≥ S and id > I. A host whose score
   * is below its f_d is not lost: its score is its f_e in another requested dimension e, and the
   * walk of e meets it (or shows it cannot enter). This keeps many exact ties (PCPU has 17 free
   * ratios) from being scanned in full. The id order comes from the per-block member counts: only
   * blocks of 2^blockShift ids holding members of the bucket are read, sequentially. Gives up after
   * reading `budget` ids (returns false: scan the bucket's list instead; a host offered twice keeps
   * one place).
   */
  private walkSlotById(slot: number, d: number, b: number, filter: HostFilter, budget: number): boolean {
    const D = this.D;
    const count = this.table.count;
    const bucketOf = this.bucketOf;
    const blockCounts = this.blockCounts;
    const reqDims = this.reqDims;
    const reqNeed = this.reqNeed;
    const reqCount = this.reqCount;
    const top = this.top;
    let needD = 0;
    for (let i = 0; i < reqCount; i++) if (reqDims[i] === d) needD = reqNeed[i] as number;
    const floor = this.slotFloor(slot, needD);
    const nb = this.nBlocks;
    const first = slot * nb;
    for (let blk = 0; blk < nb; blk++) {
      let left = blockCounts[first + blk] as number;
      if (left === 0) continue;
      const from = blk << this.blockShift;
      const to = Math.min(count, from + (1 << this.blockShift));
      for (let h = from; h < to && left > 0; h++) {
        if ((bucketOf[h * D + d] as number) !== b) continue;
        left--;
        if (top.found === top.k && floor >= top.bound && h > (top.hosts[top.k - 1] as number)) return true;
        this.consider(h, filter);
      }
      budget -= to - from;
      if (budget < 0) return false;
    }
    return true;
  }

  /**
   * Offers host h to the top k when the request fits its leaf (the free room the tree keeps), scored
   * with placementScore's very operations over the requested dimensions (all have capacity > 0
   * here). The filter (traits, aggregates, then the pipeline's per-host stages: NUMA fit…) costs far
   * more than the score: it runs only for a host that would take a place among the k best.
   */
  private consider(h: number, filter: HostFilter): void {
    const D = this.D;
    const tree = this.tree;
    const reqDims = this.reqDims;
    const reqNeed = this.reqNeed;
    const reqCount = this.reqCount;
    const leaf = (this.size + h) * D;
    for (let i = 0; i < reqCount; i++) {
      if ((tree[leaf + (reqDims[i] as number)] as number) < (reqNeed[i] as number)) return;
    }
    const cap = this.table.capacity;
    const used = this.table.used;
    const base = h * D;
    let score = Infinity;
    for (let i = 0; i < reqCount; i++) {
      const e = reqDims[i] as number;
      const ce = cap[base + e] as number;
      const left = (ce - (used[base + e] as number) - (reqNeed[i] as number)) / ce;
      if (left < score) score = left;
    }
    const top = this.top;
    if (top.wouldEnter(h, score) && passesFilter(this.table, h, filter)) top.offer(h, score);
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
    const reqCount = this.reqCount;
    const cursor = this.cursor;
    const slack = this.slack;
    const nextLo = this.nextLo;
    for (let i = 0; i < reqCount; i++) {
      const d = this.reqDims[i] as number;
      const n = this.reqNeed[i] as number;
      const capMax = this.capMaxAll[d] as number;
      // No host has capacity in a requested dimension: nothing fits.
      if (!(capMax > 0)) {
        top.found = 0;
        return;
      }
      // Fitting hosts have free ≥ n and capacity ≤ capMax, so r ≥ n/capMax: start one bucket below.
      const b = this.nextNonEmpty(d, Math.max(0, Math.floor(K * (n / capMax)) - 1));
      cursor[i] = b;
      slack[i] = n / (this.capMinAll[d] as number) + EPS;
      nextLo[i] = b < K ? b / K - (slack[i] as number) : Infinity;
    }
    // Best first across the requested dimensions: always the bucket of least lower bound of f_d
    // (b/K − slack), so that the k best are found early and every walk stops as soon as its next
    // bound exceeds the k-th best score; walked one dimension after the other, the first walks ran
    // far with a loose bound.
    for (;;) {
      let i = -1;
      let lo = Infinity;
      for (let j = 0; j < reqCount; j++) {
        const l = nextLo[j] as number;
        if (l < lo) {
          lo = l;
          i = j;
        }
      }
      if (i < 0 || lo > top.bound) return;
      const b = cursor[i] as number;
      const d = this.reqDims[i] as number;
      const nb = this.nextNonEmpty(d, b + 1);
      cursor[i] = nb;
      nextLo[i] = nb < K ? nb / K - (slack[i] as number) : Infinity;
      const n = this.reqNeed[i] as number;
      const slot = d * slots + b;
      if (!this.slotMayFit(slot)) continue;
      if (b / K - (n / (this.bCapMin[slot] as number) + EPS) > top.bound) continue;
      const members = this.counts[slot] as number;
      if (members >= this.walkMin) {
        // Worth walking by id when the walk can stop early: the bucket holds one f_d value (the k
        // best are then its k lowest passing ids), or the k best already score ≤ its floor.
        const full = top.found === top.k;
        const floor = this.slotFloor(slot, n);
        if (full && floor > top.bound) continue;
        const uniform = (this.bFreeMin[slot] as number) === (this.bMax[slot * this.D + d] as number) && (this.bCapMin[slot] as number) === (this.bCapMax[slot] as number);
        if ((uniform || (full && floor >= top.bound)) && this.walkSlotById(slot, d, b, filter, WALK_BUDGET * members)) continue;
      }
      this.scanSlot(slot, d, filter, false);
    }
  }

  private searchWorst(need: ArrayLike<number>, filter: HostFilter, k: number): void {
    this.prepare(need);
    this.top.reset(k, false);
    if (this.reqCount === 0) {
      this.walk(need, filter);
      return;
    }
    let mask = 0;
    for (let i = 0; i < this.reqCount; i++) mask |= 1 << (this.reqDims[i] as number);
    let sb: SpreadBuckets | undefined;
    for (let i = 0; i < this.spread.length && sb === undefined; i++) if ((this.spread[i] as SpreadBuckets).mask === mask) sb = this.spread[i];
    if (sb === undefined && this.spread.length < MAX_SPREAD_SETS) sb = this.addSpreadSet(mask);
    if (sb !== undefined) {
      this.walkSpread(sb, filter);
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

  /** worstFit over the request's own buckets (see the module comment), from the top bucket down. */
  private walkSpread(sb: SpreadBuckets, filter: HostFilter): void {
    const D = this.D;
    const K = this.K;
    const size = this.size;
    const tree = this.tree;
    const cap = this.table.capacity;
    const reqDims = this.reqDims;
    const reqNeed = this.reqNeed;
    const reqCount = this.reqCount;
    const top = this.top;
    let shift = Infinity;
    for (let i = 0; i < reqCount; i++) {
      const capMax = this.capMaxAll[reqDims[i] as number] as number;
      // No host has capacity in a requested dimension: nothing fits.
      if (!(capMax > 0)) return;
      const x = (reqNeed[i] as number) / capMax;
      if (x < shift) shift = x;
    }
    shift -= EPS;
    const heads = sb.heads;
    const next = sb.next;
    const R = sb.dims.length;
    const ratioMax = sb.ratioMax;
    // sb.dims and reqDims list the same dimensions in the same (increasing) order.
    for (let b = K - 1; b >= 0; b--) {
      if ((b + 1) / K - shift < top.bound) return;
      if ((heads[b] as number) < 0) continue;
      // s(h) ≤ f_d(h) ≤ free_d/capacity_d − need_d/capMax_d (+ rounding) for every d ∈ R: the
      // bucket's ratio bounds, tight in the dimension that binds its hosts, skip it unread.
      let ub = Infinity;
      for (let i = 0; i < R; i++) {
        const x = (ratioMax[b * R + i] as number) - (reqNeed[i] as number) / (this.capMaxAll[reqDims[i] as number] as number);
        if (x < ub) ub = x;
      }
      if (ub + EPS < top.bound) continue;
      for (let i = 0; i < R; i++) ratioMax[b * R + i] = -Infinity;
      for (let h = heads[b] as number; h >= 0; h = next[h] as number) {
        const leaf = (size + h) * D;
        const base0 = h * D;
        for (let i = 0; i < R; i++) {
          const e = reqDims[i] as number;
          const r = (tree[leaf + e] as number) / (cap[base0 + e] as number);
          if (r > (ratioMax[b * R + i] as number)) ratioMax[b * R + i] = r;
        }
        this.consider(h, filter);
      }
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
