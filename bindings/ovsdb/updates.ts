/**
 * Applying OVSDB monitor notifications to a row: the "update" format of RFC 7047 (old/new row
 * images) and OVS's "update2"/"update3" format (initial/insert/delete/modify, where `modify`
 * carries a diff: a set's diff toggles membership, a map's diff adds absent keys, removes keys
 * given with their current value and replaces the value of the others; columns holding at most
 * one value, scalar or optional, get the new value).
 */
import type { AtomValue, DatumValue } from './datum.js';
import { decodeDatum, defaultDatum } from './datum.js';
import { OvsdbDatumError } from './errors.js';
import type { Row } from './rows.js';
import { decodeRow } from './rows.js';
import type { ColumnType, TableSchema } from './schema.js';
import { columnKind } from './schema.js';

export type RowChange = { kind: 'insert'; row: Row } | { kind: 'delete' } | { kind: 'modify'; row: Row };

function sameAtom(a: AtomValue, b: AtomValue): boolean {
  return a === b;
}

/** The value after applying an update2 diff to `old`. */
export function applyDiff(type: ColumnType, old: DatumValue, diff: DatumValue): DatumValue {
  const kind = columnKind(type);
  // ovsdb-server sends the new value, not a diff, for columns holding at most one value (measured
  // on OVS 3.1: an optional column going 22 → empty arrives as ["set", []]).
  if (kind === 'scalar') return diff;
  if (kind === 'optional') {
    if (Array.isArray(diff)) {
      if (diff.length > 1) throw new OvsdbDatumError('more than one value for an optional column');
      return diff.length === 0 ? null : (diff[0] as AtomValue);
    }
    return diff;
  }
  if (kind === 'map') {
    if (!(old instanceof Map) || !(diff instanceof Map)) throw new OvsdbDatumError('map diff on a non-map value');
    const out = new Map(old);
    for (const [k, v] of diff) {
      if (!out.has(k)) out.set(k, v);
      else if (sameAtom(out.get(k) as AtomValue, v)) out.delete(k);
      else out.set(k, v);
    }
    return out;
  }
  const oldItems: AtomValue[] = old === null ? [] : Array.isArray(old) ? old : [old as AtomValue];
  const diffItems: AtomValue[] = diff === null ? [] : Array.isArray(diff) ? diff : [diff as AtomValue];
  const out = [...oldItems];
  for (const d of diffItems) {
    const i = out.findIndex((x) => sameAtom(x, d));
    if (i >= 0) out.splice(i, 1);
    else out.push(d);
  }
  return out;
}

/** Decodes an update2 `modify` diff against the table: diffs of sets/maps are decoded as "any size". */
function decodeDiff(table: TableSchema, column: string, json: unknown): DatumValue {
  const col = table.columns.get(column);
  if (!col) return null;
  const k = columnKind(col.type);
  if (k === 'scalar' || k === 'optional') return decodeDatum(col.type, json, `${table.name}.${column}`);
  if (k === 'map') return decodeDatum({ ...col.type, min: 0, max: Infinity }, json, `${table.name}.${column} diff`);
  return decodeDatum({ key: col.type.key, min: 0, max: Infinity }, json, `${table.name}.${column} diff`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * One row's change from an update2/update3 notification, given the row we hold (if any).
 * Returns undefined for a change that changes nothing we keep.
 */
export function applyUpdate2(table: TableSchema, columns: readonly string[], uuid: string, body: unknown, current: Row | undefined): RowChange | undefined {
  if (!isObject(body)) throw new OvsdbDatumError(`${table.name} ${uuid}: row update is not an object`);
  if ('initial' in body || 'insert' in body) {
    const row = decodeRow(table, body['initial'] ?? body['insert'], uuid);
    return { kind: 'insert', row: withDefaults(table, columns, row) };
  }
  if ('delete' in body) return current ? { kind: 'delete' } : undefined;
  if ('modify' in body) {
    if (!current) throw new OvsdbDatumError(`${table.name} ${uuid}: modify of a row we do not have`);
    const diff = body['modify'];
    if (!isObject(diff)) throw new OvsdbDatumError(`${table.name} ${uuid}: modify is not an object`);
    const next: Record<string, DatumValue> = { ...current };
    for (const [column, json] of Object.entries(diff)) {
      const col = table.columns.get(column);
      if (!col) continue;
      next[column] = applyDiff(col.type, current[column] ?? null, decodeDiff(table, column, json));
    }
    return { kind: 'modify', row: next as Row };
  }
  throw new OvsdbDatumError(`${table.name} ${uuid}: unknown row update ${Object.keys(body).join(',')}`);
}

/** One row's change from an RFC 7047 "update" notification. */
export function applyUpdate1(table: TableSchema, columns: readonly string[], uuid: string, body: unknown, current: Row | undefined): RowChange | undefined {
  if (!isObject(body)) throw new OvsdbDatumError(`${table.name} ${uuid}: row update is not an object`);
  if (body['new'] === undefined || body['new'] === null) return current ? { kind: 'delete' } : undefined;
  const row = decodeRow(table, body['new'], uuid);
  if (!current) return { kind: 'insert', row: withDefaults(table, columns, row) };
  return { kind: 'modify', row: { ...current, ...row } };
}

/** Initial/insert images leave out columns holding their default; fill those from the schema. */
function withDefaults(table: TableSchema, columns: readonly string[], row: Row): Row {
  for (const c of columns) {
    if (row[c] === undefined) {
      const col = table.columns.get(c);
      if (col) (row as Record<string, DatumValue>)[c] = defaultDatum(col.type);
    }
  }
  return row;
}
