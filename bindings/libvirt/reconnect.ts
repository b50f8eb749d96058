/**
 * Keeps a connection to a libvirt daemon: when it drops (daemon restart, keepalive timeout), opens
 * a new one with backoff and re-creates the event subscriptions, forwarding their events to the
 * same listeners. For daemons only; the in-process test driver never drops.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import { Connection, type OpenOptions } from './connection.js';
import type { DomainEvent, DomainEventKind } from './events.js';

export interface ReconnectOptions extends OpenOptions {
  /** First retry delay and cap, ms. */
  minDelayMs?: number;
  maxDelayMs?: number;
  logger?: Logger;
}

interface ReconnectEvents {
  event: [DomainEvent];
  reconnected: [Connection];
  disconnected: [number];
}

export class ReconnectingConnection extends EventEmitter<ReconnectEvents> implements AsyncDisposable {
  #current: Connection | undefined;
  #stopped = false;
  private readonly kinds = new Set<DomainEventKind>();

  private constructor(
    readonly uri: string,
    private readonly options: ReconnectOptions,
  ) {
    super();
  }

  static async open(uri: string, options: ReconnectOptions = {}): Promise<ReconnectingConnection> {
    const rc = new ReconnectingConnection(uri, options);
    await rc.connect();
    return rc;
  }

  /** The live connection (changes after a reconnect). */
  get connection(): Connection {
    if (this.#current === undefined) throw new Error('not connected');
    return this.#current;
  }

  /** Subscribes `kinds` now and after every reconnect; events arrive as 'event'. */
  async subscribe(kinds: readonly DomainEventKind[]): Promise<void> {
    const fresh = kinds.filter((k) => !this.kinds.has(k));
    for (const k of fresh) this.kinds.add(k);
    if (fresh.length > 0 && this.#current !== undefined) await this.attach(this.#current, fresh);
  }

  private async attach(conn: Connection, kinds: readonly DomainEventKind[]): Promise<void> {
    const sub = await conn.events.subscribe(kinds);
    void (async () => {
      for await (const ev of sub) this.emit('event', ev);
    })();
  }

  private async connect(): Promise<void> {
    const conn = await Connection.open(this.uri, this.options);
    this.#current = conn;
    await conn.onClose((reason) => {
      this.emit('disconnected', reason);
      void this.retry();
    });
    if (this.kinds.size > 0) await this.attach(conn, [...this.kinds]);
  }

  private async retry(): Promise<void> {
    const log = this.options.logger ?? silentLogger;
    const old = this.#current;
    this.#current = undefined;
    await old?.close().catch(() => undefined);
    let delay = this.options.minDelayMs ?? 200;
    while (!this.#stopped) {
      try {
        await this.connect();
        log.info({ uri: this.uri }, 'libvirt reconnected');
        if (this.#current !== undefined) this.emit('reconnected', this.#current);
        return;
      } catch (err) {
        log.warn({ uri: this.uri, err: (err as Error).message, delayMs: delay }, 'libvirt reconnect failed');
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, this.options.maxDelayMs ?? 10_000);
      }
    }
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await this.#current?.close();
    this.#current = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
