import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { HttpError } from './http-error.js';

/** Placement's body schemas are JSON Schema draft 4-style objects; we write them as plain data. */
export type JsonSchema = Record<string, unknown>;

const ajv = new Ajv({ allErrors: false, strict: false });
ajv.addFormat('uuid', /^(?:[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$/);
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/** Validates a request body; a failure is Placement's 400 "JSON does not validate". */
export function validateBody<T>(schema: JsonSchema, body: unknown): T {
  let fn = compiled.get(schema);
  if (fn === undefined) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  if (!fn(body)) throw new HttpError(400, `JSON does not validate: ${describe(fn.errors?.[0])}`);
  return body as T;
}

function describe(error: ErrorObject | undefined): string {
  if (error === undefined) return 'invalid body';
  const where = error.instancePath === '' ? 'the body' : error.instancePath;
  if (error.keyword === 'additionalProperties') {
    return `Additional properties are not allowed (${JSON.stringify((error.params as { additionalProperty: string }).additionalProperty)} was unexpected) at ${where}`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
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
