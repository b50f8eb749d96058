/**
 * Inbound session sequence numbers (IPMI 2.0 section 6.12.13): a packet is accepted once, and only
 * when it is no more than WINDOW behind the highest number seen; replays and stale packets are
 * dropped. Sequence 0 is never valid inside a session.
 */
export const REPLAY_WINDOW = 32;

export class ReplayWindow {
  private highest = -1;
  /** Bit i set: highest - i has been seen. */
  private seen = 0;

  /** True (and remembered) when `seq` is new and inside the window. */
  accept(seq: number): boolean {
    seq >>>= 0;
    if (seq === 0) return false;
    if (this.highest < 0) {
      this.highest = seq;
      this.seen = 1;
      return true;
    }
    // Distance forward, modulo 2^32, so that wrap-around keeps working.
    const ahead = (seq - this.highest) >>> 0;
    if (ahead !== 0 && ahead < 0x80000000) {
      this.seen = ahead >= REPLAY_WINDOW ? 1 : ((this.seen << ahead) | 1) >>> 0;
      this.highest = seq;
      return true;
    }
    const behind = (this.highest - seq) >>> 0;
    if (behind >= REPLAY_WINDOW) return false;
    const bit = (1 << behind) >>> 0;
    if ((this.seen & bit) !== 0) return false;
    this.seen = (this.seen | bit) >>> 0;
    return true;
  }
}
