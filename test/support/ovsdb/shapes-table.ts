/**
 * Test fixture: table T of a one-table schema with a column of each shape the row and update
 * decoders treat differently: n (scalar), s (set), o (optional), m (map). Callers pick the
 * optional's key and the map's value type, the parts their assertions depend on.
 */
import { parseSchema, type TableSchema } from '../../../bindings/ovsdb/index.js';

export const SHAPES_COLUMNS = ['n', 's', 'o', 'm'];

export function shapesTable(types: { optionalKey: 'string' | 'uuid'; mapValue: 'string' | 'integer' }): TableSchema {
  const schema = parseSchema({
    name: 'db',
    tables: {
      T: {
        columns: {
          n: { type: 'integer' },
          s: { type: { key: 'string', min: 0, max: 'unlimited' } },
          o: { type: { key: types.optionalKey, min: 0, max: 1 } },
          m: { type: { key: 'string', value: types.mapValue, min: 0, max: 'unlimited' } },
        },
      },
    },
  });
  return schema.tables.get('T')!;
}
