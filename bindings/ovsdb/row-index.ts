/**
 * A secondary index over one replicated table: rows keyed by the values of chosen columns. Keys
 * are canonical (sets sorted, maps sorted by key), so equal OVSDB values give equal keys.
 */
import type { DatumValue } from './datum.js';
import { OvsdbArgumentError } from './errors.js';
import type { Row } from './rows.js';

function atomKey(v: unknown): string {
  return typeof v === 'string' ? `s${v}` : typeof v === 'number' ? `n${v}` : `b${String(v)}`;
}

/** A string that is equal for equal datums of one column type. */
export function datumKey(v: DatumValue | undefined): string {
  if (v === undefined || v === null) return '[]';
  if (v instanceof Map) return JSON.stringify([...v].map(([k, x]) => [atomKey(k), atomKey(x)]).sort());
  if (Array.isArray(v)) return JSON.stringify(v.map(atomKey).sort());
  return JSON.stringify(atomKey(v));
}

export class RowIndex {
  private readonly map = new Map<string, Set<string>>();

  constructor(
    readonly name: string,
    readonly columns: readonly string[],
    readonly unique: boolean,
  ) {
    if (columns.length === 0) throw new OvsdbArgumentError(`index ${name}: no columns`);
  }

  keyOfRow(row: Row): string {
    return this.keyOfValues(this.columns.map((c) => row[c]));
  }

  keyOfValues(values: readonly (DatumValue | undefined)[]): string {
    if (values.length !== this.columns.length) throw new OvsdbArgumentError(`index ${this.name}: expected ${this.columns.length} value(s)`);
    return values.length === 1 ? datumKey(values[0]) : JSON.stringify(values.map(datumKey));
  }

  add(row: Row): void {
    const k = this.keyOfRow(row);
    let s = this.map.get(k);
    if (!s) this.map.set(k, (s = new Set()));
    s.add(row._uuid);
  }

  remove(row: Row): void {
    const k = this.keyOfRow(row);
    const s = this.map.get(k);
    if (!s) return;
    s.delete(row._uuid);
    if (s.size === 0) this.map.delete(k);
  }

  /** Uuids of the rows whose indexed columns equal `values` (a unique index may briefly hold two). */
  find(values: readonly (DatumValue | undefined)[]): ReadonlySet<string> {
    return this.map.get(this.keyOfValues(values)) ?? EMPTY;
  }

  clear(): void {
    this.map.clear();
  }
}

const EMPTY: ReadonlySet<string> = new Set();
