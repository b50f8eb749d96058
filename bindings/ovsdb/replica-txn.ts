/**
 * A transaction built against a Replica with optimistic verification, the way OVS's IDL does it:
 * every row/column the caller's decision depended on (`read`, `verify`) becomes a leading `wait`
 * operation with timeout 0 asserting that the server still holds the value the replica showed.
 * If anything changed meanwhile, the server rejects the whole transaction ("timed out") and
 * Replica.transact waits for the replica to catch up and runs the caller's builder again.
 */
import type { DatumValue } from './datum.js';
import { OvsdbArgumentError, OvsdbClosedError, OvsdbConflictError, OvsdbTransactionError } from './errors.js';
import type { Mutation } from './operations.js';
import { Operations } from './operations.js';
import type { Replica } from './replica.js';
import type { Condition, Row, RowValues } from './rows.js';
import { freshName, NamedUuid } from './uuid.js';

type Step = (ops: Operations) => void;

/** A row to act on: an existing row's uuid, or a row inserted earlier in this transaction. */
export type RowRef = string | NamedUuid;

export class ReplicaTransaction<Tables extends Record<keyof Tables, Row> = Record<string, Row>> {
  /** What each verified row/column held when it was read: the commit asserts exactly that. */
  private readonly verifies = new Map<string, { table: string; uuid: string; exists: boolean; values: Map<string, DatumValue> }>();
  private readonly steps: Step[] = [];
  private readonly inserted: Array<{ name: NamedUuid; index: number }> = [];
  private committed = false;

  constructor(readonly replica: Replica<Tables>) {}

  /** The replica's current row (no verification recorded). */
  get<K extends keyof Tables & string>(table: K, uuid: string): Tables[K] | undefined {
    return this.replica.table(table).get(uuid);
  }

  /** A column of a row, recording that the commit must verify it is unchanged. */
  read<K extends keyof Tables & string, C extends keyof Tables[K] & string>(table: K, uuid: string, column: C): Tables[K][C] | undefined {
    const row = this.replica.table(table).get(uuid);
    this.verify(table, uuid, [column]);
    return row?.[column];
  }

  /** Records that `columns` of the row must still hold the replica's values at commit. */
  verify(table: keyof Tables & string, uuid: string, columns: readonly string[]): this {
    const rt = this.replica.table(table);
    for (const c of columns) if (!rt.columns.includes(c)) throw new OvsdbArgumentError(`verify ${table}.${c}: column is not replicated`);
    const key = `${table}/${uuid}`;
    const row = rt.get(uuid);
    let v = this.verifies.get(key);
    if (!v) this.verifies.set(key, (v = { table, uuid, exists: row !== undefined, values: new Map() }));
    for (const c of columns) if (!v.values.has(c)) v.values.set(c, row?.[c] ?? null);
    return this;
  }

  private where(ref: RowRef): Condition[] {
    return [['_uuid', '==', ref]];
  }

  /** Inserts a row; the returned NamedUuid can be used in references and later steps. */
  insert<K extends keyof Tables & string>(table: K, row: Partial<Omit<Tables[K], '_uuid'>> | RowValues, name?: NamedUuid): NamedUuid {
    const n = name ?? freshName(String(table).replace(/[^A-Za-z0-9_]/g, '_'));
    this.steps.push((ops) => {
      this.inserted.push({ name: n, index: ops.insert(table, row as RowValues, n) });
    });
    return n;
  }

  update<K extends keyof Tables & string>(table: K, ref: RowRef, values: Partial<Omit<Tables[K], '_uuid'>> | RowValues): this {
    this.steps.push((ops) => void ops.update(table, this.where(ref), values as RowValues));
    return this;
  }

  mutate(table: keyof Tables & string, ref: RowRef, mutations: readonly Mutation[]): this {
    this.steps.push((ops) => void ops.mutate(table, this.where(ref), mutations));
    return this;
  }

  delete(table: keyof Tables & string, ref: RowRef): this {
    this.steps.push((ops) => void ops.delete(table, this.where(ref)));
    return this;
  }

  /** Any other operation, added in order (for conditions other than by uuid). */
  raw(step: (ops: Operations) => void): this {
    this.steps.push(step);
    return this;
  }

  comment(text: string): this {
    this.steps.push((ops) => void ops.comment(text));
    return this;
  }

  /** Fails the transaction unless this client holds `lock`. */
  assertLock(lock: string): this {
    this.steps.push((ops) => void ops.assert(lock));
    return this;
  }

  /** The operations this transaction sends (verification waits first). */
  build(): { ops: Operations; verifyCount: number } {
    const ops = new Operations(this.replica.schema);
    this.inserted.length = 0;
    for (const v of this.verifies.values()) {
      const columns = [...v.values.keys()];
      const expect: RowValues[] = v.exists ? [Object.fromEntries(v.values)] : [];
      ops.wait(v.table, [['_uuid', '==', v.uuid]], columns, '==', expect, 0);
    }
    const verifyCount = ops.length;
    for (const s of this.steps) s(ops);
    return { ops, verifyCount };
  }

  /**
   * Sends the transaction. Resolves with the uuids the server gave the inserted rows (by uuid-name)
   * once the replica already shows the result (the server sends a transaction's updates before its
   * reply). Throws OvsdbTransactionError; `conflict` on it is true when verification failed.
   */
  async commit(options: { timeoutMs?: number } = {}): Promise<Map<string, string>> {
    if (this.committed) throw new OvsdbClosedError('transaction');
    this.committed = true;
    const { ops, verifyCount } = this.build();
    if (ops.length === 0) return new Map();
    try {
      const results = await this.replica.client.transact(ops, options);
      const uuids = new Map<string, string>();
      for (const ins of this.inserted) uuids.set(ins.name.name, (results[ins.index] as { uuid: string }).uuid);
      return uuids;
    } catch (err) {
      if (err instanceof OvsdbTransactionError && err.index >= 0 && err.index < verifyCount && err.error === 'timed out') {
        throw new VerificationFailed(err);
      }
      throw err;
    }
  }

  static async run<T extends Record<keyof T, Row>, V>(
    replica: Replica<T>,
    build: (txn: ReplicaTransaction<T>) => V | Promise<V>,
    options: { attempts?: number; timeoutMs?: number },
  ): Promise<{ value: V; uuids: Map<string, string> }> {
    const attempts = options.attempts ?? 10;
    for (let i = 1; ; i++) {
      if (!replica.synced) await replica.waitFor((r) => r.synced, options.timeoutMs ?? 30_000);
      const txn = replica.transaction();
      const value = await build(txn);
      try {
        const uuids = await txn.commit(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
        return { value, uuids };
      } catch (err) {
        if (!(err instanceof VerificationFailed)) throw err;
        if (i >= attempts) throw new OvsdbConflictError(i);
        // The server sends a transaction's updates before its reply, so the change that beat us is
        // normally applied already: retry at once, and only then give stragglers a moment.
        if (i > 1) await replica.nextChange(100);
      }
    }
  }
}

/** A commit rejected because a verified value changed: retrying can succeed. */
export class VerificationFailed extends OvsdbTransactionError {
  readonly conflict = true;
  constructor(e: OvsdbTransactionError) {
    super(e.index, e.error, e.details ?? 'a verified row changed', e.results);
  }
}

export { NamedUuid };
