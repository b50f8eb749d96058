import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PUT_SCHEMA_1_1, PUT_SCHEMA_1_19 } from '../../../src/api/handlers/aggregates.js';
import { POST_SCHEMA, PUT_ALL_SCHEMA, PUT_ONE_SCHEMA } from '../../../src/api/handlers/inventories.js';
import { reshapeSchema } from '../../../src/api/handlers/reshaper.js';
import { NAME_BODY, PATH_NAME } from '../../../src/api/handlers/resource-classes.js';
import { createSchema } from '../../../src/api/handlers/resource-providers.js';
import { SET_PROVIDER_TRAITS } from '../../../src/api/handlers/traits.js';
import { consumersSchema, putAllocationsSchema } from '../../../src/api/handlers/allocations-util.js';
import { Microversion } from '../../../src/api/microversion.js';
import { validateBody } from '../../../src/api/schema.js';
import { describe as describeFailure, describeAjvError } from '../../../src/api/schema-error.js';
import type { JsonSchema } from '../../../src/api/schema.js';
import { HttpError } from '../../../src/api/http-error.js';
import { canonicalRepr, pyRepr } from '../../../src/api/python-repr.js';

/*
 * Expected messages were produced once by python3-jsonschema 4.10.3 (Debian 12, what upstream
 * Placement runs on): `jsonschema.validate(json.loads(body), schema,
 * format_checker=jsonschema.FormatChecker())` and the raised error's `.message`. The schemas below
 * are the handlers' own body schemas, plus a few made-up ones for keywords no handler uses.
 */

const v = (minor: number): Microversion => new Microversion(1, minor);
/** Every body schema we validate with, by a short name. */
const SCHEMAS: Record<string, JsonSchema> = {
  traits: SET_PROVIDER_TRAITS,
  rcName: NAME_BODY,
  rcPath: PATH_NAME,
  invPutAll: PUT_ALL_SCHEMA,
  invPost: POST_SCHEMA,
  invPutOne: PUT_ONE_SCHEMA,
  aggList: PUT_SCHEMA_1_1,
  aggPut: PUT_SCHEMA_1_19,
  rpCreate: createSchema(v(14)),
  alloc10: putAllocationsSchema(v(0)),
  alloc18: putAllocationsSchema(v(8)),
  alloc112: putAllocationsSchema(v(12)),
  alloc128: putAllocationsSchema(v(28)),
  alloc134: putAllocationsSchema(v(34)),
  alloc138: putAllocationsSchema(v(38)),
  consumers: consumersSchema(v(38), 1),
  reshape: reshapeSchema(v(38)),
  maxProps: { type: 'object', maxProperties: 1 },
  maxItems: { type: 'array', maxItems: 1 },
  enumOf: { enum: ['a', 1, null] },
  constOf: { const: 'x' },
  oneOf: { oneOf: [{ type: 'string' }, { type: 'string', minLength: 1 }] },
  patterns: { type: 'object', patternProperties: { '^b': {}, '^a': {} }, additionalProperties: false },
};

const CASES: [string, string, unknown, string][] = [
  ["required", "traits", {"traits": []}, "'resource_provider_generation' is a required property"],
  ["required, first of two", "traits", {}, "'traits' is a required property"],
  ["one extra property", "traits", {"traits": [], "resource_provider_generation": 0, "x": 1}, "Additional properties are not allowed ('x' was unexpected)"],
  ["several extras, sorted", "traits", {"traits": [], "resource_provider_generation": 0, "zz": 1, "b": 2, "a": 3}, "Additional properties are not allowed ('a', 'b', 'zz' were unexpected)"],
  ["type array", "traits", {"traits": "HW_CPU_X86_AVX2", "resource_provider_generation": 0}, "'HW_CPU_X86_AVX2' is not of type 'array'"],
  ["type string of a list item", "traits", {"traits": [5], "resource_provider_generation": 0}, "5 is not of type 'string'"],
  ["minLength", "traits", {"traits": [""], "resource_provider_generation": 0}, "'' is too short"],
  ["maxLength", "traits", {"traits": ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"], "resource_provider_generation": 0}, "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' is too long"],
  ["type integer of a string", "traits", {"traits": [], "resource_provider_generation": "0"}, "'0' is not of type 'integer'"],
  ["type integer of null", "traits", {"traits": [], "resource_provider_generation": null}, "None is not of type 'integer'"],
  ["type object of a list", "traits", [1, true, null, "x"], "[1, True, None, 'x'] is not of type 'object'"],
  ["type object of a dict-less body", "traits", "just a string", "'just a string' is not of type 'object'"],
  ["a top-level error beats a deeper one", "traits", {"traits": [5]}, "'resource_provider_generation' is a required property"],
  ["pattern of a custom class", "rcName", {"name": "FOO"}, "'FOO' does not match '^CUSTOM_[A-Z0-9_]+$'"],
  ["pattern quoting a single quote", "rcName", {"name": "it's"}, "\"it's\" does not match '^CUSTOM_[A-Z0-9_]+$'"],
  ["pattern quoting both quotes", "rcName", {"name": "it's \"x\""}, "'it\\'s \"x\"' does not match '^CUSTOM_[A-Z0-9_]+$'"],
  ["pattern with control characters", "rcName", {"name": "a\nb\tc\u0001\\"}, "'a\\nb\\tc\\x01\\\\' does not match '^CUSTOM_[A-Z0-9_]+$'"],
  ["pattern with non-ASCII", "rcName", {"name": "caf\u00e9 \u00a0 \u200b"}, "'caf\u00e9 \\xa0 \\u200b' does not match '^CUSTOM_[A-Z0-9_]+$'"],
  ["maxLength after pattern", "rcPath", "CUSTOM_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "'CUSTOM_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' is too long"],
  ["inventories as a list", "invPutAll", {"resource_provider_generation": 0, "inventories": []}, "[] is not of type 'object'"],
  ["record without total", "invPutAll", {"resource_provider_generation": 0, "inventories": {"VCPU": {"reserved": 0}}}, "'total' is a required property"],
  ["minimum", "invPutAll", {"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 0}}}, "0 is less than the minimum of 1"],
  ["maximum", "invPutAll", {"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 2147483648}}}, "2147483648 is greater than the maximum of 2147483647"],
  ["fractional integer", "invPutAll", {"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 1.5}}}, "1.5 is not of type 'integer'"],
  ["float maximum", "invPutAll", {"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 1, "allocation_ratio": 1e39}}}, "1e+39 is greater than the maximum of 3.40282e+38"],
  ["type number", "invPutAll", {"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 4, "allocation_ratio": "2"}}}, "'2' is not of type 'number'"],
  ["extra record field", "invPutAll", {"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 4, "colour": "red"}}}, "Additional properties are not allowed ('colour' was unexpected)"],
  ["shallower extra beats deeper minimum", "invPutAll", {"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 0}}, "x": 1}, "Additional properties are not allowed ('x' was unexpected)"],
  ["first of equals in schema order", "invPutAll", {"resource_provider_generation": "0", "inventories": 5}, "'0' is not of type 'integer'"],
  ["pattern of a class", "invPost", {"resource_class": "vcpu", "total": 1}, "'vcpu' does not match '^[A-Z0-9_]+$'"],
  ["type of a class", "invPost", {"resource_class": 5, "total": 1}, "5 is not of type 'string'"],
  ["boolean is not an integer", "invPutOne", {"resource_provider_generation": 1, "total": true}, "True is not of type 'integer'"],
  ["negative reserved", "invPutOne", {"resource_provider_generation": 1, "total": 4, "reserved": -1}, "-1 is less than the minimum of 0"],
  ["format uuid", "aggList", ["x"], "'x' is not a 'uuid'"],
  ["uniqueItems", "aggList", ["11111111-1111-4111-8111-111111111111", "11111111-1111-4111-8111-111111111111"], "['11111111-1111-4111-8111-111111111111', '11111111-1111-4111-8111-111111111111'] has non-unique elements"],
  ["type array of an object", "aggList", {}, "{} is not of type 'array'"],
  ["format inside an object", "aggPut", {"aggregates": ["abc"], "resource_provider_generation": 0}, "'abc' is not a 'uuid'"],
  ["anyOf with no branch close", "rpCreate", {"name": "a", "parent_provider_uuid": 5}, "5 is not valid under any of the given schemas"],
  ["anyOf descends to the branch of the right type", "rpCreate", {"name": "a", "parent_provider_uuid": "abc"}, "'abc' is not a 'uuid'"],
  ["name too long", "rpCreate", {"name": "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"}, "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn' is too long"],
  ["minItems", "alloc10", {"allocations": []}, "[] is too short"],
  ["nested required in list form", "alloc10", {"allocations": [{"resource_provider": {}, "resources": {"VCPU": 1}}]}, "'uuid' is a required property"],
  ["owner required at 1.8", "alloc18", {"allocations": [{"resource_provider": {"uuid": "11111111-1111-4111-8111-111111111111"}, "resources": {"VCPU": 1}}], "project_id": "p"}, "'user_id' is a required property"],
  ["minProperties", "alloc112", {"allocations": {}, "project_id": "p", "user_id": "u"}, "{} does not have enough properties"],
  ["a dash-less provider key", "alloc112", {"allocations": {"abc": {"resources": {"VCPU": 1}}}, "project_id": "p", "user_id": "u"}, "'abc' does not match any of the regexes: '^[0-9a-fA-F-]{36}$'"],
  ["several bad provider keys", "alloc112", {"allocations": {"b": {"resources": {"VCPU": 1}}, "a": {}}, "project_id": "p", "user_id": "u"}, "'a', 'b' do not match any of the regexes: '^[0-9a-fA-F-]{36}$'"],
  ["resource amount minimum", "alloc112", {"allocations": {"11111111-1111-4111-8111-111111111111": {"resources": {"VCPU": 0}}}, "project_id": "p", "user_id": "u"}, "0 is less than the minimum of 1"],
  ["empty resources", "alloc112", {"allocations": {"11111111-1111-4111-8111-111111111111": {"resources": {}}}, "project_id": "p", "user_id": "u"}, "{} does not have enough properties"],
  ["lower-case resource class", "alloc112", {"allocations": {"11111111-1111-4111-8111-111111111111": {"resources": {"vcpu": 1}}}, "project_id": "p", "user_id": "u"}, "'vcpu' does not match any of the regexes: '^[A-Z0-9_]+$'"],
  ["empty project_id", "alloc112", {"allocations": {"11111111-1111-4111-8111-111111111111": {"resources": {"VCPU": 1}}}, "project_id": "", "user_id": "u"}, "'' is too short"],
  ["a type list", "alloc128", {"allocations": {}, "project_id": "p", "user_id": "u", "consumer_generation": "x"}, "'x' is not of type 'integer', 'null'"],
  ["minItems of a mapping", "alloc134", {"allocations": {}, "project_id": "p", "user_id": "u", "consumer_generation": null, "mappings": {"g": []}}, "[] is too short"],
  ["consumer_type pattern", "alloc138", {"allocations": {}, "project_id": "p", "user_id": "u", "consumer_generation": null, "consumer_type": "instance"}, "'instance' does not match '^[A-Z0-9_]+$'"],
  ["empty consumer_type: pattern comes first", "alloc138", {"allocations": {}, "project_id": "p", "user_id": "u", "consumer_generation": null, "consumer_type": ""}, "'' does not match '^[A-Z0-9_]+$'"],
  ["consumer_type required", "alloc138", {"allocations": {}, "project_id": "p", "user_id": "u", "consumer_generation": null}, "'consumer_type' is a required property"],
  ["no consumers", "consumers", {}, "{} does not have enough properties"],
  ["a consumer missing fields", "consumers", {"11111111-1111-4111-8111-111111111111": {"allocations": {}}}, "'project_id' is a required property"],
  ["reshape without inventories", "reshape", {"allocations": {}}, "'inventories' is a required property"],
  ["reshape with empty inventories", "reshape", {"inventories": {}, "allocations": {}}, "{} does not have enough properties"],
  ["reshape with a bad record", "reshape", {"inventories": {"22222222-2222-4222-8222-222222222222": {"resource_provider_generation": 0, "inventories": {"VCPU": {"total": -1}}}}, "allocations": {}}, "-1 is less than the minimum of 1"],
  ["maxProperties", "maxProps", {"a": 1, "b": [1.25, 1e-05, 0.0001, 1e16, -2.5e-10, 123456789.125]}, "{'a': 1, 'b': [1.25, 1e-05, 0.0001, 1e+16, -2.5e-10, 123456789.125]} has too many properties"],
  ["maxItems", "maxItems", [{"k": "v"}, {}], "[{'k': 'v'}, {}] is too long"],
  ["enum", "enumOf", "b", "'b' is not one of ['a', 1, None]"],
  ["enum of a boolean", "enumOf", true, "True is not one of ['a', 1, None]"],
  ["const", "constOf", "y", "'x' was expected"],
  ["oneOf with none valid", "oneOf", 5, "5 is not valid under any of the given schemas"],
  ["oneOf with two valid", "oneOf", "s", "'s' is valid under each of {'type': 'string', 'minLength': 1}, {'type': 'string'}"],
  ["extras against several patterns", "patterns", {"c": 1, "a": 2, "d": 3}, "'c', 'd' do not match any of the regexes: '^a', '^b'"],
];

/** JSON text, and Python's `repr(json.loads(text))`. */
const REPRS: [string, string][] = [
  ["0", "0"],
  ["-7", "-7"],
  ["9007199254740991", "9007199254740991"],
  ["1.5", "1.5"],
  ["-0.25", "-0.25"],
  ["0.1", "0.1"],
  ["1e-05", "1e-05"],
  ["0.0001", "0.0001"],
  ["0.00012345", "0.00012345"],
  ["1e16", "1e+16"],
  ["1000000000000000", "1000000000000000"],
  ["1.5e300", "1.5e+300"],
  ["-2.5e-10", "-2.5e-10"],
  ["123456789.125", "123456789.125"],
  ["3.40282e38", "3.40282e+38"],
  ["1e39", "1e+39"],
  ["5e-324", "5e-324"],
  ["1.7976931348623157e308", "1.7976931348623157e+308"],
  ["0.30000000000000004", "0.30000000000000004"],
  ["1e21", "1e+21"],
  ["123456789012345.6", "123456789012345.6"],
  ["true", "True"],
  ["false", "False"],
  ["null", "None"],
  ["\"plain\"", "'plain'"],
  ["\"\"", "''"],
  ["\"it's\"", "\"it's\""],
  ["\"say \\\"hi\\\"\"", "'say \"hi\"'"],
  ["\"both ' and \\\"\"", "'both \\' and \"'"],
  ["\"back\\\\slash\"", "'back\\\\slash'"],
  ["\"\\n\\r\\t\\b\\f\\u0000\\u001f\\u007f\"", "'\\n\\r\\t\\x08\\x0c\\x00\\x1f\\x7f'"],
  ["\"\\u0080\\u009f\\u00a0\\u00ad\\u00e9\\u00ff\\u0100\"", "'\\x80\\x9f\\xa0\\xad\u00e9\u00ff\u0100'"],
  ["\"\\u2028\\u2029\\u200b\\u3000\\ue000\\ufeff\\ufffd\"", "'\\u2028\\u2029\\u200b\\u3000\\ue000\\ufeff\ufffd'"],
  ["\"\\ud83d\\ude00 \\ud800 \\udfff\"", "'\ud83d\ude00 \\ud800 \\udfff'"],
  ["\"\\u0378\"", "'\\u0378'"],
  ["[]", "[]"],
  ["{}", "{}"],
  ["[1, [2, [3]], {\"a\": null}]", "[1, [2, [3]], {'a': None}]"],
  ["{\"b\": 1, \"a\": {\"x\": [true, false]}, \"\": \"\"}", "{'b': 1, 'a': {'x': [True, False]}, '': ''}"],
  ["{\"k'\": \"v\"}", "{\"k'\": 'v'}"],
];

function refusal(schema: JsonSchema, body: unknown): string {
  try {
    validateBody(schema, body);
  } catch (error) {
    if (error instanceof HttpError) return error.message;
    throw error;
  }
  throw new Error('the body passed');
}

describe('request body validation messages', () => {
  it.each(CASES)('words %s as jsonschema does', (_what, key, body, expected) => {
    const schema = SCHEMAS[key];
    if (schema === undefined) throw new Error(`no schema ${key}`);
    expect(refusal(schema, body)).toBe(`JSON does not validate: ${expected}`);
  });

  it('keeps valid bodies valid', () => {
    expect(validateBody(SCHEMAS['traits'] ?? {}, { traits: ['A'], resource_provider_generation: 0 })).toEqual({
      traits: ['A'],
      resource_provider_generation: 0,
    });
  });

  it('describes bodies nested deeper than the call stack, and long lists, without trouble', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const message = refusal(SCHEMAS['aggPut'] ?? {}, { aggregates: [deep], resource_provider_generation: 0 });
    expect(message.startsWith('JSON does not validate: [[[[')).toBe(true);
    expect(message.endsWith("]]]] is not of type 'string'")).toBe(true);
    const many = Array.from({ length: 100_000 }, (_, i) => `11111111-1111-4111-8111-${String(i).padStart(12, '0')}`);
    many.push(many[0] ?? '');
    expect(refusal(SCHEMAS['aggList'] ?? {}, many)).toMatch(/ has non-unique elements$/);
  });

  it('never throws while describing any failing body against any of our schemas', () => {
    const schemas = Object.values(SCHEMAS);
    fc.assert(
      fc.property(fc.constantFrom(...schemas), fc.jsonValue(), (schema, value) => {
        // fc.jsonValue can give -0, which JSON text cannot carry.
        const body: unknown = JSON.parse(JSON.stringify(value));
        let message: string | undefined;
        try {
          validateBody(schema, body);
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          message = error.message;
        }
        if (message !== undefined) {
          expect(message.startsWith('JSON does not validate: ')).toBe(true);
          expect(describeFailure(schema, body)).toBe(message.slice('JSON does not validate: '.length));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the wording of ajv\'s own first error (the fallback)', () => {
  const ajv = new Ajv({ allErrors: false, strict: false });
  ajv.addFormat('uuid', /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/);
  // Where ajv stops at another error than the one jsonschema ranks best.
  const picksOther = new Set(['anyOf with no branch close', 'empty consumer_type: pattern comes first', 'oneOf with none valid']);

  it.each(CASES.filter(([what]) => !picksOther.has(what)))('words %s as jsonschema does', (_what, key, body, expected) => {
    const schema = SCHEMAS[key] ?? {};
    const fn = ajv.compile(schema);
    expect(fn(body)).toBe(false);
    const error = fn.errors?.[0];
    if (error === undefined) throw new Error('ajv gave no error');
    expect(describeAjvError(schema, body, error)).toBe(expected);
  });
});

describe('pyRepr', () => {
  it.each(REPRS)('renders %s as Python does', (text, expected) => {
    expect(pyRepr(JSON.parse(text))).toBe(expected);
  });

  it('prints an integral float as an integer (JSON.parse leaves no trace of the ".0")', () => {
    expect(pyRepr(JSON.parse('1.0'))).toBe('1');
  });

  it('never throws on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(typeof pyRepr(v)).toBe('string');
      }),
    );
  });

  it('gives equal dicts the same canonical form whatever their key order', () => {
    expect(canonicalRepr({ b: [1, { d: 1, c: 2 }], a: 'x' })).toBe(canonicalRepr({ a: 'x', b: [1, { c: 2, d: 1 }] }));
    expect(canonicalRepr([true])).not.toBe(canonicalRepr([1]));
  });

  it('single-quotes plain strings as they are', () => {
    const plain = fc.string({ unit: 'grapheme' }).filter((s) => !/['"\\\p{C}\p{Z}]/u.test(s.replace(/ /g, '')));
    fc.assert(
      fc.property(plain, (s) => {
        expect(pyRepr(s)).toBe(`'${s}'`);
      }),
    );
  });
});
