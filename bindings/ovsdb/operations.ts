/**
 * Builds the operations of one `transact` request (RFC 7047 §5.2) with every value checked and
 * encoded against the schema before it is sent: insert, select, update, mutate, delete, wait,
 * commit, abort, comment and assert. Each method returns the index of its operation, which is
 * where its result sits in the reply.
 */
import type { DatumValue } from './datum.js';
import { encodeAtom, encodeDatum } from './datum.js';
import { OvsdbArgumentError, OvsdbDatumError } from './errors.js';
import type { Condition, Row, RowValues } from './rows.js';
import { columnType, decodeRow, encodeCondition, encodeRow } from './rows.js';
import type { DatabaseSchema, TableSchema } from './schema.js';
import { columnKind, getTable } from './schema.js';
import { isUuid, NamedUuid } from './uuid.js';

export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
export type Mutation = readonly [string, Mutator, DatumValue];

export interface InsertResult {
  uuid: string;
}
export interface SelectResult {
  rows: Row[];
}
export interface CountResult {
  count: number;
}

/** A reply element that is an error (RFC 7047 §5.2: {"error":…, "details":…}). */
export interface OperationError {
  error: string;
  details?: string;
}

export class Operations {
  readonly ops: Record<string, unknown>[] = [];
  /** What to decode each result as. */
  private readonly kinds: Array<{ kind: 'insert' | 'select' | 'count' | 'none'; table?: TableSchema }> = [];

  constructor(readonly schema: DatabaseSchema) {}

  get database(): string {
    return this.schema.name;
  }

  get length(): number {
    return this.ops.length;
  }

  private push(op: Record<string, unknown>, kind: 'insert' | 'select' | 'count' | 'none', table?: TableSchema): number {
    this.ops.push(op);
    this.kinds.push(table ? { kind, table } : { kind });
    return this.ops.length - 1;
  }

  private where(t: TableSchema, where: readonly Condition[]): unknown[] {
    return where.map((c) => encodeCondition(t, c));
  }

  private columns(t: TableSchema, columns: readonly string[] | undefined): string[] | undefined {
    if (columns === undefined) return undefined;
    for (const c of columns) columnType(t, c);
    return [...columns];
  }

  /** Inserts a row; `uuidName` lets later operations refer to it with a NamedUuid. */
  insert(table: string, row: RowValues, uuidName?: NamedUuid | string, uuid?: string): number {
    const t = getTable(this.schema, table);
    const op: Record<string, unknown> = { op: 'insert', table, row: encodeRow(t, row) };
    if (uuidName !== undefined) op['uuid-name'] = typeof uuidName === 'string' ? new NamedUuid(uuidName).name : uuidName.name;
    // OVS extension: a caller-chosen uuid for the new row.
    if (uuid !== undefined) {
      if (!isUuid(uuid)) throw new OvsdbArgumentError(`${table}: ${JSON.stringify(uuid)} is not a uuid`);
      op['uuid'] = uuid.toLowerCase();
    }
    return this.push(op, 'insert');
  }

  select(table: string, where: readonly Condition[], columns?: readonly string[]): number {
    const t = getTable(this.schema, table);
    const op: Record<string, unknown> = { op: 'select', table, where: this.where(t, where) };
    const cols = this.columns(t, columns);
    if (cols) op['columns'] = cols;
    return this.push(op, 'select', t);
  }

  update(table: string, where: readonly Condition[], row: RowValues): number {
    const t = getTable(this.schema, table);
    return this.push({ op: 'update', table, where: this.where(t, where), row: encodeRow(t, row, true) }, 'count');
  }

  mutate(table: string, where: readonly Condition[], mutations: readonly Mutation[]): number {
    const t = getTable(this.schema, table);
    const encoded = mutations.map(([column, mutator, value]) => {
      const type = columnType(t, column);
      const where = `${table}.${column} ${mutator}`;
      if (mutator === 'insert' || mutator === 'delete') {
        if (columnKind(type) === 'scalar') throw new OvsdbDatumError(`${where}: insert/delete need a set or map column`);
        if (mutator === 'delete' && columnKind(type) === 'map' && !(value instanceof Map)) {
          // Deleting map entries by key: the operand is a set of keys.
          return [column, mutator, encodeDatum({ key: type.key, min: 0, max: Infinity }, value, where, { anySize: true, noConstraints: true })];
        }
        return [column, mutator, encodeDatum(type, value, where, { anySize: true, noConstraints: mutator === 'delete' })];
      }
      if (!['+=', '-=', '*=', '/=', '%='].includes(mutator)) throw new OvsdbDatumError(`${where}: unknown mutator`);
      if (type.value !== undefined || !(type.key.type === 'integer' || type.key.type === 'real')) {
        throw new OvsdbDatumError(`${where}: arithmetic needs an integer or real column`);
      }
      if (mutator === '%=' && type.key.type !== 'integer') throw new OvsdbDatumError(`${where}: %= needs an integer column`);
      if (typeof value !== 'number') throw new OvsdbDatumError(`${where}: operand must be a number`);
      if ((mutator === '/=' || mutator === '%=') && value === 0) throw new OvsdbDatumError(`${where}: division by zero`);
      return [column, mutator, encodeAtom({ type: type.key.type }, value, where)];
    });
    return this.push({ op: 'mutate', table, where: this.where(t, where), mutations: encoded }, 'count');
  }

  delete(table: string, where: readonly Condition[]): number {
    const t = getTable(this.schema, table);
    return this.push({ op: 'delete', table, where: this.where(t, where) }, 'count');
  }

  /**
   * Waits until the rows matching `where`, projected to `columns`, are (`==`) or are not (`!=`)
   * exactly `rows`. timeoutMs 0 makes it a check: fails the transaction with "timed out" at once.
   */
  wait(table: string, where: readonly Condition[], columns: readonly string[], until: '==' | '!=', rows: readonly RowValues[], timeoutMs?: number): number {
    const t = getTable(this.schema, table);
    const cols = this.columns(t, columns) as string[];
    const encodedRows = rows.map((r) => {
      for (const k of Object.keys(r)) if (!cols.includes(k)) throw new OvsdbArgumentError(`wait on ${table}: row column ${k} is not in columns`);
      return encodeRow(t, r);
    });
    const op: Record<string, unknown> = { op: 'wait', table, where: this.where(t, where), columns: cols, until, rows: encodedRows };
    if (timeoutMs !== undefined) op['timeout'] = timeoutMs;
    return this.push(op, 'none');
  }

  /** Asks for the commit to be durable (fsynced) before the reply. */
  commit(durable: boolean): number {
    return this.push({ op: 'commit', durable }, 'none');
  }

  /** Makes the transaction fail (and roll back) with error "aborted". */
  abort(): number {
    return this.push({ op: 'abort' }, 'none');
  }

  /** Text recorded in the database log with the transaction. */
  comment(text: string): number {
    return this.push({ op: 'comment', comment: text }, 'none');
  }

  /** Fails the transaction ("not owner") unless this session holds the lock. */
  assert(lock: string): number {
    return this.push({ op: 'assert', lock }, 'none');
  }

  /** Decodes the i-th result of a successful reply. */
  decodeResult(i: number, result: unknown): InsertResult | SelectResult | CountResult | Record<string, never> {
    const k = this.kinds[i];
    const r = (result ?? {}) as Record<string, unknown>;
    switch (k?.kind) {
      case 'insert': {
        const uuid = r['uuid'];
        return { uuid: Array.isArray(uuid) && typeof uuid[1] === 'string' ? uuid[1] : '' };
      }
      case 'select':
        return { rows: Array.isArray(r['rows']) ? (r['rows'] as unknown[]).map((row) => decodeRow(k.table as TableSchema, row)) : [] };
      case 'count':
        return { count: typeof r['count'] === 'number' ? r['count'] : 0 };
      default:
        return {};
    }
  }
}
