/**
 * A fleet of BMCs: run one operation on many at once, with a concurrency limit, one session per
 * BMC kept open and reused across runs, and a result or a typed error per BMC. A reused session
 * that times out or was closed (the BMC restarted, or dropped it while idle) is reopened once;
 * authentication errors are never retried, so a wrong password costs one login, not a storm.
 */
import { silentLogger, type Logger } from '../../common/logger.js';
import { IpmiClient } from './client.js';
import { IpmiArgumentError, IpmiClosedError, IpmiError, IpmiTimeoutError } from './errors.js';
import type { SessionOptions } from './session.js';

export type BmcTarget = SessionOptions;

export type PoolResult<T> =
  | { target: BmcTarget; key: string; ok: true; value: T; reopened: boolean }
  | { target: BmcTarget; key: string; ok: false; error: Error; reopened: boolean };

export interface PoolOptions {
  /** BMCs worked on at once (default 32). */
  concurrency?: number;
  /** Options every target inherits (credentials, retry, cipher suites...). */
  defaults?: Partial<SessionOptions>;
  logger?: Logger;
}

export function targetKey(t: Pick<BmcTarget, 'host' | 'port' | 'username'>): string {
  return `${t.username}@${t.host}:${t.port ?? 623}`;
}

/** A session that failed like this may be stale: reopen and try once more. */
function looksStale(e: unknown): boolean {
  return e instanceof IpmiTimeoutError || e instanceof IpmiClosedError;
}

export class IpmiPool {
  private readonly clients = new Map<string, Promise<IpmiClient>>();
  private readonly concurrency: number;
  private readonly defaults: Partial<SessionOptions>;
  private readonly logger: Logger;
  private closed = false;
  /** Sessions opened over the pool's life (reopens included). */
  opened = 0;

  constructor(opts: PoolOptions = {}) {
    this.concurrency = opts.concurrency ?? 32;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new IpmiArgumentError('concurrency must be a positive integer');
    this.defaults = opts.defaults ?? {};
    this.logger = opts.logger ?? silentLogger;
  }

  get size(): number {
    return this.clients.size;
  }

  private options(t: BmcTarget): SessionOptions {
    return { ...this.defaults, ...t, logger: t.logger ?? this.defaults.logger ?? this.logger };
  }

  /** The open client for a BMC, opening it when there is none (concurrent callers share one open). */
  client(target: BmcTarget): Promise<IpmiClient> {
    if (this.closed) return Promise.reject(new IpmiClosedError('IPMI pool'));
    const opts = this.options(target);
    const key = targetKey(opts);
    const have = this.clients.get(key);
    if (have !== undefined) return have;
    const opening = IpmiClient.connect(opts);
    this.opened++;
    this.clients.set(key, opening);
    opening.catch(() => {
      if (this.clients.get(key) === opening) this.clients.delete(key);
    });
    return opening;
  }

  /** Forgets (and closes) a BMC's session; `notify: false` when it is known to be dead. */
  async drop(target: BmcTarget, opts: { notify?: boolean } = {}): Promise<void> {
    const key = targetKey(this.options(target));
    const p = this.clients.get(key);
    this.clients.delete(key);
    if (p !== undefined) await p.then((c) => c.close(opts), () => {});
  }

  private async runOne<T>(target: BmcTarget, fn: (c: IpmiClient, t: BmcTarget) => Promise<T>): Promise<PoolResult<T>> {
    const key = targetKey(this.options(target));
    const reused = this.clients.has(key);
    let reopened = false;
    try {
      const c = await this.client(target);
      if (c.isClosed) throw new IpmiClosedError('IPMI session');
      return { target, key, ok: true, value: await fn(c, target), reopened };
    } catch (e) {
      if (!(reused && looksStale(e))) return { target, key, ok: false, error: e as Error, reopened };
      this.logger.info({ bmc: key, code: (e as IpmiError).code }, 'ipmi pool: session looks stale, reopening');
      await this.drop(target, { notify: false });
      reopened = true;
      try {
        const c = await this.client(target);
        return { target, key, ok: true, value: await fn(c, target), reopened };
      } catch (e2) {
        return { target, key, ok: false, error: e2 as Error, reopened };
      }
    }
  }

  /** Runs `fn` on every target, at most `concurrency` at a time; results in the targets' order. */
  async run<T>(targets: readonly BmcTarget[], fn: (c: IpmiClient, t: BmcTarget) => Promise<T>): Promise<PoolResult<T>[]> {
    if (this.closed) throw new IpmiClosedError('IPMI pool');
    const out = new Array<PoolResult<T>>(targets.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= targets.length) return;
        out[i] = await this.runOne(targets[i] as BmcTarget, fn);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, targets.length) }, worker));
    return out;
  }

  /** Power status of every target ('on' / 'off'), or its error. */
  powerStatus(targets: readonly BmcTarget[]): Promise<PoolResult<'on' | 'off'>[]> {
    return this.run(targets, (c) => c.powerStatus());
  }

  /** Closes every session (Close Session to each BMC). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(all.map((p) => p.then((c) => c.close())));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
