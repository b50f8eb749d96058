/**
 * Reconnect delays: exponential with full jitter, so that many agents restarted with one server do
 * not all come back in the same millisecond.
 */
export interface BackoffOptions {
  /** First delay (default 100 ms). */
  initialMs?: number;
  /** Ceiling (default 8000 ms). */
  maxMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Share of the delay that is random, 0..1 (default 0.5). */
  jitter?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initial: number;
  private readonly max: number;
  private readonly factor: number;
  private readonly jitter: number;

  constructor(o: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.initial = Math.max(1, o.initialMs ?? 100);
    this.max = Math.max(this.initial, o.maxMs ?? 8000);
    this.factor = Math.max(1, o.factor ?? 2);
    this.jitter = Math.min(1, Math.max(0, o.jitter ?? 0.5));
  }

  /** The delay before the next attempt; each call counts as one more failure. */
  next(): number {
    const base = Math.min(this.max, this.initial * this.factor ** this.attempt);
    this.attempt++;
    return Math.round(base * (1 - this.jitter) + base * this.jitter * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
