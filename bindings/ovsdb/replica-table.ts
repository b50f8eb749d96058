/**
 * The rows of one replicated table, with its secondary indexes. Rows are immutable snapshots: a
 * change replaces the row object, so a row handed out earlier never changes under its holder.
 */
import type { DatumValue } from './datum.js';
import { OvsdbArgumentError } from './errors.js';
import { RowIndex } from './row-index.js';
import type { Row } from './rows.js';
import type { TableSchema } from './schema.js';

export class ReplicaTable<R extends Row = Row> {
  private readonly byUuid = new Map<string, R>();
  private readonly indexes = new Map<string, RowIndex>();

  constructor(
    readonly schema: TableSchema,
    /** The columns this replica keeps. */
    readonly columns: readonly string[],
  ) {}

  get name(): string {
    return this.schema.name;
  }

  get size(): number {
    return this.byUuid.size;
  }

  get(uuid: string): R | undefined {
    return this.byUuid.get(uuid);
  }

  has(uuid: string): boolean {
    return this.byUuid.has(uuid);
  }

  /** Every row (a new array each call). */
  all(): R[] {
    return [...this.byUuid.values()];
  }

  uuids(): IterableIterator<string> {
    return this.byUuid.keys();
  }

  [Symbol.iterator](): IterableIterator<R> {
    return this.byUuid.values();
  }

  filter(pred: (row: R) => boolean): R[] {
    const out: R[] = [];
    for (const r of this.byUuid.values()) if (pred(r)) out.push(r);
    return out;
  }

  /** Adds an index over `columns` (which this replica must keep) and fills it. */
  addIndex(name: string, columns: readonly string[], unique = false): void {
    if (this.indexes.has(name)) throw new OvsdbArgumentError(`${this.name}: index ${name} exists`);
    for (const c of columns) if (!this.columns.includes(c) && c !== '_uuid') throw new OvsdbArgumentError(`${this.name}: index ${name} needs column ${c}, which is not replicated`);
    const ix = new RowIndex(name, columns, unique);
    for (const r of this.byUuid.values()) ix.add(r);
    this.indexes.set(name, ix);
  }

  hasIndex(name: string): boolean {
    return this.indexes.has(name);
  }

  /** Rows whose indexed columns equal `values`. */
  lookup(index: string, ...values: DatumValue[]): R[] {
    const ix = this.indexes.get(index);
    if (!ix) throw new OvsdbArgumentError(`${this.name}: no index ${index}`);
    return [...ix.find(values)].map((u) => this.byUuid.get(u) as R);
  }

  /** The row whose indexed columns equal `values`, if exactly one. */
  lookupOne(index: string, ...values: DatumValue[]): R | undefined {
    const rows = this.lookup(index, ...values);
    return rows.length === 1 ? rows[0] : undefined;
  }

  /** @internal the replica's write path. */
  put(row: R): R | undefined {
    const old = this.byUuid.get(row._uuid);
    if (old) for (const ix of this.indexes.values()) ix.remove(old);
    this.byUuid.set(row._uuid, row);
    for (const ix of this.indexes.values()) ix.add(row);
    return old;
  }

  /** @internal */
  remove(uuid: string): R | undefined {
    const old = this.byUuid.get(uuid);
    if (!old) return undefined;
    for (const ix of this.indexes.values()) ix.remove(old);
    this.byUuid.delete(uuid);
    return old;
  }
}
