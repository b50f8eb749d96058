/**
 * One UDP socket "connected" to one BMC, with request/answer matching and retransmission. Every
 * datagram that arrives is offered to the waiters in turn; the first whose matcher accepts it
 * takes it. A datagram nobody wants (late answers, junk, tampered packets) is counted and dropped:
 * nothing that arrives from the network can throw into the caller.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { IpmiClosedError, IpmiTimeoutError } from './errors.js';

/** Retransmission policy. ipmitool's lanplus defaults: 1 s, 4 retries (`-N 1 -R 4`). */
export interface RetryPolicy {
  /** Wait for the first attempt, ms (default 1000). */
  timeoutMs: number;
  /** Retransmissions after the first attempt (default 4). */
  retries: number;
  /** Each retry waits timeoutMs × (1 + attempt × backoff): 1 = linear growth (default), 0 = fixed. */
  backoff: number;
}

export const DEFAULT_RETRY: RetryPolicy = { timeoutMs: 1000, retries: 4, backoff: 1 };

/** Matcher result: undefined = not mine; otherwise the value the waiter resolves with. */
export type Matcher<T> = (datagram: Buffer) => { value: T } | { error: Error } | undefined;

interface Waiter {
  match: Matcher<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export interface TransportStats {
  sent: number;
  received: number;
  /** Datagrams no waiter accepted (junk, replays, failed integrity, late answers). */
  dropped: number;
  retransmits: number;
}

export class UdpTransport {
  private readonly socket: dgram.Socket;
  private readonly waiters = new Set<Waiter>();
  private closed = false;
  private bound: Promise<void>;
  /** Datagrams no waiter took go here first (SOL payloads, for instance). */
  unsolicited: ((datagram: Buffer) => boolean) | undefined;
  readonly stats: TransportStats = { sent: 0, received: 0, dropped: 0, retransmits: 0 };
  private refs = 0;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    this.socket = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    const fromAddress = isIP(host) === 0 ? undefined : host;
    this.socket.on('message', (msg, rinfo) => {
      // Only the BMC's own address and port count; anything else on this socket is not an answer.
      if (rinfo.port !== this.port || (fromAddress !== undefined && rinfo.address !== fromAddress)) return;
      this.deliver(msg);
    });
    // A socket error (ICMP unreachable surfaces as ECONNREFUSED on some systems) is not fatal:
    // the retry loop decides when to give up.
    this.socket.on('error', () => {});
    this.bound = new Promise<void>((resolve) => this.socket.bind(0, resolve));
    this.bound.then(() => this.updateRef(), () => {});
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Keeps the process alive while something (a session keepalive, a SOL stream) needs it. */
  hold(): void {
    this.refs++;
    this.updateRef();
  }

  release(): void {
    this.refs = Math.max(0, this.refs - 1);
    this.updateRef();
  }

  private updateRef(): void {
    if (this.closed) return;
    if (this.waiters.size > 0 || this.refs > 0) this.socket.ref();
    else this.socket.unref();
  }

  /** Offers a datagram to the waiters (also the entry point for tests that inject datagrams). */
  deliver(msg: Buffer): void {
    this.stats.received++;
    for (const w of this.waiters) {
      let r: ReturnType<Matcher<unknown>>;
      try {
        r = w.match(msg);
      } catch {
        r = undefined;
      }
      if (r === undefined) continue;
      this.waiters.delete(w);
      this.updateRef();
      if ('value' in r) w.resolve(r.value);
      else w.reject(r.error);
      return;
    }
    if (this.unsolicited !== undefined) {
      try {
        if (this.unsolicited(msg)) return;
      } catch {
        // fall through to "dropped"
      }
    }
    this.stats.dropped++;
  }

  async send(datagram: Buffer): Promise<void> {
    if (this.closed) throw new IpmiClosedError('IPMI transport');
    await this.bound;
    this.stats.sent++;
    await new Promise<void>((resolve) => this.socket.send(datagram, this.port, this.host, () => resolve()));
  }

  /**
   * Sends `build(attempt)` and waits for a datagram `match` accepts; on silence, sends again
   * (rebuilt, so that each retransmission can carry a new session sequence number) up to
   * `policy.retries` times, then throws IpmiTimeoutError.
   */
  async exchange<T>(build: (attempt: number) => Buffer, match: Matcher<T>, policy: RetryPolicy, waitingFor: string): Promise<T> {
    if (this.closed) throw new IpmiClosedError('IPMI transport');
    let timer: NodeJS.Timeout | undefined;
    const waiter: Waiter = { match: match as Matcher<unknown>, resolve: () => {}, reject: () => {} };
    const answered = new Promise<T>((resolve, reject) => {
      waiter.resolve = resolve as (v: unknown) => void;
      waiter.reject = reject;
    });
    this.waiters.add(waiter);
    this.updateRef();
    try {
      for (let attempt = 0; attempt <= policy.retries; attempt++) {
        if (attempt > 0) this.stats.retransmits++;
        await this.send(build(attempt));
        const wait = policy.timeoutMs * (1 + attempt * policy.backoff);
        const outcome = await Promise.race([
          answered.then((v) => ({ v })),
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), wait);
          }),
        ]);
        clearTimeout(timer);
        if (outcome !== undefined) return outcome.v;
      }
      throw new IpmiTimeoutError(this.host, this.port, policy.retries + 1, waitingFor);
    } finally {
      clearTimeout(timer);
      this.waiters.delete(waiter);
      this.updateRef();
      answered.catch(() => {});
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters) w.reject(new IpmiClosedError('IPMI transport'));
    this.waiters.clear();
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
