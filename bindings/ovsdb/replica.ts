/**
 * Replica: a live, in-memory copy of chosen tables of one database (what OVS calls an IDL). It
 * monitors the tables, applies every update, keeps secondary indexes, emits change events, and
 * builds transactions verified against what it holds (replica-txn.ts).
 *
 * Resynchronisation: when the client reconnects (e.g. ovsdb-server restarted) the replica monitors
 * again. With monitor_cond_since it asks for changes since the last transaction id it saw; when
 * the server cannot provide them (found = false, always the case on a standalone server) it gets
 * the full contents and the replica diffs them against what it holds, emitting delete/insert/update
 * events for exactly the differences, so callers see no phantom or lost rows.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import type { MonitorHandle, MonitorKind, MonitorRequests, OvsdbClient, TableUpdates } from './client.js';
import { datumEquals } from './datum.js';
import { OvsdbClosedError, OvsdbDatumError, OvsdbError, OvsdbRpcError, OvsdbSchemaError, OvsdbTimeoutError } from './errors.js';
import { ReplicaTable } from './replica-table.js';
import { ReplicaTransaction } from './replica-txn.js';
import type { Condition, Row } from './rows.js';
import { encodeCondition } from './rows.js';
import type { DatabaseSchema } from './schema.js';
import { getColumn, getTable } from './schema.js';
import { applyUpdate1, applyUpdate2, type RowChange } from './updates.js';
import { ZERO_UUID } from './uuid.js';

export interface ReplicaTableSpec {
  /** Columns to keep (default: all). */
  columns?: string[];
  /** Only rows matching every condition (monitor_cond and later; default all rows). */
  where?: Condition[];
}

export interface ReplicaIndexSpec {
  table: string;
  name: string;
  columns: string[];
  unique?: boolean;
}

export interface ReplicaOptions {
  client: OvsdbClient;
  database: string;
  /** Table names (all columns) or per-table specs. */
  tables: readonly string[] | Record<string, ReplicaTableSpec>;
  indexes?: readonly ReplicaIndexSpec[];
  /** Which monitor method to use; 'auto' (default) takes the newest the server has. */
  method?: 'auto' | MonitorKind;
  logger?: Logger;
}

export interface ChangeEvent {
  table: string;
  kind: 'insert' | 'update' | 'delete';
  uuid: string;
  old?: Row;
  new?: Row;
}

export interface ReplicaEvents {
  /** One batch of changes (one notification, or one resync), after all of it is applied. */
  changes: [ChangeEvent[]];
  /** The replica matches the server again after a (re)connect. */
  synced: [{ resync: boolean; method: MonitorKind }];
  /** A notification or resync could not be applied (the replica then resyncs). */
  error: [OvsdbError];
}

const METHODS: MonitorKind[] = ['monitor_cond_since', 'monitor_cond', 'monitor'];

export class Replica<Tables extends Record<keyof Tables, Row> = Record<string, Row>> extends EventEmitter {
  readonly client: OvsdbClient;
  readonly database: string;
  private schemaValue: DatabaseSchema | undefined;
  private readonly specs: Map<string, ReplicaTableSpec>;
  private readonly indexSpecs: readonly ReplicaIndexSpec[];
  private readonly tablesByName = new Map<string, ReplicaTable>();
  private readonly log: Logger;
  private method: MonitorKind | undefined;
  private readonly requestedMethod: 'auto' | MonitorKind;
  private handle: MonitorHandle | undefined;
  private lastTxn = ZERO_UUID;
  private syncedGeneration = -1;
  private syncing: Promise<void> | undefined;
  private closed = false;
  private readonly onConnect = (): void => {
    this.resync().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'replica resync failed'));
  };

  private constructor(o: ReplicaOptions) {
    super();
    this.client = o.client;
    this.database = o.database;
    this.specs = new Map(Array.isArray(o.tables) ? (o.tables as string[]).map((t) => [t, {}]) : Object.entries(o.tables as Record<string, ReplicaTableSpec>));
    this.indexSpecs = o.indexes ?? [];
    this.log = o.logger ?? silentLogger;
    this.requestedMethod = o.method ?? 'auto';
  }

  /** Creates the replica and resolves once it holds the tables' current contents. */
  static async start<T extends Record<keyof T, Row> = Record<string, Row>>(o: ReplicaOptions): Promise<Replica<T>> {
    const r = new Replica<T>(o);
    await r.resync();
    o.client.on('connect', r.onConnect);
    return r;
  }

  get schema(): DatabaseSchema {
    if (!this.schemaValue) throw new OvsdbSchemaError('replica has no schema yet');
    return this.schemaValue;
  }

  /** The monitor method in use. */
  get monitorMethod(): MonitorKind | undefined {
    return this.method;
  }

  /** The last transaction id seen (monitor_cond_since only; the zero uuid on a standalone server). */
  get lastTxnId(): string {
    return this.lastTxn;
  }

  /** True when the replica reflects the current connection's server state. */
  get synced(): boolean {
    return this.syncedGeneration === this.client.connectionGeneration && this.client.connected;
  }

  table<K extends keyof Tables & string>(name: K): ReplicaTable<Tables[K]> {
    const t = this.tablesByName.get(name);
    if (!t) throw new OvsdbSchemaError(`table ${name} is not replicated`);
    return t as unknown as ReplicaTable<Tables[K]>;
  }

  tableNames(): string[] {
    return [...this.tablesByName.keys()];
  }

  /** A new transaction, verified against this replica when committed. */
  transaction(): ReplicaTransaction<Tables> {
    this.checkOpen();
    return new ReplicaTransaction<Tables>(this);
  }

  /**
   * Runs `build` in a transaction and commits it; when a verified row changed under us, waits for
   * the replica to catch up and runs `build` again (up to `attempts` times). Returns `build`'s
   * value and the uuids of inserted rows.
   */
  async transact<V>(build: (txn: ReplicaTransaction<Tables>) => V | Promise<V>, options: { attempts?: number; timeoutMs?: number } = {}): Promise<{ value: V; uuids: Map<string, string> }> {
    return ReplicaTransaction.run(this, build, options);
  }

  /** Resolves when `predicate` holds (checked now and after each applied batch). */
  waitFor(predicate: (r: this) => boolean, timeoutMs = 30_000): Promise<void> {
    this.checkOpen();
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        let ok = false;
        try {
          ok = predicate(this);
        } catch (err) {
          done();
          reject(err);
          return;
        }
        if (ok) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new OvsdbTimeoutError('replica.waitFor', timeoutMs));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.off('changes', check);
        this.off('synced', check);
      };
      this.on('changes', check);
      this.on('synced', check);
    });
  }

  /** Resolves after the next applied batch or resync (or after `timeoutMs`, whichever first). */
  nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.off('changes', done);
        this.off('synced', done);
        resolve();
      };
      const t = setTimeout(done, timeoutMs);
      this.on('changes', done);
      this.on('synced', done);
    });
  }

  private checkOpen(): void {
    if (this.closed) throw new OvsdbClosedError('replica');
  }

  private buildRequests(schema: DatabaseSchema, method: MonitorKind): MonitorRequests {
    const req: MonitorRequests = {};
    for (const [name, spec] of this.specs) {
      const t = getTable(schema, name);
      const columns = spec.columns ?? [...t.columns.keys()];
      for (const c of columns) getColumn(t, c);
      const r: { columns: string[]; where?: unknown[] } = { columns };
      if (spec.where && spec.where.length > 0) {
        if (method === 'monitor') throw new OvsdbSchemaError(`table ${name}: row conditions need monitor_cond`);
        r.where = spec.where.map((c) => encodeCondition(t, c));
      }
      req[name] = r;
    }
    return req;
  }

  /** (Re)monitors and brings the tables in line with the server. Serialised. */
  resync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.syncing) return this.syncing.then(() => (this.synced ? undefined : this.resync()));
    this.syncing = this.doResync().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async doResync(): Promise<void> {
    const gen = this.client.connectionGeneration;
    const resync = this.schemaValue !== undefined;
    const schema = await this.client.getSchema(this.database);
    if (!this.schemaValue) this.setupTables(schema);
    this.schemaValue = schema;
    if (this.handle) {
      const old = this.handle;
      this.handle = undefined;
      // Same connection: cancel the old monitor; after a reconnect it died with the connection.
      await this.client.monitorCancel(old).catch(() => {});
    }
    const candidates = this.method ? [this.method] : this.requestedMethod === 'auto' ? METHODS : [this.requestedMethod];
    let lastErr: unknown;
    for (const method of candidates) {
      const requests = this.buildRequests(schema, method);
      // Notifications can arrive in the same read as the monitor's reply, i.e. before the code
      // after the await below runs: hold them until the initial contents are applied.
      let held: Array<[TableUpdates, string | undefined]> | undefined = [];
      const listener = (updates: TableUpdates, txnId: string | undefined): void => {
        if (held) held.push([updates, txnId]);
        else this.onUpdates(method, updates, txnId);
      };
      try {
        let initial: TableUpdates;
        let found = false;
        if (method === 'monitor_cond_since') {
          const r = await this.client.monitorCondSince(this.database, requests, this.lastTxn, listener);
          this.handle = r.handle;
          found = r.found && resync;
          this.lastTxn = r.lastTxnId;
          initial = r.initial;
        } else if (method === 'monitor_cond') {
          const r = await this.client.monitorCond(this.database, requests, listener);
          this.handle = r.handle;
          initial = r.initial;
        } else {
          const r = await this.client.monitor(this.database, requests, listener);
          this.handle = r.handle;
          initial = r.initial;
        }
        this.method = method;
        const events = found ? this.applyIncremental(method, initial) : this.applyFull(method, initial);
        this.syncedGeneration = gen;
        if (events.length > 0) this.emit('changes', events);
        const backlog = held;
        held = undefined;
        for (const [u, txn] of backlog) this.onUpdates(method, u, txn);
        this.emit('synced', { resync, method });
        return;
      } catch (err) {
        lastErr = err;
        // Only "unknown method" moves on to an older method; anything else is a real failure.
        if (!(err instanceof OvsdbRpcError) || this.method !== undefined) throw err;
        this.log.debug({ method, err: err.message }, 'replica: monitor method refused, trying an older one');
      }
    }
    throw lastErr;
  }

  private setupTables(schema: DatabaseSchema): void {
    for (const [name, spec] of this.specs) {
      const t = getTable(schema, name);
      const columns = spec.columns ?? [...t.columns.keys()];
      const rt = new ReplicaTable(t, columns);
      // The schema's own unique indexes, where we keep their columns.
      for (const ix of t.indexes) if (ix.length > 0 && ix.every((c) => columns.includes(c))) rt.addIndex(ix.join(','), ix, true);
      this.tablesByName.set(name, rt);
    }
    for (const ix of this.indexSpecs) {
      const rt = this.tablesByName.get(ix.table);
      if (!rt) throw new OvsdbSchemaError(`index ${ix.name}: table ${ix.table} is not replicated`);
      rt.addIndex(ix.name, ix.columns, ix.unique ?? false);
    }
  }

  private decodeChanges(method: MonitorKind, updates: TableUpdates): Array<{ table: ReplicaTable; uuid: string; change: RowChange | undefined }> {
    const out: Array<{ table: ReplicaTable; uuid: string; change: RowChange | undefined }> = [];
    // Decode everything before applying anything: a malformed notification changes nothing.
    const pending = new Map<string, Row | undefined>();
    for (const [tname, rows] of Object.entries(updates)) {
      const rt = this.tablesByName.get(tname);
      if (!rt || typeof rows !== 'object' || rows === null) continue;
      for (const [uuid, body] of Object.entries(rows)) {
        const key = `${tname}/${uuid}`;
        const current = pending.has(key) ? pending.get(key) : rt.get(uuid);
        const change = method === 'monitor' ? applyUpdate1(rt.schema, rt.columns, uuid, body, current) : applyUpdate2(rt.schema, rt.columns, uuid, body, current);
        pending.set(key, change === undefined ? current : change.kind === 'delete' ? undefined : change.row);
        out.push({ table: rt, uuid, change });
      }
    }
    return out;
  }

  private applyIncremental(method: MonitorKind, updates: TableUpdates): ChangeEvent[] {
    const events: ChangeEvent[] = [];
    for (const { table, uuid, change } of this.decodeChanges(method, updates)) {
      if (!change) continue;
      if (change.kind === 'delete') {
        const old = table.remove(uuid);
        if (old) events.push({ table: table.name, kind: 'delete', uuid, old });
      } else {
        const row = Object.freeze(change.row);
        const old = table.put(row);
        if (old) {
          if (!rowEquals(table, old, row)) events.push({ table: table.name, kind: 'update', uuid, old, new: row });
        } else events.push({ table: table.name, kind: 'insert', uuid, new: row });
      }
    }
    return events;
  }

  /** Replaces the contents with a full dump, emitting only real differences. */
  private applyFull(method: MonitorKind, updates: TableUpdates): ChangeEvent[] {
    const fresh = new Map<ReplicaTable, Map<string, Row>>();
    for (const rt of this.tablesByName.values()) fresh.set(rt, new Map());
    for (const { table, uuid, change } of this.decodeChanges(method, updates)) {
      const m = fresh.get(table) as Map<string, Row>;
      if (change && change.kind !== 'delete') m.set(uuid, change.row);
    }
    const events: ChangeEvent[] = [];
    for (const [rt, rows] of fresh) {
      for (const uuid of [...rt.uuids()]) {
        if (!rows.has(uuid)) {
          const old = rt.remove(uuid) as Row;
          events.push({ table: rt.name, kind: 'delete', uuid, old });
        }
      }
      for (const [uuid, row] of rows) {
        const frozen = Object.freeze(row);
        const old = rt.get(uuid);
        if (old && rowEquals(rt, old, frozen)) continue;
        rt.put(frozen);
        events.push(old ? { table: rt.name, kind: 'update', uuid, old, new: frozen } : { table: rt.name, kind: 'insert', uuid, new: frozen });
      }
    }
    return events;
  }

  private onUpdates(method: MonitorKind, updates: TableUpdates, txnId: string | undefined): void {
    if (this.closed) return;
    let events: ChangeEvent[];
    try {
      events = this.applyIncremental(method, updates);
    } catch (err) {
      const e = err instanceof OvsdbError ? err : new OvsdbDatumError(String(err), { cause: err });
      this.log.warn({ err: e.message }, 'replica: bad update; resyncing');
      if (this.listenerCount('error') > 0) this.emit('error', e);
      this.method = this.method ?? method;
      this.resync().catch(() => {});
      return;
    }
    if (txnId !== undefined) this.lastTxn = txnId;
    if (events.length > 0) this.emit('changes', events);
  }

  /** Stops monitoring. The client stays open (it is the caller's). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.off('connect', this.onConnect);
    await this.syncing?.catch(() => {});
    const h = this.handle;
    this.handle = undefined;
    if (h && this.client.connected) await this.client.monitorCancel(h).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function rowEquals(t: ReplicaTable, a: Row, b: Row): boolean {
  for (const c of t.columns) if (!datumEquals(a[c] ?? null, b[c] ?? null)) return false;
  return true;
}
