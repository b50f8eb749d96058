import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { columnTs, modelSource, pascalCase } from '../../../bindings/ovsdb/codegen/model-source.js';
import { OPEN_VSWITCH_SCHEMA, parseColumnType } from '../../../bindings/ovsdb/index.js';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

describe('model generator', () => {
  it('maps column types to TypeScript', () => {
    expect(columnTs(parseColumnType('integer'))).toBe('number');
    expect(columnTs(parseColumnType({ key: 'string', min: 0, max: 1 }))).toBe('string | null');
    expect(columnTs(parseColumnType({ key: { type: 'string', enum: ['set', ['a', 'b']] }, min: 0, max: 1 }))).toBe('("a" | "b") | null');
    expect(columnTs(parseColumnType({ key: 'uuid', min: 0, max: 'unlimited' }))).toBe('string[]');
    expect(columnTs(parseColumnType({ key: 'integer', value: 'uuid', min: 0, max: 'unlimited' }))).toBe('Map<number, string>');
    expect(pascalCase('Open_vSwitch')).toBe('OpenVSwitch');
    expect(pascalCase('Flow_Sample_Collector_Set')).toBe('FlowSampleCollectorSet');
  });

  it('the committed Open_vSwitch models are the generator output for the installed schema', () => {
    const expected = modelSource(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')), { source: 'vswitch.ovsschema' });
    const committed = fs.readFileSync(new URL('../../../bindings/ovsdb/models/open-vswitch.ts', import.meta.url), 'utf8');
    expect(committed).toBe(expected);
    expect(OPEN_VSWITCH_SCHEMA.tables.size).toBe(19);
  });
});
