import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { columnKind, getColumn, getTable, parseSchema, OvsdbSchemaError } from '../../../bindings/ovsdb/index.js';

describe('schema model', () => {
  const json: unknown = JSON.parse(fs.readFileSync('/usr/share/openvswitch/vswitch.ovsschema', 'utf8'));

  it('parses the Open_vSwitch schema with its types, constraints, refs and indexes', () => {
    const s = parseSchema(json);
    expect(s.name).toBe('Open_vSwitch');
    const port = getTable(s, 'Port');
    expect(port.indexes).toEqual([['name']]);
    const tag = getColumn(port, 'tag').type;
    expect(columnKind(tag)).toBe('optional');
    expect(tag.key).toMatchObject({ type: 'integer', minInteger: 0, maxInteger: 4095 });
    expect(columnKind(getColumn(port, 'interfaces').type)).toBe('set');
    expect(getColumn(port, 'interfaces').type.key).toMatchObject({ refTable: 'Interface', refType: 'strong' });
    expect(getColumn(port, 'interfaces').type.min).toBe(1);
    expect(getColumn(port, 'interfaces').type.max).toBe(Infinity);
    expect(columnKind(getColumn(port, 'external_ids').type)).toBe('map');
    expect(getColumn(getTable(s, 'Bridge'), 'fail_mode').type.key.enum).toEqual(['standalone', 'secure']);
    expect(getTable(s, 'Open_vSwitch').isRoot).toBe(true);
    expect(getColumn(getTable(s, 'Interface'), 'name').mutable).toBe(false);
  });

  it('rejects malformed schemas and unknown names with OvsdbSchemaError', () => {
    expect(() => parseSchema(null)).toThrow(OvsdbSchemaError);
    expect(() => parseSchema({ name: 'x' })).toThrow(/missing tables/);
    expect(() => parseSchema({ name: 'x', tables: { T: { columns: { c: { type: 'float' } } } } })).toThrow(/unknown atomic type/);
    expect(() => parseSchema({ name: 'x', tables: { T: { columns: { c: { type: { key: 'uuid', min: 2 } } } } } })).toThrow(/min must be 0 or 1/);
    expect(() => parseSchema({ name: 'x', tables: { T: { columns: { c: { type: { key: { type: 'uuid', refTable: 'U' } } } } } } })).toThrow(/refTable U/);
    expect(() => parseSchema({ name: 'x', tables: { T: { columns: { _c: { type: 'integer' } } } } })).toThrow(/bad column name/);
    expect(() => parseSchema({ name: 'x', tables: { T: { columns: { c: { type: { key: { type: 'string', enum: 5 } } } } } } })).toThrow(/enum member/);
    const s = parseSchema(json);
    expect(() => getTable(s, 'Nope')).toThrow(/no table Nope/);
    expect(() => getColumn(getTable(s, 'Bridge'), 'nope')).toThrow(/no column nope/);
    expect(() => parseSchema(null)).toThrow(expect.objectContaining({ code: 'ERR_OVSDB_SCHEMA' }));
  });
});
