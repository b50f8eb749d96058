import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NamedUuid, Operations, OvsdbArgumentError, OvsdbDatumError, parseSchema } from '../../../bindings/ovsdb/index.js';

const schema = parseSchema(JSON.parse(fs.readFileSync('/usr/share/openvswitch/vswitch.ovsschema', 'utf8')));
const U1 = '2a0f5b8e-1111-4c2d-9e3f-000000000001';

describe('Operations', () => {
  it('builds each RFC 7047 operation in wire form', () => {
    const o = new Operations(schema);
    const n = new NamedUuid('p1');
    expect(o.insert('Port', { name: 'p', interfaces: [new NamedUuid('i1')], tag: 5 }, n, U1)).toBe(0);
    o.select('Port', [['name', '==', 'p'], ['tag', '>=', 5]], ['name', 'tag']);
    o.update('Port', [['_uuid', '==', U1]], { trunks: [1, 2] });
    o.mutate('Bridge', [['name', '==', 'br0']], [['ports', 'insert', [n]], ['external_ids', 'delete', ['k']]]);
    o.delete('Port', [true]);
    o.wait('Port', [['name', '==', 'p']], ['tag'], '!=', [{ tag: null }], 100);
    o.commit(true);
    o.abort();
    o.comment('hi');
    o.assert('lk');
    expect(JSON.parse(JSON.stringify(o.ops))).toEqual([
      { op: 'insert', table: 'Port', row: { name: 'p', interfaces: ['set', [['named-uuid', 'i1']]], tag: 5 }, 'uuid-name': 'p1', uuid: U1 },
      { op: 'select', table: 'Port', where: [['name', '==', 'p'], ['tag', '>=', 5]], columns: ['name', 'tag'] },
      { op: 'update', table: 'Port', where: [['_uuid', '==', ['uuid', U1]]], row: { trunks: ['set', [1, 2]] } },
      { op: 'mutate', table: 'Bridge', where: [['name', '==', 'br0']], mutations: [['ports', 'insert', ['set', [['named-uuid', 'p1']]]], ['external_ids', 'delete', ['set', ['k']]]] },
      { op: 'delete', table: 'Port', where: [true] },
      { op: 'wait', table: 'Port', where: [['name', '==', 'p']], columns: ['tag'], until: '!=', rows: [{ tag: ['set', []] }], timeout: 100 },
      { op: 'commit', durable: true },
      { op: 'abort' },
      { op: 'comment', comment: 'hi' },
      { op: 'assert', lock: 'lk' },
    ]);
    expect(o.decodeResult(0, { uuid: ['uuid', U1] })).toEqual({ uuid: U1 });
    expect(o.decodeResult(1, { rows: [{ name: 'p', tag: 5 }] })).toEqual({ rows: [{ name: 'p', tag: 5 }] });
    expect(o.decodeResult(2, { count: 1 })).toEqual({ count: 1 });
  });

  it('refuses what the server would refuse, before sending', () => {
    const o = new Operations(schema);
    expect(() => o.update('Interface', [], { name: 'x' })).toThrow(/immutable/);
    expect(() => o.select('Port', [['name', '<', 'a']])).toThrow(/needs an integer or real/);
    expect(() => o.select('Port', [['name', '~=' as '==', 'a']])).toThrow(/unknown condition function/);
    expect(() => o.mutate('Port', [], [['name', 'insert', ['x']]])).toThrow(/set or map column/);
    expect(() => o.mutate('Port', [], [['name', '+=', 1]])).toThrow(/arithmetic/);
    expect(() => o.mutate('Port', [], [['tag', '%=', 0]])).toThrow(/division by zero/);
    expect(() => o.wait('Port', [], ['tag'], '==', [{ name: 'x' }])).toThrow(OvsdbArgumentError);
    expect(() => o.insert('Port', { name: 'p' }, undefined, 'bad')).toThrow(/not a uuid/);
    expect(() => o.insert('Port', { name: 5 })).toThrow(OvsdbDatumError);
    expect(o.length).toBe(0);
  });
});
