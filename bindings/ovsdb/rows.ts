/**
 * Rows and conditions in their JavaScript form, encoded and decoded against a table schema.
 * Every row carries `_uuid` (and `_version` where the server sent it).
 */
import { OvsdbDatumError, OvsdbSchemaError } from './errors.js';
import type { DatumValue } from './datum.js';
import { decodeDatum, encodeDatum } from './datum.js';
import type { ColumnType, TableSchema } from './schema.js';
import { getColumn } from './schema.js';

export type RowValues = Record<string, DatumValue>;
export interface Row extends RowValues {
  _uuid: string;
}

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';
/** [column, function, value], as in RFC 7047 §5.1; a bare `true`/`false` is also allowed by OVS. */
export type Condition = readonly [string, ConditionFunction, DatumValue] | boolean;

const UUID_TYPE: ColumnType = { key: { type: 'uuid' }, min: 1, max: 1 };
const FUNCTIONS = new Set(['<', '<=', '==', '!=', '>=', '>', 'includes', 'excludes']);

/** The type of a column, including the implicit _uuid and _version. */
export function columnType(table: TableSchema, column: string): ColumnType {
  if (column === '_uuid' || column === '_version') return UUID_TYPE;
  return getColumn(table, column).type;
}

export function encodeRow(table: TableSchema, row: RowValues, forUpdate = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    if (value === undefined) continue;
    if (name === '_uuid' || name === '_version') continue;
    const col = getColumn(table, name);
    if (forUpdate && !col.mutable) throw new OvsdbSchemaError(`${table.name}.${name} is immutable`);
    out[name] = encodeDatum(col.type, value, `${table.name}.${name}`);
  }
  return out;
}

/** Decodes a row from the wire; columns the schema does not know are ignored (newer server). */
export function decodeRow(table: TableSchema, json: unknown, uuid?: string): Row {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new OvsdbDatumError(`${table.name}: row is not an object`);
  const out: RowValues = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '_uuid' || name === '_version') {
      out[name] = decodeDatum(UUID_TYPE, value, `${table.name}.${name}`);
      continue;
    }
    const col = table.columns.get(name);
    if (!col) continue;
    out[name] = decodeDatum(col.type, value, `${table.name}.${name}`);
  }
  if (uuid !== undefined) out['_uuid'] = uuid;
  return out as Row;
}

export function encodeCondition(table: TableSchema, c: Condition): unknown {
  if (typeof c === 'boolean') return c;
  const [column, fn, value] = c;
  if (!FUNCTIONS.has(fn)) throw new OvsdbDatumError(`${table.name}.${column}: unknown condition function ${JSON.stringify(fn)}`);
  const type = columnType(table, column);
  const ordered = fn === '<' || fn === '<=' || fn === '>' || fn === '>=';
  if (ordered && !(type.key.type === 'integer' || type.key.type === 'real')) {
    throw new OvsdbDatumError(`${table.name}.${column}: ${fn} needs an integer or real column`);
  }
  return [column, fn, encodeDatum(type, value, `${table.name}.${column} condition`, { anySize: true, noConstraints: true })];
}
