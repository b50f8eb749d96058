/**
 * The k best hosts of a search, best first, in preallocated typed arrays (no allocation per offer).
 * "Better" is the hosts' shared rule: a strictly better score (less when packing, greater when
 * spreading), or an equal score and a lower host id. A host offered twice keeps one place.
 */
export class TopK {
  hosts: Int32Array;
  scores: Float64Array;
  /** How many of the k places are taken. */
  found = 0;
  k = 1;
  pack = true;
  /** The score a host must reach (or equal, with a lower id) to enter: the k-th best, ±∞ while places are free. */
  bound = Infinity;

  constructor(capacity = 8) {
    this.hosts = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  /** Starts a search for the `k` best (k ≥ 1); `pack`: least score first, else greatest first. */
  reset(k: number, pack: boolean): void {
    if (k > this.hosts.length) {
      this.hosts = new Int32Array(k);
      this.scores = new Float64Array(k);
    }
    this.k = k;
    this.pack = pack;
    this.found = 0;
    this.bound = pack ? Infinity : -Infinity;
  }

  /**
   * Whether `offer(host, score)` could change the k best: false only when the host would not enter
   * (worse than the k-th, or equal with a higher id). Lets a search run its costly per-host filter
   * only on hosts that would take a place; skipping a host for which this is false changes nothing.
   */
  wouldEnter(host: number, score: number): boolean {
    if (this.found < this.k) return true;
    const b = this.bound;
    if (this.pack ? score < b : score > b) return true;
    return score === b && host < (this.hosts[this.k - 1] as number);
  }

  offer(host: number, score: number): void {
    const hosts = this.hosts;
    const scores = this.scores;
    const n = this.found;
    for (let j = 0; j < n; j++) if (hosts[j] === host) return;
    let i = n;
    while (i > 0) {
      const s = scores[i - 1] as number;
      const better = this.pack ? score < s || (score === s && host < (hosts[i - 1] as number)) : score > s || (score === s && host < (hosts[i - 1] as number));
      if (!better) break;
      i--;
    }
    if (i >= this.k) return;
    for (let j = n < this.k ? n : this.k - 1; j > i; j--) {
      hosts[j] = hosts[j - 1] as number;
      scores[j] = scores[j - 1] as number;
    }
    hosts[i] = host;
    scores[i] = score;
    if (n < this.k) this.found = n + 1;
    if (this.found === this.k) this.bound = scores[this.k - 1] as number;
  }

  /** Copies the hosts found into `out` (best first) and returns how many. */
  copyTo(out: Int32Array): number {
    const n = Math.min(this.found, out.length);
    for (let i = 0; i < n; i++) out[i] = this.hosts[i] as number;
    return n;
  }
}
