import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { HttpError } from './http-error.js';
import { UUID_FORMAT, describe } from './schema-error.js';

/** Placement's body schemas are JSON Schema draft 4-style objects; we write them as plain data. */
export type JsonSchema = Record<string, unknown>;

const ajv = new Ajv({ allErrors: false, strict: false });
ajv.addFormat('uuid', UUID_FORMAT);
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/** Validates a request body; a failure is Placement's 400 "JSON does not validate". */
export function validateBody<T>(schema: JsonSchema, body: unknown): T {
  let fn = compiled.get(schema);
  if (fn === undefined) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  if (!fn(body)) throw new HttpError(400, `JSON does not validate: ${describe(schema, body, fn.errors?.[0])}`);
  return body as T;
}

/** Schema pieces used by several endpoints. */
export const UUID: JsonSchema = { type: 'string', format: 'uuid' };
export const NAME_PATTERN = '^[A-Z0-9_]+$';
export const CUSTOM_PATTERN = '^CUSTOM_[A-Z0-9_]+$';
export const GENERATION: JsonSchema = { type: 'integer' };

const variants = new Map<string, JsonSchema>();

/**
 * One schema object per named variant (an endpoint's body at a microversion range), so that the
 * validator compiles each once however many requests use it.
 */
export function schemaVariant(key: string, make: () => JsonSchema): JsonSchema {
  let s = variants.get(key);
  if (s === undefined) {
    s = make();
    variants.set(key, s);
  }
  return s;
}
