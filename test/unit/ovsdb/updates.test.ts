import { describe, expect, it } from 'vitest';
import { OvsdbDatumError, applyDiff, applyUpdate1, applyUpdate2, parseColumnType } from '../../../bindings/ovsdb/index.js';
import { SHAPES_COLUMNS as COLS, shapesTable } from '../../support/ovsdb/shapes-table.js';

const U1 = '2a0f5b8e-1111-4c2d-9e3f-000000000001';
const T = shapesTable({ optionalKey: 'string', mapValue: 'string' });

describe('update2 diffs', () => {
  it('toggles set members, adds/removes/replaces map entries, replaces scalars and optionals', () => {
    const set = parseColumnType({ key: 'string', min: 0, max: 'unlimited' });
    expect(applyDiff(set, ['a', 'b'], ['b', 'c'])).toEqual(['a', 'c']);
    const map = parseColumnType({ key: 'string', value: 'string', min: 0, max: 'unlimited' });
    expect(applyDiff(map, new Map([['a', '1'], ['b', '2']]), new Map([['a', '1'], ['b', '3'], ['c', '4']]))).toEqual(new Map([['b', '3'], ['c', '4']]));
    // Optional columns get the new value (what ovsdb-server 3.1 sends), not a toggle.
    const opt = parseColumnType({ key: 'string', min: 0, max: 1 });
    expect(applyDiff(opt, 'x', 'y')).toBe('y');
    expect(applyDiff(opt, 'x', [])).toBeNull();
    expect(applyDiff(opt, null, 'z')).toBe('z');
    expect(() => applyDiff(opt, 'x', ['y', 'z'])).toThrow(OvsdbDatumError);
    expect(applyDiff(parseColumnType('integer'), 1, 2)).toBe(2);
  });

  it('fills defaults of columns an insert leaves out, and applies modify diffs', () => {
    const ins = applyUpdate2(T, COLS, U1, { insert: { n: 3 } }, undefined);
    expect(ins).toEqual({ kind: 'insert', row: { _uuid: U1, n: 3, s: [], o: null, m: new Map() } });
    const row = ins?.kind === 'insert' ? ins.row : undefined;
    const mod = applyUpdate2(T, COLS, U1, { modify: { s: ['set', ['a', 'b']], o: 'x', m: ['map', [['k', 'v']]] } }, row);
    expect(mod).toEqual({ kind: 'modify', row: { _uuid: U1, n: 3, s: ['a', 'b'], o: 'x', m: new Map([['k', 'v']]) } });
    const row2 = mod?.kind === 'modify' ? mod.row : undefined;
    const mod2 = applyUpdate2(T, COLS, U1, { modify: { s: ['set', ['b', 'c']], o: ['set', []] } }, row2);
    expect(mod2).toMatchObject({ kind: 'modify', row: { s: ['a', 'c'], o: null } });
    expect(applyUpdate2(T, COLS, U1, { delete: null }, row)).toEqual({ kind: 'delete' });
    expect(applyUpdate2(T, COLS, U1, { delete: null }, undefined)).toBeUndefined();
    expect(() => applyUpdate2(T, COLS, U1, { modify: { n: 1 } }, undefined)).toThrow(/do not have/);
    expect(() => applyUpdate2(T, COLS, U1, { frob: {} }, row)).toThrow(/unknown row update/);
    expect(() => applyUpdate2(T, COLS, U1, 7, row)).toThrow(OvsdbDatumError);
  });

  it('applies RFC 7047 update images', () => {
    const ins = applyUpdate1(T, COLS, U1, { new: { n: 1, s: ['set', []], o: ['set', []], m: ['map', []] } }, undefined);
    expect(ins?.kind).toBe('insert');
    const row = ins?.kind === 'insert' ? ins.row : undefined;
    expect(applyUpdate1(T, COLS, U1, { old: { n: 1 }, new: { n: 2, s: ['set', []], o: 'q', m: ['map', []] } }, row)).toMatchObject({ kind: 'modify', row: { n: 2, o: 'q' } });
    expect(applyUpdate1(T, COLS, U1, { old: { n: 1 } }, row)).toEqual({ kind: 'delete' });
  });
});
