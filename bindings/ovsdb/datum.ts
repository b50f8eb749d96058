/**
 * OVSDB datum codec (RFC 7047 §5.1): JavaScript values <-> wire JSON, driven by the column type.
 *
 *   atom            integer/real → number, boolean, string, uuid → string (NamedUuid on encode)
 *   scalar (1..1)   the atom
 *   optional (0..1) the atom or null
 *   set             an array of atoms
 *   map             a Map of atom → atom
 *
 * encodeDatum checks every constraint of the schema (type, enum, integer/real range, string
 * length, set size, duplicates) before anything is sent, so a bad value fails here with a clear
 * OvsdbDatumError instead of as a server-side "constraint violation". decodeDatum checks shape and
 * atom types of what the server sent; it never throws anything but OvsdbDatumError.
 */
import { OvsdbDatumError } from './errors.js';
import type { Atom, BaseType, ColumnType } from './schema.js';
import { columnKind } from './schema.js';
import { isUuid, NamedUuid } from './uuid.js';

export type AtomValue = Atom | NamedUuid;
export type DatumValue = AtomValue | null | AtomValue[] | Map<AtomValue, AtomValue>;

export interface EncodeOptions {
  /** Skip the set-size bounds (for mutation and condition operands, which may be any size). */
  anySize?: boolean;
  /** Skip enum/range/length constraints (conditions compare against any value of the type). */
  noConstraints?: boolean;
}

function describe(v: unknown): string {
  if (v instanceof NamedUuid) return `named-uuid ${v.name}`;
  if (v instanceof Map) return 'a Map';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/** Checks an atom against its base type's constraints; throws OvsdbDatumError. */
export function checkAtom(base: BaseType, v: AtomValue, where: string): void {
  switch (base.type) {
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new OvsdbDatumError(`${where}: ${describe(v)} is not an integer`);
      if (base.minInteger !== undefined && v < base.minInteger) throw new OvsdbDatumError(`${where}: ${v} is below the minimum ${base.minInteger}`);
      if (base.maxInteger !== undefined && v > base.maxInteger) throw new OvsdbDatumError(`${where}: ${v} is above the maximum ${base.maxInteger}`);
      break;
    case 'real':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new OvsdbDatumError(`${where}: ${describe(v)} is not a finite real`);
      if (base.minReal !== undefined && v < base.minReal) throw new OvsdbDatumError(`${where}: ${v} is below the minimum ${base.minReal}`);
      if (base.maxReal !== undefined && v > base.maxReal) throw new OvsdbDatumError(`${where}: ${v} is above the maximum ${base.maxReal}`);
      break;
    case 'boolean':
      if (typeof v !== 'boolean') throw new OvsdbDatumError(`${where}: ${describe(v)} is not a boolean`);
      break;
    case 'string': {
      if (typeof v !== 'string') throw new OvsdbDatumError(`${where}: ${describe(v)} is not a string`);
      if (base.minLength !== undefined || base.maxLength !== undefined) {
        const len = codePoints(v);
        if (base.minLength !== undefined && len < base.minLength) throw new OvsdbDatumError(`${where}: string shorter than ${base.minLength}`);
        if (base.maxLength !== undefined && len > base.maxLength) throw new OvsdbDatumError(`${where}: string longer than ${base.maxLength}`);
      }
      break;
    }
    case 'uuid':
      if (!(v instanceof NamedUuid) && !isUuid(v)) throw new OvsdbDatumError(`${where}: ${describe(v)} is not a uuid`);
      return;
  }
  if (base.enum !== undefined && !base.enum.includes(v as Atom)) {
    throw new OvsdbDatumError(`${where}: ${describe(v)} is not one of ${base.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
}

export function encodeAtom(base: BaseType, v: AtomValue, where = 'atom', opts: EncodeOptions = {}): unknown {
  if (opts.noConstraints) checkAtom({ type: base.type }, v, where);
  else checkAtom(base, v, where);
  if (base.type === 'uuid') return v instanceof NamedUuid ? ['named-uuid', v.name] : ['uuid', (v as string).toLowerCase()];
  return v;
}

/** A key usable for duplicate detection and equality: atoms of one type compare by value. */
function atomKey(v: AtomValue): string | number | boolean {
  if (v instanceof NamedUuid) return `named:${v.name}`;
  return typeof v === 'string' ? v.toLowerCase() : v;
}

/** Encodes a column value to wire JSON; throws OvsdbDatumError when it does not fit the type. */
export function encodeDatum(type: ColumnType, value: DatumValue, where = 'datum', opts: EncodeOptions = {}): unknown {
  const kind = columnKind(type);
  if (kind === 'map') {
    if (!(value instanceof Map)) throw new OvsdbDatumError(`${where}: expected a Map, got ${describe(value)}`);
    checkSize(type, value.size, where, opts);
    const pairs: unknown[] = [];
    // A Map cannot hold a key twice, but two spellings of one uuid (case) or NamedUuid objects can.
    const seen = value.size > 1 ? new Set<string | number | boolean>() : undefined;
    for (const [k, v] of value) {
      if (seen) {
        const key = atomKey(k);
        if (seen.has(key)) throw new OvsdbDatumError(`${where}: duplicate map key ${describe(k)}`);
        seen.add(key);
      }
      pairs.push([encodeAtom(type.key, k, `${where} key`, opts), encodeAtom(type.value as BaseType, v, `${where} value`, opts)]);
    }
    return ['map', pairs];
  }
  if (kind === 'scalar' && !opts.anySize) {
    if (value === null || Array.isArray(value) || value instanceof Map) throw new OvsdbDatumError(`${where}: expected one ${type.key.type}, got ${describe(value)}`);
    return encodeAtom(type.key, value, where, opts);
  }
  let items: AtomValue[];
  if (value === null) items = [];
  else if (Array.isArray(value)) items = value;
  else if (value instanceof Map) throw new OvsdbDatumError(`${where}: expected a set, got a Map`);
  else if (kind === 'optional' || kind === 'scalar' || opts.anySize) items = [value];
  else throw new OvsdbDatumError(`${where}: expected an array, got ${describe(value)}`);
  checkSize(type, items.length, where, opts);
  const seen = items.length > 1 ? new Set<string | number | boolean>() : undefined;
  const out: unknown[] = [];
  for (const item of items) {
    if (seen) {
      const key = atomKey(item);
      if (seen.has(key)) throw new OvsdbDatumError(`${where}: duplicate set member ${describe(item)}`);
      seen.add(key);
    }
    out.push(encodeAtom(type.key, item, where, opts));
  }
  return out.length === 1 && kind !== 'set' ? out[0] : ['set', out];
}

function checkSize(type: ColumnType, n: number, where: string, opts: EncodeOptions): void {
  if (opts.anySize) return;
  if (n < type.min) throw new OvsdbDatumError(`${where}: needs at least ${type.min} element(s)`);
  if (n > type.max) throw new OvsdbDatumError(`${where}: holds at most ${type.max} element(s), got ${n}`);
}

/** Decodes one atom from the wire. */
export function decodeAtom(base: BaseType, json: unknown, where = 'atom'): Atom {
  switch (base.type) {
    case 'integer':
      if (typeof json === 'number' && Number.isInteger(json)) return json;
      break;
    case 'real':
      if (typeof json === 'number' && Number.isFinite(json)) return json;
      break;
    case 'boolean':
      if (typeof json === 'boolean') return json;
      break;
    case 'string':
      if (typeof json === 'string') return json;
      break;
    case 'uuid':
      if (Array.isArray(json) && json.length === 2 && json[0] === 'uuid' && isUuid(json[1])) return (json[1] as string).toLowerCase();
      break;
  }
  throw new OvsdbDatumError(`${where}: ${describe(json)} is not a ${base.type} atom`);
}

function isSetJson(json: unknown): json is ['set', unknown[]] {
  return Array.isArray(json) && json.length === 2 && json[0] === 'set' && Array.isArray(json[1]);
}

/** Decodes a column value from the wire (shape and atom types checked, constraints trusted). */
export function decodeDatum(type: ColumnType, json: unknown, where = 'datum'): DatumValue {
  const kind = columnKind(type);
  if (kind === 'map') {
    if (!Array.isArray(json) || json.length !== 2 || json[0] !== 'map' || !Array.isArray(json[1])) {
      throw new OvsdbDatumError(`${where}: expected ["map", [...]], got ${describe(json)}`);
    }
    const m = new Map<AtomValue, AtomValue>();
    for (const pair of json[1] as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new OvsdbDatumError(`${where}: bad map pair ${describe(pair)}`);
      m.set(decodeAtom(type.key, pair[0], `${where} key`), decodeAtom(type.value as BaseType, pair[1], `${where} value`));
    }
    return m;
  }
  const items = isSetJson(json) ? json[1].map((a) => decodeAtom(type.key, a, where)) : [decodeAtom(type.key, json, where)];
  if (kind === 'set') return items;
  if (kind === 'optional') {
    if (items.length > 1) throw new OvsdbDatumError(`${where}: ${items.length} elements for an optional value`);
    return items.length === 0 ? null : (items[0] as Atom);
  }
  if (items.length !== 1) throw new OvsdbDatumError(`${where}: ${items.length} elements for a single value`);
  return items[0] as Atom;
}

/** The value OVSDB gives a column nobody set. */
export function defaultDatum(type: ColumnType): DatumValue {
  const kind = columnKind(type);
  if (kind === 'map') return new Map();
  if (kind === 'set') return [];
  if (kind === 'optional') return null;
  switch (type.key.type) {
    case 'integer':
    case 'real':
      return 0;
    case 'boolean':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return '00000000-0000-0000-0000-000000000000';
  }
}

/** Equality of two decoded values of one column type (sets and maps compare unordered). */
export function datumEquals(a: DatumValue, b: DatumValue): boolean {
  if (a === b) return true;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
    const bk = new Map<string | number | boolean, AtomValue>();
    for (const [k, v] of b) bk.set(atomKey(k), v);
    for (const [k, v] of a) {
      const other = bk.get(atomKey(k));
      if (other === undefined || atomKey(other) !== atomKey(v)) return false;
    }
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    const keys = new Set(a.map(atomKey));
    return b.every((x) => keys.has(atomKey(x)));
  }
  if (a === null || b === null) return false;
  return atomKey(a) === atomKey(b);
}

/** A copy that shares nothing mutable with the original. */
export function cloneDatum<T extends DatumValue>(v: T): T {
  if (v instanceof Map) return new Map(v) as T;
  if (Array.isArray(v)) return [...v] as T;
  return v;
}
