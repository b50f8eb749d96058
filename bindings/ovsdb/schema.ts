/**
 * The OVSDB schema model (RFC 7047 §3.2), parsed and checked from its JSON form (a .ovsschema file
 * or the server's get_schema answer). Column types drive the datum codec (datum.ts).
 */
import { OvsdbSchemaError } from './errors.js';

export type AtomicType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';
const ATOMIC = new Set<string>(['integer', 'real', 'boolean', 'string', 'uuid']);

export type Atom = number | boolean | string;

export interface BaseType {
  type: AtomicType;
  /** Allowed values, when the type is an enumeration. */
  enum?: readonly Atom[];
  minInteger?: number;
  maxInteger?: number;
  minReal?: number;
  maxReal?: number;
  minLength?: number;
  maxLength?: number;
  refTable?: string;
  refType?: 'strong' | 'weak';
}

export interface ColumnType {
  key: BaseType;
  value?: BaseType;
  /** 0 or 1. */
  min: number;
  /** A positive integer or Infinity ("unlimited"). */
  max: number;
}

export interface ColumnSchema {
  name: string;
  type: ColumnType;
  ephemeral: boolean;
  mutable: boolean;
}

export interface TableSchema {
  name: string;
  columns: ReadonlyMap<string, ColumnSchema>;
  maxRows?: number;
  isRoot: boolean;
  indexes: readonly (readonly string[])[];
}

export interface DatabaseSchema {
  name: string;
  version: string;
  cksum?: string;
  tables: ReadonlyMap<string, TableSchema>;
  /** The JSON it was parsed from. */
  json: unknown;
}

/** The shape of a column's value in JavaScript. */
export type ColumnKind = 'scalar' | 'optional' | 'set' | 'map';

export function columnKind(t: ColumnType): ColumnKind {
  if (t.value !== undefined) return 'map';
  if (t.min === 1 && t.max === 1) return 'scalar';
  if (t.min === 0 && t.max === 1) return 'optional';
  return 'set';
}

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new OvsdbSchemaError(`${where}: expected an integer`);
  return v;
}

function parseEnum(v: unknown, type: AtomicType, where: string): Atom[] {
  let atoms: unknown[];
  if (Array.isArray(v) && v[0] === 'set' && Array.isArray(v[1])) atoms = v[1];
  else atoms = [v];
  for (const a of atoms) {
    const ok =
      (type === 'string' && typeof a === 'string') ||
      ((type === 'integer' || type === 'real') && typeof a === 'number') ||
      (type === 'boolean' && typeof a === 'boolean');
    if (!ok) throw new OvsdbSchemaError(`${where}: enum member ${JSON.stringify(a)} is not a ${type}`);
  }
  return atoms as Atom[];
}

function parseBaseType(v: unknown, where: string): BaseType {
  if (typeof v === 'string') {
    if (!ATOMIC.has(v)) throw new OvsdbSchemaError(`${where}: unknown atomic type ${JSON.stringify(v)}`);
    return { type: v as AtomicType };
  }
  if (!isObject(v) || typeof v['type'] !== 'string' || !ATOMIC.has(v['type'])) throw new OvsdbSchemaError(`${where}: bad base type`);
  const type = v['type'] as AtomicType;
  const b: BaseType = { type };
  if (v['enum'] !== undefined) b.enum = parseEnum(v['enum'], type, where);
  if (v['minInteger'] !== undefined) b.minInteger = int(v['minInteger'], `${where}.minInteger`);
  if (v['maxInteger'] !== undefined) b.maxInteger = int(v['maxInteger'], `${where}.maxInteger`);
  if (typeof v['minReal'] === 'number') b.minReal = v['minReal'];
  if (typeof v['maxReal'] === 'number') b.maxReal = v['maxReal'];
  if (v['minLength'] !== undefined) b.minLength = int(v['minLength'], `${where}.minLength`);
  if (v['maxLength'] !== undefined) b.maxLength = int(v['maxLength'], `${where}.maxLength`);
  if (typeof v['refTable'] === 'string') {
    b.refTable = v['refTable'];
    b.refType = v['refType'] === 'weak' ? 'weak' : 'strong';
  }
  return b;
}

export function parseColumnType(v: unknown, where = 'type'): ColumnType {
  if (typeof v === 'string') return { key: parseBaseType(v, where), min: 1, max: 1 };
  if (!isObject(v)) throw new OvsdbSchemaError(`${where}: bad column type`);
  const t: ColumnType = { key: parseBaseType(v['key'], `${where}.key`), min: 1, max: 1 };
  if (v['value'] !== undefined) t.value = parseBaseType(v['value'], `${where}.value`);
  if (v['min'] !== undefined) t.min = int(v['min'], `${where}.min`);
  if (v['max'] !== undefined) t.max = v['max'] === 'unlimited' ? Infinity : int(v['max'], `${where}.max`);
  if (t.min !== 0 && t.min !== 1) throw new OvsdbSchemaError(`${where}: min must be 0 or 1`);
  if (t.max < 1 || t.max < t.min) throw new OvsdbSchemaError(`${where}: max must be >= max(1, min)`);
  return t;
}

/** Parses and checks a schema's JSON. */
export function parseSchema(json: unknown): DatabaseSchema {
  if (!isObject(json)) throw new OvsdbSchemaError('schema is not a JSON object');
  const name = json['name'];
  if (typeof name !== 'string' || !ID.test(name)) throw new OvsdbSchemaError('schema: bad or missing name');
  if (!isObject(json['tables'])) throw new OvsdbSchemaError('schema: missing tables');
  const tables = new Map<string, TableSchema>();
  for (const [tname, tv] of Object.entries(json['tables'])) {
    if (!ID.test(tname) || !isObject(tv) || !isObject(tv['columns'])) throw new OvsdbSchemaError(`table ${tname}: malformed`);
    const columns = new Map<string, ColumnSchema>();
    for (const [cname, cv] of Object.entries(tv['columns'])) {
      if (!ID.test(cname) || cname.startsWith('_')) throw new OvsdbSchemaError(`${tname}.${cname}: bad column name`);
      if (!isObject(cv)) throw new OvsdbSchemaError(`${tname}.${cname}: malformed`);
      columns.set(cname, {
        name: cname,
        type: parseColumnType(cv['type'], `${tname}.${cname}`),
        ephemeral: cv['ephemeral'] === true,
        mutable: cv['mutable'] !== false,
      });
    }
    const indexes = Array.isArray(tv['indexes']) ? (tv['indexes'] as unknown[]).map((ix) => (Array.isArray(ix) ? ix.map(String) : [])) : [];
    const t: TableSchema = { name: tname, columns, isRoot: tv['isRoot'] === true, indexes };
    if (tv['maxRows'] !== undefined) t.maxRows = int(tv['maxRows'], `${tname}.maxRows`);
    tables.set(tname, t);
  }
  for (const t of tables.values()) {
    for (const c of t.columns.values()) {
      for (const b of [c.type.key, c.type.value]) {
        if (b?.refTable !== undefined && !tables.has(b.refTable)) throw new OvsdbSchemaError(`${t.name}.${c.name}: refTable ${b.refTable} does not exist`);
      }
    }
  }
  const s: DatabaseSchema = { name, version: typeof json['version'] === 'string' ? json['version'] : '', tables, json };
  if (typeof json['cksum'] === 'string') s.cksum = json['cksum'];
  return s;
}

export function getTable(schema: DatabaseSchema, table: string): TableSchema {
  const t = schema.tables.get(table);
  if (!t) throw new OvsdbSchemaError(`database ${schema.name} has no table ${table}`);
  return t;
}

export function getColumn(table: TableSchema, column: string): ColumnSchema {
  const c = table.columns.get(column);
  if (!c) throw new OvsdbSchemaError(`table ${table.name} has no column ${column}`);
  return c;
}
