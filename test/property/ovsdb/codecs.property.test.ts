/**
 * Property tests of the OVSDB codecs: datum round-trips for random column types and values; random
 * JSON never makes a decoder throw anything but a typed OvsdbError; random bytes never make the
 * stream parser throw anything but OvsdbProtocolError; cutting a valid stream anywhere changes
 * nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  JsonStreamParser,
  OvsdbDatumError,
  OvsdbError,
  OvsdbProtocolError,
  applyUpdate1,
  applyUpdate2,
  decodeDatum,
  decodeRow,
  encodeDatum,
  parseColumnType,
  type BaseType,
  type ColumnType,
  type DatumValue,
} from '../../../bindings/ovsdb/index.js';
import { SHAPES_COLUMNS, shapesTable } from '../../support/ovsdb/shapes-table.js';

const baseType: fc.Arbitrary<BaseType> = fc.oneof(
  fc.record({ type: fc.constant('integer' as const), minInteger: fc.constant(-1000), maxInteger: fc.constant(1000) }),
  fc.constant<BaseType>({ type: 'integer' }),
  fc.constant<BaseType>({ type: 'real' }),
  fc.constant<BaseType>({ type: 'boolean' }),
  fc.constant<BaseType>({ type: 'string' }),
  fc.constant<BaseType>({ type: 'string', enum: ['a', 'b', 'c'] }),
  fc.constant<BaseType>({ type: 'uuid' }),
);

const columnType: fc.Arbitrary<ColumnType> = fc.oneof(
  baseType.map((key) => ({ key, min: 1, max: 1 })),
  baseType.map((key) => ({ key, min: 0, max: 1 })),
  fc.tuple(baseType, fc.integer({ min: 0, max: 1 }), fc.oneof(fc.integer({ min: 2, max: 6 }), fc.constant(Infinity))).map(([key, min, max]) => ({ key, min, max })),
  fc.tuple(baseType, baseType).map(([key, value]) => ({ key, value, min: 0, max: Infinity })),
);

function atom(b: BaseType): fc.Arbitrary<string | number | boolean> {
  if (b.enum) return fc.constantFrom(...(b.enum as string[]));
  switch (b.type) {
    case 'integer':
      return fc.integer({ min: b.minInteger ?? Number.MIN_SAFE_INTEGER, max: b.maxInteger ?? Number.MAX_SAFE_INTEGER });
    case 'real':
      return fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
    case 'boolean':
      return fc.boolean();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 });
    case 'uuid':
      return fc.uuid();
  }
}

function valueOf(t: ColumnType): fc.Arbitrary<DatumValue> {
  if (t.value) {
    const v = t.value;
    return fc
      .uniqueArray(atom(t.key), { maxLength: 6, selector: (k) => (typeof k === 'string' ? `s${k}` : `${typeof k}${String(k)}`) })
      .chain((keys) => fc.tuple(...keys.map(() => atom(v))).map((vals) => new Map(keys.map((k, i) => [k, vals[i]!]))));
  }
  if (t.min === 1 && t.max === 1) return atom(t.key);
  if (t.min === 0 && t.max === 1) return fc.option(atom(t.key), { nil: null });
  const max = Math.min(t.max, 6);
  return fc.uniqueArray(atom(t.key), { minLength: t.min, maxLength: max, selector: (k) => (typeof k === 'string' ? `s${k}` : `${typeof k}${String(k)}`) });
}

const typed = columnType.chain((t) => valueOf(t).map((v) => ({ t, v })));

describe('datum codec properties', () => {
  it('decode(JSON(encode(v))) equals v for every type and valid value', () => {
    fc.assert(
      fc.property(typed, ({ t, v }) => {
        const wire = JSON.parse(JSON.stringify(encodeDatum(t, v)));
        expect(decodeDatum(t, wire)).toEqual(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('random JSON decodes or fails with OvsdbDatumError, never anything else', () => {
    fc.assert(
      fc.property(columnType, fc.jsonValue(), (t, j) => {
        try {
          decodeDatum(t, j);
        } catch (e) {
          expect(e).toBeInstanceOf(OvsdbDatumError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('random values encode or fail with OvsdbDatumError', () => {
    const anyValue = fc.oneof(fc.jsonValue(), fc.constant(null), fc.array(fc.jsonValue()).map((a) => a as DatumValue));
    fc.assert(
      fc.property(columnType, anyValue, (t, v) => {
        try {
          encodeDatum(t, v as DatumValue);
        } catch (e) {
          expect(e).toBeInstanceOf(OvsdbDatumError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('random row and update JSON never crashes the row decoders', () => {
    const T = shapesTable({ optionalKey: 'uuid', mapValue: 'integer' });
    const cols = SHAPES_COLUMNS;
    const current = { _uuid: 'x', n: 1, s: ['a'], o: null, m: new Map([['k', 1]]) };
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({ modify: fc.dictionary(fc.constantFrom('n', 's', 'o', 'm', 'zz'), fc.jsonValue()) }),
      fc.record({ insert: fc.dictionary(fc.constantFrom('n', 's', 'o', 'm'), fc.jsonValue()) }),
    );
    fc.assert(
      fc.property(body, fc.boolean(), (b, have) => {
        for (const f of [applyUpdate1, applyUpdate2]) {
          try {
            f(T, cols, 'x', b, have ? current : undefined);
          } catch (e) {
            expect(e).toBeInstanceOf(OvsdbError);
          }
        }
        try {
          decodeRow(T, b);
        } catch (e) {
          expect(e).toBeInstanceOf(OvsdbError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parses column types from random JSON or fails with OvsdbError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (j) => {
        try {
          parseColumnType(j);
        } catch (e) {
          expect(e).toBeInstanceOf(OvsdbError);
        }
      }),
    );
  });
});

describe('stream parser properties', () => {
  it('random bytes yield values or OvsdbProtocolError, never another exception', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const p = new JsonStreamParser({ maxMessageBytes: 1024 });
        try {
          for (const c of chunks) p.push(c);
        } catch (e) {
          expect(e).toBeInstanceOf(OvsdbProtocolError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a valid stream cut at random points yields the same messages; a truncated one yields a prefix', () => {
    const msg = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 });
    fc.assert(
      fc.property(fc.array(msg, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), (msgs, cuts) => {
        const bytes = Buffer.from(msgs.map((m) => JSON.stringify(m)).join(' '), 'utf8');
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const p = new JsonStreamParser();
        const out: unknown[] = [];
        let last = 0;
        for (const c of [...points, bytes.length]) {
          out.push(...p.push(bytes.subarray(last, c)));
          last = c;
        }
        expect(out).toEqual(JSON.parse(JSON.stringify(msgs)));
        const q = new JsonStreamParser();
        const cut = points[0] ?? 0;
        const prefix = q.push(bytes.subarray(0, cut));
        expect(JSON.parse(JSON.stringify(msgs)).slice(0, prefix.length)).toEqual(prefix);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('schema-driven round trip of the Open_vSwitch column types', () => {
  it('has a codec for every column of vswitch.ovsschema', async () => {
    const { OPEN_VSWITCH_SCHEMA } = await import('../../../bindings/ovsdb/models/open-vswitch.js');
    for (const t of OPEN_VSWITCH_SCHEMA.tables.values()) {
      for (const c of t.columns.values()) {
        fc.assert(
          fc.property(valueOf({ ...c.type, key: { ...c.type.key, refTable: undefined }, max: Math.min(c.type.max, 6) } as ColumnType), (v) => {
            let wire: unknown;
            try {
              wire = JSON.parse(JSON.stringify(encodeDatum(c.type, v)));
            } catch (e) {
              // Values the generator makes outside a column's own limits (real ranges, lengths) must be refused cleanly.
              expect(e).toBeInstanceOf(OvsdbDatumError);
              return;
            }
            expect(decodeDatum(c.type, wire)).toEqual(v);
          }),
          { numRuns: 20 },
        );
      }
    }
  });
});
