/**
 * OvsdbClient: one logical connection to an OVSDB server that survives reconnects. It speaks every
 * RFC 7047 method (list_dbs, get_schema, transact, monitor, monitor_cancel, lock, steal, unlock,
 * echo) and the OVS extensions (monitor_cond, monitor_cond_change, monitor_cond_since,
 * get_server_id, set_db_change_aware).
 *
 * When the connection breaks, requests already sent fail with OvsdbConnectionError (a transaction
 * may or may not have committed: the caller decides), server-side state (monitors, locks) is gone,
 * and the client reconnects with backoff, emitting 'disconnect' then 'connect'. Requests made while
 * disconnected wait for the next connection, within their timeout. Replicas re-monitor on 'connect'.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { OvsdbArgumentError, OvsdbClosedError, OvsdbConnectionError, OvsdbError, OvsdbProtocolError, OvsdbTimeoutError, OvsdbTransactionError } from './errors.js';
import { JsonRpcSession } from './jsonrpc.js';
import type { CountResult, InsertResult, SelectResult } from './operations.js';
import { Operations } from './operations.js';
import type { DatabaseSchema } from './schema.js';
import { parseSchema } from './schema.js';
import type { Endpoint } from './transport.js';
import { formatEndpoint, openSocket, parseEndpoint } from './transport.js';

export interface OvsdbClientOptions {
  /** "unix:/path/db.sock", "tcp:127.0.0.1:6640", or an Endpoint. */
  remote: string | Endpoint;
  /** Per-attempt connect timeout (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Default timeout of each request, including time spent waiting for a connection (default 30 s). */
  requestTimeoutMs?: number;
  /** Idle time before we probe the server with echo; 0 disables (default 5000 ms). */
  probeIntervalMs?: number;
  /** Reconnect after a lost connection (default true). */
  reconnect?: boolean;
  backoff?: BackoffOptions;
  logger?: Logger;
}

export interface RequestOptions {
  timeoutMs?: number;
  /** Aborting sends RFC 7047 `cancel` for the request; the server then fails it ("canceled"). */
  signal?: AbortSignal;
}

/** A monitor-request for one table (RFC 7047 §4.1.5; `where` is monitor_cond's condition). */
export interface MonitorRequest {
  columns?: string[];
  where?: unknown[];
  select?: { initial?: boolean; insert?: boolean; delete?: boolean; modify?: boolean };
}
export type MonitorRequests = Record<string, MonitorRequest | MonitorRequest[]>;

/** Raw table-updates as they come from the server ("update"/"update2" notification bodies). */
export type TableUpdates = Record<string, Record<string, Record<string, unknown>>>;

export type MonitorKind = 'monitor' | 'monitor_cond' | 'monitor_cond_since';

export interface MonitorHandle {
  id: string;
  kind: MonitorKind;
  database: string;
}

export type UpdateListener = (updates: TableUpdates, lastTxnId: string | undefined) => void;

export type TransactResult = InsertResult | SelectResult | CountResult | Record<string, never>;

export interface OvsdbClientEvents {
  connect: [];
  disconnect: [OvsdbConnectionError];
  locked: [string];
  stolen: [string];
  /** set_db_change_aware's notice that a database changed schema or went away. */
  updateSchema?: [];
}

let monitorCounter = 0;

export class OvsdbClient extends EventEmitter {
  readonly endpoint: Endpoint;
  private readonly opts: Required<Omit<OvsdbClientOptions, 'remote' | 'backoff' | 'logger'>>;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private session: JsonRpcSession | undefined;
  private closed = false;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<{ resolve(): void; reject(e: Error): void }>();
  private readonly monitors = new Map<string, { handle: MonitorHandle; listener: UpdateListener }>();
  private readonly schemas = new Map<string, DatabaseSchema>();
  private generation = 0;

  private constructor(options: OvsdbClientOptions) {
    super();
    this.endpoint = parseEndpoint(options.remote);
    this.opts = {
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      probeIntervalMs: options.probeIntervalMs ?? 5000,
      reconnect: options.reconnect ?? true,
    };
    this.log = options.logger ?? silentLogger;
    this.backoff = new Backoff(options.backoff);
  }

  /** Connects (the first attempt must succeed) and returns the client. */
  static async connect(options: OvsdbClientOptions): Promise<OvsdbClient> {
    const c = new OvsdbClient(options);
    await c.establish();
    return c;
  }

  /** True while a connection is up. */
  get connected(): boolean {
    return this.session !== undefined && !this.session.closed;
  }

  /** Counters of the current connection (echo requests from the server answered, our probes sent). */
  get sessionStats(): { echoesAnswered: number; probesSent: number; inFlight: number } {
    const s = this.session;
    return { echoesAnswered: s?.echoesAnswered ?? 0, probesSent: s?.probesSent ?? 0, inFlight: s?.inFlight ?? 0 };
  }

  /** Increases on every new connection: tells a caller whether server-side state was lost. */
  get connectionGeneration(): number {
    return this.generation;
  }

  override on<K extends keyof OvsdbClientEvents>(event: K, listener: (...args: NonNullable<OvsdbClientEvents[K]>) => void): this {
    return super.on(event, listener as (...a: unknown[]) => void);
  }
  override off<K extends keyof OvsdbClientEvents>(event: K, listener: (...args: NonNullable<OvsdbClientEvents[K]>) => void): this {
    return super.off(event, listener as (...a: unknown[]) => void);
  }
  override once<K extends keyof OvsdbClientEvents>(event: K, listener: (...args: NonNullable<OvsdbClientEvents[K]>) => void): this {
    return super.once(event, listener as (...a: unknown[]) => void);
  }

  private async establish(): Promise<void> {
    const socket = await openSocket(this.endpoint, this.opts.connectTimeoutMs);
    if (this.closed) {
      socket.destroy();
      throw new OvsdbClosedError();
    }
    const session = new JsonRpcSession(socket, { probeIntervalMs: this.opts.probeIntervalMs });
    session.onNotification = (method, params) => this.onNotification(method, params);
    session.onClose((err) => this.onSessionClosed(session, err));
    this.session = session;
    this.generation++;
    this.backoff.reset();
    this.log.debug({ remote: formatEndpoint(this.endpoint), generation: this.generation }, 'ovsdb connected');
    for (const w of this.waiters) w.resolve();
    this.waiters.clear();
    this.emit('connect');
  }

  private onSessionClosed(session: JsonRpcSession, err: OvsdbConnectionError): void {
    if (this.session !== session) return;
    this.session = undefined;
    this.monitors.clear();
    this.schemas.clear();
    if (this.closed) return;
    this.log.warn({ remote: formatEndpoint(this.endpoint), err: err.message }, 'ovsdb connection lost');
    this.emit('disconnect', err);
    if (this.opts.reconnect) this.scheduleReconnect();
    else this.failWaiters(err);
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer || this.connecting) return;
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connecting = this.establish()
        .catch((err: unknown) => {
          this.log.debug({ err: (err as Error).message }, 'ovsdb reconnect failed');
        })
        .finally(() => {
          this.connecting = undefined;
          if (!this.closed && !this.connected) this.scheduleReconnect();
        });
    }, delay);
  }

  /** Drops the current connection (for tests and for callers that know it is stale); reconnects. */
  dropConnection(): void {
    this.session?.close('connection dropped by caller');
  }

  private failWaiters(err: Error): void {
    for (const w of this.waiters) w.reject(err);
    this.waiters.clear();
  }

  private async currentSession(deadline: number, method: string, timeoutMs: number): Promise<JsonRpcSession> {
    for (;;) {
      if (this.closed) throw new OvsdbClosedError();
      if (this.session && !this.session.closed) return this.session;
      if (!this.opts.reconnect) throw new OvsdbConnectionError(`not connected to ${formatEndpoint(this.endpoint)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new OvsdbTimeoutError(method, timeoutMs);
      await new Promise<void>((resolve, reject) => {
        const w = {
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
          reject: (e: Error) => {
            clearTimeout(t);
            reject(e);
          },
        };
        const t = setTimeout(() => {
          this.waiters.delete(w);
          reject(new OvsdbTimeoutError(method, timeoutMs));
        }, left);
        this.waiters.add(w);
      });
    }
  }

  /** Sends one JSON-RPC request and returns its `result`. */
  async request(method: string, params: unknown[], options: RequestOptions = {}): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? this.opts.requestTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const session = this.session && !this.session.closed && !this.closed ? this.session : await this.currentSession(deadline, method, timeoutMs);
    return session.request(method, params, Math.max(1, deadline - Date.now()), options.signal);
  }

  async listDbs(options?: RequestOptions): Promise<string[]> {
    const r = await this.request('list_dbs', [], options);
    if (!Array.isArray(r) || !r.every((x) => typeof x === 'string')) throw new OvsdbProtocolError('list_dbs: result is not an array of strings');
    return r as string[];
  }

  /** The database's schema (cached for the life of the connection). */
  async getSchema(database: string, options?: RequestOptions): Promise<DatabaseSchema> {
    const cached = this.schemas.get(database);
    if (cached) return cached;
    const gen = this.generation;
    const schema = parseSchema(await this.request('get_schema', [database], options));
    if (gen === this.generation) this.schemas.set(database, schema);
    return schema;
  }

  /** An operation builder for `database`, checked against the server's schema. */
  async operations(database: string): Promise<Operations> {
    return new Operations(await this.getSchema(database));
  }

  /** Sends `transact` and returns the raw reply array (errors inside it are not thrown). */
  async transactRaw(database: string, ops: readonly unknown[], options?: RequestOptions): Promise<unknown[]> {
    const r = await this.request('transact', [database, ...ops], options);
    if (!Array.isArray(r)) throw new OvsdbProtocolError('transact: result is not an array');
    return r;
  }

  /**
   * Runs the operations as one transaction; returns each operation's decoded result, or throws
   * OvsdbTransactionError naming the failing operation (the server rolled everything back).
   */
  async transact(ops: Operations, options?: RequestOptions): Promise<TransactResult[]> {
    if (ops.length === 0) throw new OvsdbArgumentError('transact: no operations');
    const raw = await this.transactRaw(ops.database, ops.ops, options);
    checkTransactReply(raw, ops.length);
    return ops.ops.map((_, i) => ops.decodeResult(i, raw[i]));
  }

  private registerMonitor(database: string, kind: MonitorKind, listener: UpdateListener, id?: string): MonitorHandle {
    const handle: MonitorHandle = { id: id ?? `m${++monitorCounter}`, kind, database };
    if (this.monitors.has(handle.id)) throw new OvsdbArgumentError(`monitor id ${handle.id} is in use`);
    this.monitors.set(handle.id, { handle, listener });
    return handle;
  }

  private async startMonitor(method: MonitorKind, params: unknown[], handle: MonitorHandle, options?: RequestOptions): Promise<unknown> {
    const gen = this.generation;
    try {
      return await this.request(method, params, options);
    } catch (err) {
      if (gen === this.generation) this.monitors.delete(handle.id);
      throw err;
    }
  }

  /** RFC 7047 monitor: returns the initial contents ("update" format); later changes go to `listener`. */
  async monitor(database: string, requests: MonitorRequests, listener: UpdateListener, options?: RequestOptions & { id?: string }): Promise<{ handle: MonitorHandle; initial: TableUpdates }> {
    const handle = this.registerMonitor(database, 'monitor', listener, options?.id);
    const r = await this.startMonitor('monitor', [database, handle.id, requests], handle, options);
    return { handle, initial: asTableUpdates(r, 'monitor') };
  }

  /** OVS monitor_cond: conditional monitor with "update2" notifications. */
  async monitorCond(database: string, requests: MonitorRequests, listener: UpdateListener, options?: RequestOptions & { id?: string }): Promise<{ handle: MonitorHandle; initial: TableUpdates }> {
    const handle = this.registerMonitor(database, 'monitor_cond', listener, options?.id);
    const r = await this.startMonitor('monitor_cond', [database, handle.id, requests], handle, options);
    return { handle, initial: asTableUpdates(r, 'monitor_cond') };
  }

  /**
   * OVS monitor_cond_since: like monitor_cond, but when the server still knows `lastTxnId` it sends
   * only what changed since then (`found` true). Notifications are "update3" and carry txn ids.
   */
  async monitorCondSince(
    database: string,
    requests: MonitorRequests,
    lastTxnId: string,
    listener: UpdateListener,
    options?: RequestOptions & { id?: string },
  ): Promise<{ handle: MonitorHandle; found: boolean; lastTxnId: string; initial: TableUpdates }> {
    const handle = this.registerMonitor(database, 'monitor_cond_since', listener, options?.id);
    const r = await this.startMonitor('monitor_cond_since', [database, handle.id, requests, lastTxnId], handle, options);
    if (!Array.isArray(r) || r.length !== 3 || typeof r[0] !== 'boolean' || typeof r[1] !== 'string') {
      throw new OvsdbProtocolError('monitor_cond_since: result is not [found, last-txn-id, updates]');
    }
    return { handle, found: r[0], lastTxnId: r[1], initial: asTableUpdates(r[2], 'monitor_cond_since') };
  }

  /** Changes the conditions (and columns) of a conditional monitor; `newId` may equal the old id. */
  async monitorCondChange(handle: MonitorHandle, requests: MonitorRequests, options?: RequestOptions & { newId?: string }): Promise<MonitorHandle> {
    const entry = this.monitors.get(handle.id);
    if (!entry) throw new OvsdbArgumentError(`monitor ${handle.id} is not active`);
    const newId = options?.newId ?? handle.id;
    // This method wants an array of change requests per table.
    const arrays: Record<string, MonitorRequest[]> = {};
    for (const [t, r] of Object.entries(requests)) arrays[t] = Array.isArray(r) ? r : [r];
    await this.request('monitor_cond_change', [handle.id, newId, arrays], options);
    if (newId === handle.id) return handle;
    const moved: MonitorHandle = { ...handle, id: newId };
    this.monitors.delete(handle.id);
    this.monitors.set(newId, { handle: moved, listener: entry.listener });
    return moved;
  }

  async monitorCancel(handle: MonitorHandle, options?: RequestOptions): Promise<void> {
    const gen = this.generation;
    if (!this.monitors.has(handle.id)) return;
    this.monitors.delete(handle.id);
    if (gen !== this.generation || !this.connected) return;
    await this.request('monitor_cancel', [handle.id], options);
  }

  /** Tries to take a lock; `locked` false means it is queued and a 'locked' event follows. */
  async lock(name: string, options?: RequestOptions): Promise<{ locked: boolean }> {
    return lockResult(await this.request('lock', [checkLockName(name)], options), 'lock');
  }

  /** Takes a lock from whoever holds it (they get 'stolen'). */
  async steal(name: string, options?: RequestOptions): Promise<{ locked: boolean }> {
    return lockResult(await this.request('steal', [checkLockName(name)], options), 'steal');
  }

  async unlock(name: string, options?: RequestOptions): Promise<void> {
    await this.request('unlock', [checkLockName(name)], options);
  }

  /** The server's uuid (stable across restarts of a clustered server; new per start otherwise). */
  async getServerId(options?: RequestOptions): Promise<string> {
    const r = await this.request('get_server_id', [], options);
    if (typeof r !== 'string') throw new OvsdbProtocolError('get_server_id: result is not a string');
    return r;
  }

  /** Tells the server we cope with schema changes (it then keeps the session and notifies). */
  async setDbChangeAware(aware = true, options?: RequestOptions): Promise<void> {
    await this.request('set_db_change_aware', [aware], options);
  }

  async echo(payload: unknown[] = [], options?: RequestOptions): Promise<unknown> {
    return this.request('echo', payload, options);
  }

  private onNotification(method: string, params: unknown): void {
    const p = Array.isArray(params) ? params : [];
    switch (method) {
      case 'update':
      case 'update2': {
        const m = this.monitors.get(String(p[0]));
        if (m && isObject(p[1])) m.listener(p[1] as TableUpdates, undefined);
        return;
      }
      case 'update3': {
        const m = this.monitors.get(String(p[0]));
        if (m && isObject(p[2])) m.listener(p[2] as TableUpdates, typeof p[1] === 'string' ? p[1] : undefined);
        return;
      }
      case 'locked':
        if (typeof p[0] === 'string') this.emit('locked', p[0]);
        return;
      case 'stolen':
        if (typeof p[0] === 'string') this.emit('stolen', p[0]);
        return;
      case 'monitor_canceled':
        this.monitors.delete(String(p[0]));
        return;
      default:
        this.log.debug({ method }, 'ovsdb: notification ignored');
    }
  }

  /** Closes the connection and stops reconnecting; waiting requests fail with OvsdbClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.failWaiters(new OvsdbClosedError());
    const s = this.session;
    this.session = undefined;
    this.monitors.clear();
    s?.close('client closed');
    await this.connecting?.catch(() => {});
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asTableUpdates(v: unknown, method: string): TableUpdates {
  if (!isObject(v)) throw new OvsdbProtocolError(`${method}: updates are not an object`);
  return v as TableUpdates;
}

const LOCK_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
function checkLockName(name: string): string {
  if (!LOCK_NAME.test(name)) throw new OvsdbArgumentError(`bad lock name ${JSON.stringify(name)} (want [A-Za-z_][A-Za-z0-9_]*)`);
  return name;
}

function lockResult(r: unknown, method: string): { locked: boolean } {
  if (!isObject(r) || typeof r['locked'] !== 'boolean') throw new OvsdbProtocolError(`${method}: result has no "locked"`);
  return { locked: r['locked'] };
}

/** Throws OvsdbTransactionError for the first error in a transact reply. */
export function checkTransactReply(raw: readonly unknown[], opCount: number): void {
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i];
    if (isObject(r) && typeof r['error'] === 'string') {
      throw new OvsdbTransactionError(i < opCount ? i : -1, r['error'], typeof r['details'] === 'string' ? r['details'] : undefined, raw);
    }
  }
  if (raw.length < opCount) throw new OvsdbTransactionError(-1, 'short reply', `${raw.length} results for ${opCount} operations`, raw);
}

export { OvsdbError };
