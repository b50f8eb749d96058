/**
 * What every vswitch operation shares: the Open_vSwitch schema, building one transaction with
 * existence checks (leading `wait` operations with timeout 0 whose failure maps to a typed
 * "not found"/"exists" error), optionally asking ovs-vswitchd to confirm it applied the change
 * (next_cfg/cur_cfg, as ovs-vsctl does), and name → uuid lookups.
 */
import type { OvsdbClient, TransactResult } from '../client.js';
import type { DatumValue } from '../datum.js';
import { OvsdbArgumentError, OvsdbExistsError, OvsdbNotFoundError, OvsdbTimeoutError, OvsdbTransactionError } from '../errors.js';
import { Operations } from '../operations.js';
import type { Condition, Row } from '../rows.js';
import type { DatabaseSchema } from '../schema.js';

export const DB = 'Open_vSwitch';

export type StringMap = Record<string, string> | Map<string, string>;

export function toMap(m: StringMap | undefined): Map<string, string> {
  if (m === undefined) return new Map();
  return m instanceof Map ? new Map(m) : new Map(Object.entries(m));
}

export interface CommitOptions {
  /** Wait until ovs-vswitchd has applied the change (default false: database only). */
  waitApplied?: boolean;
  timeoutMs?: number;
}

type Check = { index: number; error: () => Error };

/** One transaction being built, with its checks. */
export class VswitchTxn {
  readonly ops: Operations;
  private readonly checks: Check[] = [];

  constructor(schema: DatabaseSchema) {
    this.ops = new Operations(schema);
  }

  /** Fails the transaction with OvsdbNotFoundError unless a row matches. */
  mustExist(table: string, name: string, where: Condition[] = [['name', '==', name]]): this {
    const index = this.ops.wait(table, where, ['_uuid'], '!=', [], 0);
    this.checks.push({ index, error: () => new OvsdbNotFoundError(table, name) });
    return this;
  }

  /** Fails the transaction with OvsdbExistsError if a row matches. */
  mustNotExist(table: string, name: string, where: Condition[] = [['name', '==', name]]): this {
    const index = this.ops.wait(table, where, ['_uuid'], '==', [], 0);
    this.checks.push({ index, error: () => new OvsdbExistsError(table, name) });
    return this;
  }

  mapError(err: unknown): unknown {
    if (err instanceof OvsdbTransactionError && err.error === 'timed out') {
      const c = this.checks.find((k) => k.index === err.index);
      if (c) return c.error();
    }
    return err;
  }
}

export class VswitchContext {
  private schemaValue: DatabaseSchema | undefined;
  private schemaGeneration = -1;

  constructor(readonly client: OvsdbClient) {}

  async schema(): Promise<DatabaseSchema> {
    if (!this.schemaValue || this.schemaGeneration !== this.client.connectionGeneration) {
      this.schemaValue = await this.client.getSchema(DB);
      this.schemaGeneration = this.client.connectionGeneration;
    }
    return this.schemaValue;
  }

  async txn(): Promise<VswitchTxn> {
    return new VswitchTxn(await this.schema());
  }

  /** Commits, mapping failed checks to typed errors; optionally waits for ovs-vswitchd. */
  async commit(t: VswitchTxn, o: CommitOptions = {}): Promise<TransactResult[]> {
    let cfgIndex = -1;
    if (o.waitApplied) {
      t.ops.mutate('Open_vSwitch', [], [['next_cfg', '+=', 1]]);
      cfgIndex = t.ops.select('Open_vSwitch', [], ['next_cfg']);
    }
    let results: TransactResult[];
    try {
      results = await this.client.transact(t.ops, o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs });
    } catch (err) {
      throw t.mapError(err);
    }
    if (cfgIndex >= 0) {
      const row = (results[cfgIndex] as { rows: Row[] }).rows[0];
      await this.waitCurCfg(Number(row?.['next_cfg'] ?? 0), o.timeoutMs ?? 30_000);
    }
    return results;
  }

  /** Blocks (server side, in a `wait` operation) until cur_cfg >= n. */
  async waitCurCfg(n: number, timeoutMs: number): Promise<void> {
    const t = await this.txn();
    t.ops.wait('Open_vSwitch', [['cur_cfg', '>=', n]], ['cur_cfg'], '!=', [], timeoutMs);
    try {
      await this.client.transact(t.ops, { timeoutMs: timeoutMs + 5000 });
    } catch (err) {
      if (err instanceof OvsdbTransactionError && err.error === 'timed out') throw new OvsdbTimeoutError('wait for ovs-vswitchd', timeoutMs);
      throw err;
    }
  }

  /** Rows of `table` matching `where` (one read, no transaction of ours depends on it). */
  async select(table: string, where: Condition[], columns?: string[]): Promise<Row[]> {
    const t = await this.txn();
    // Always with _uuid: callers key rows by it.
    t.ops.select(table, where, columns === undefined ? undefined : [...new Set(['_uuid', ...columns])]);
    const [r] = await this.client.transact(t.ops);
    return (r as { rows: Row[] }).rows;
  }

  /** The row named `name`, or OvsdbNotFoundError. */
  async byName(table: string, name: string, columns?: string[]): Promise<Row> {
    const rows = await this.select(table, [['name', '==', name]], columns);
    const row = rows[0];
    if (!row) throw new OvsdbNotFoundError(table, name);
    return row;
  }
}

export function checkName(what: string, name: string): string {
  if (typeof name !== 'string' || name === '' || name.length > 255) throw new OvsdbArgumentError(`bad ${what} name ${JSON.stringify(name)}`);
  return name;
}

export function optional<T extends DatumValue>(v: T | undefined): T | null {
  return v === undefined ? null : v;
}
