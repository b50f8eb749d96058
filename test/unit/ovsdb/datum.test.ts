import { describe, expect, it } from 'vitest';
import {
  NamedUuid,
  OvsdbDatumError,
  cloneDatum,
  datumEquals,
  decodeDatum,
  defaultDatum,
  encodeDatum,
  parseColumnType,
} from '../../../bindings/ovsdb/index.js';

const U1 = '2a0f5b8e-1111-4c2d-9e3f-000000000001';
const U2 = '2a0f5b8e-1111-4c2d-9e3f-000000000002';

describe('datum codec', () => {
  it('encodes and decodes scalars, optionals, sets and maps', () => {
    const int = parseColumnType('integer');
    expect(encodeDatum(int, 5)).toBe(5);
    expect(decodeDatum(int, 5)).toBe(5);
    expect(decodeDatum(int, ['set', [5]])).toBe(5);

    const opt = parseColumnType({ key: 'string', min: 0, max: 1 });
    expect(encodeDatum(opt, null)).toEqual(['set', []]);
    expect(encodeDatum(opt, 'x')).toBe('x');
    expect(decodeDatum(opt, ['set', []])).toBeNull();
    expect(decodeDatum(opt, 'x')).toBe('x');

    const set = parseColumnType({ key: { type: 'uuid', refTable: 'T' }, min: 0, max: 'unlimited' });
    expect(encodeDatum(set, [U1])).toEqual(['set', [['uuid', U1]]]);
    expect(encodeDatum(set, [U1, new NamedUuid('row1')])).toEqual(['set', [['uuid', U1], ['named-uuid', 'row1']]]);
    expect(decodeDatum(set, ['uuid', U1])).toEqual([U1]);
    expect(decodeDatum(set, ['set', [['uuid', U1], ['uuid', U2]]])).toEqual([U1, U2]);

    const map = parseColumnType({ key: 'string', value: 'string', min: 0, max: 'unlimited' });
    expect(encodeDatum(map, new Map([['a', 'b']]))).toEqual(['map', [['a', 'b']]]);
    expect(decodeDatum(map, ['map', [['a', 'b']]])).toEqual(new Map([['a', 'b']]));
  });

  it('checks every constraint before sending', () => {
    const tag = parseColumnType({ key: { type: 'integer', minInteger: 0, maxInteger: 4095 }, min: 0, max: 1 });
    expect(() => encodeDatum(tag, 4096)).toThrow(/above the maximum/);
    expect(() => encodeDatum(tag, -1)).toThrow(/below the minimum/);
    expect(() => encodeDatum(tag, 1.5)).toThrow(/not an integer/);
    const mode = parseColumnType({ key: { type: 'string', enum: ['set', ['a', 'b']] } });
    expect(() => encodeDatum(mode, 'c')).toThrow(/not one of "a", "b"/);
    const len = parseColumnType({ key: { type: 'string', minLength: 2, maxLength: 3 } });
    expect(() => encodeDatum(len, 'x')).toThrow(/shorter/);
    expect(() => encodeDatum(len, 'wxyz')).toThrow(/longer/);
    expect(encodeDatum(len, '€€€')).toBe('€€€'); // characters, not bytes
    const real = parseColumnType({ key: { type: 'real', minReal: 0, maxReal: 1 } });
    expect(() => encodeDatum(real, 2)).toThrow(OvsdbDatumError);
    expect(() => encodeDatum(real, NaN)).toThrow(/finite/);
    const bounded = parseColumnType({ key: 'integer', min: 1, max: 2 });
    expect(() => encodeDatum(bounded, [])).toThrow(/at least 1/);
    expect(() => encodeDatum(bounded, [1, 2, 3])).toThrow(/at most 2/);
    expect(() => encodeDatum(bounded, [1, 1])).toThrow(/duplicate/);
    const map = parseColumnType({ key: 'string', value: 'integer', min: 0, max: 'unlimited' });
    expect(() => encodeDatum(map, new Map([['a', 'x']]))).toThrow(/not an integer/);
    expect(() => encodeDatum(map, ['a'])).toThrow(/expected a Map/);
    expect(() => encodeDatum(parseColumnType('uuid'), 'not-a-uuid')).toThrow(/not a uuid/);
    expect(() => encodeDatum(parseColumnType('boolean'), 1)).toThrow(/not a boolean/);
    expect(() => encodeDatum(parseColumnType('string'), null)).toThrow(/expected one string/);
    expect(() => new NamedUuid('1bad')).toThrow(/bad uuid-name/);
  });

  it('rejects malformed wire values with OvsdbDatumError', () => {
    expect(() => decodeDatum(parseColumnType('integer'), '5')).toThrow(OvsdbDatumError);
    expect(() => decodeDatum(parseColumnType('uuid'), ['uuid', 'nope'])).toThrow(OvsdbDatumError);
    expect(() => decodeDatum(parseColumnType('uuid'), ['named-uuid', 'x'])).toThrow(OvsdbDatumError);
    expect(() => decodeDatum(parseColumnType({ key: 'string', value: 'string' }), ['set', []])).toThrow(/expected \["map"/);
    expect(() => decodeDatum(parseColumnType({ key: 'string', value: 'string' }), ['map', [['a']]])).toThrow(/bad map pair/);
    expect(() => decodeDatum(parseColumnType({ key: 'string', min: 0, max: 1 }), ['set', ['a', 'b']])).toThrow(/optional/);
    expect(() => decodeDatum(parseColumnType('string'), ['set', []])).toThrow(/single value/);
  });

  it('gives OVSDB defaults and compares sets and maps without regard to order', () => {
    expect(defaultDatum(parseColumnType('integer'))).toBe(0);
    expect(defaultDatum(parseColumnType('string'))).toBe('');
    expect(defaultDatum(parseColumnType('boolean'))).toBe(false);
    expect(defaultDatum(parseColumnType('uuid'))).toBe('00000000-0000-0000-0000-000000000000');
    expect(defaultDatum(parseColumnType({ key: 'string', min: 0, max: 1 }))).toBeNull();
    expect(defaultDatum(parseColumnType({ key: 'string', min: 0, max: 5 }))).toEqual([]);
    expect(defaultDatum(parseColumnType({ key: 'string', value: 'string', min: 0, max: 5 }))).toEqual(new Map());
    expect(datumEquals([1, 2], [2, 1])).toBe(true);
    expect(datumEquals([1, 2], [1, 3])).toBe(false);
    expect(datumEquals(new Map([['a', '1'], ['b', '2']]), new Map([['b', '2'], ['a', '1']]))).toBe(true);
    expect(datumEquals(new Map([['a', '1']]), new Map([['a', '2']]))).toBe(false);
    expect(datumEquals(U1.toUpperCase(), U1)).toBe(true);
    expect(datumEquals(null, 0)).toBe(false);
    const m = new Map([['a', 'b']]);
    const c = cloneDatum(m);
    c.set('x', 'y');
    expect(m.size).toBe(1);
  });
});
