/**
 * Wording a body that failed its schema as upstream Placement does: jsonschema 4.10's message of
 * the error `jsonschema.validate()` raises, after "JSON does not validate: ".
 */
import type { ErrorObject } from 'ajv';
import { canonicalRepr, pyRepr } from './python-repr.js';
import type { JsonSchema } from './schema.js';

/** The `uuid` format, as the validator checks it and this walk must agree. */
export const UUID_FORMAT = /^(?:[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$/;

/**
 * The message Placement gives for a body its schema refuses: jsonschema 4.10's
 * `ValidationError.message` of the error `jsonschema.validate()` raises.
 *
 * ajv stops at its first error, which is often not the one jsonschema reports (jsonschema collects
 * every error and raises its `best_match`), and running ajv with `allErrors` would slow every
 * valid request. So only once a body has failed, this walks the schema again the way jsonschema's
 * `iter_errors` does (keywords in schema order) and ranks the errors as `best_match` does. Should
 * that walk find nothing (it and ajv disagreeing on some corner), ajv's first error is worded
 * instead.
 */
export function describe(schema: JsonSchema, body: unknown, first?: ErrorObject): string {
  const best = bestMatch(iterErrors(body, schema));
  if (best !== undefined) return best.message;
  if (first === undefined) return `${pyRepr(body)} is not valid`;
  return describeAjvError(schema, body, first);
}

// ------------------------------------------------------------------ messages

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** jsonschema's type checks (draft 2020-12): booleans are not numbers; 1.0 is an integer. */
function isType(v: unknown, type: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      return false;
  }
}

/** Python compares str by code point, not by UTF-16 unit as JS's default sort does. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const regexes = new Map<string, RegExp | null>();

/** Python's `re.search`, approximated by a unicode JS regex (as ajv compiles `pattern`). */
function search(pattern: string, s: string): boolean {
  let re = regexes.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = null;
    }
    regexes.set(pattern, re);
  }
  return re !== null && re.test(s);
}

/** The keys that neither `properties` nor `patternProperties` cover, as jsonschema finds them. */
function additionalKeys(instance: Record<string, unknown>, schema: JsonSchema): string[] {
  const properties = isObject(schema['properties']) ? schema['properties'] : {};
  const patterns = isObject(schema['patternProperties']) ? Object.keys(schema['patternProperties']) : [];
  return Object.keys(instance).filter((k) => !Object.hasOwn(properties, k) && !patterns.some((p) => search(p, k)));
}

function additionalMessage(extras: string[], schema: JsonSchema): string {
  const joined = [...extras].sort(byCodePoint).map(pyRepr).join(', ');
  if (Object.hasOwn(schema, 'patternProperties')) {
    const patterns = isObject(schema['patternProperties']) ? Object.keys(schema['patternProperties']) : [];
    const listed = patterns.sort(byCodePoint).map(pyRepr).join(', ');
    return `${joined} ${extras.length === 1 ? 'does' : 'do'} not match any of the regexes: ${listed}`;
  }
  return `Additional properties are not allowed (${joined} ${extras.length === 1 ? 'was' : 'were'} unexpected)`;
}

/** jsonschema's wording of a failed keyword whose message depends only on its value and the instance. */
function keywordMessage(keyword: string, value: unknown, instance: unknown): string {
  const r = pyRepr(instance);
  switch (keyword) {
    case 'type':
      return `${r} is not of type ${(Array.isArray(value) ? value : [value]).map(pyRepr).join(', ')}`;
    case 'minLength':
    case 'minItems':
      return `${r} is too short`;
    case 'maxLength':
    case 'maxItems':
      return `${r} is too long`;
    case 'minimum':
      return `${r} is less than the minimum of ${pyRepr(value)}`;
    case 'maximum':
      return `${r} is greater than the maximum of ${pyRepr(value)}`;
    case 'exclusiveMinimum':
      return `${r} is less than or equal to the minimum of ${pyRepr(value)}`;
    case 'exclusiveMaximum':
      return `${r} is greater than or equal to the maximum of ${pyRepr(value)}`;
    case 'pattern':
      return `${r} does not match ${pyRepr(value)}`;
    case 'minProperties':
      return `${r} does not have enough properties`;
    case 'maxProperties':
      return `${r} has too many properties`;
    case 'uniqueItems':
      return `${r} has non-unique elements`;
    case 'enum':
      return `${r} is not one of ${pyRepr(value)}`;
    case 'const':
      return `${pyRepr(value)} was expected`;
    case 'format':
      return `${r} is not a ${pyRepr(value)}`;
    case 'anyOf':
    case 'oneOf':
      return `${r} is not valid under any of the given schemas`;
    case 'not':
      return `${r} should not be valid under ${pyRepr(value)}`;
    case 'multipleOf':
      return `${r} is not a multiple of ${pyRepr(value)}`;
    default:
      return `${r} is not valid under the given schema`;
  }
}

// ------------------------------------------------------------------ jsonschema's walk and ranking

interface SchemaError {
  /** The keyword that failed (null for a `false` schema). */
  keyword: string | null;
  message: string;
  instance: unknown;
  /** The schema object holding the keyword. */
  schema: unknown;
  /** unknown path relative to the instance of the walk that made the error (as jsonschema's `path`). */
  path: (string | number)[];
  /** For anyOf/oneOf: the errors of every branch, paths relative to the same instance. */
  context: SchemaError[];
}

/** Python `==` on JSON values as jsonschema's enum/const use it, booleans kept apart from 0/1. */
function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'boolean' || typeof b === 'boolean') return a === b;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return a === b;
}

function checkFormat(format: unknown, instance: unknown): boolean {
  // As jsonschema's checkers, a format applies to strings only; formats we do not know pass.
  if (typeof instance !== 'string') return true;
  if (format === 'uuid') return UUID_FORMAT.test(instance);
  return true;
}

const codePoints = (s: string): number => [...s].length;

function descend(instance: unknown, schema: unknown, segment?: string | number): SchemaError[] {
  const errors = iterErrors(instance, schema);
  if (segment !== undefined) for (const e of errors) e.path.unshift(segment);
  return errors;
}

function isValid(instance: unknown, schema: unknown): boolean {
  return iterErrors(instance, schema).length === 0;
}

/** jsonschema's `iter_errors`: each keyword in the schema's own order, descending as it descends. */
function iterErrors(instance: unknown, schema: unknown): SchemaError[] {
  if (schema === false) return [{ keyword: null, message: `False schema does not allow ${pyRepr(instance)}`, instance, schema, path: [], context: [] }];
  if (!isObject(schema)) return [];
  const out: SchemaError[] = [];
  const fail = (keyword: string, message: string, context: SchemaError[] = []): void => {
    out.push({ keyword, message, instance, schema, path: [], context });
  };
  for (const [keyword, value] of Object.entries(schema)) {
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(value) ? value : [value];
        if (!types.some((t) => isType(instance, t))) fail(keyword, keywordMessage(keyword, value, instance));
        break;
      }
      case 'required':
        if (isObject(instance) && Array.isArray(value)) {
          for (const name of value) {
            if (typeof name === 'string' && !Object.hasOwn(instance, name)) fail(keyword, `${pyRepr(name)} is a required property`);
          }
        }
        break;
      case 'properties':
        if (isObject(instance) && isObject(value)) {
          for (const [name, sub] of Object.entries(value)) {
            if (Object.hasOwn(instance, name)) out.push(...descend(instance[name], sub, name));
          }
        }
        break;
      case 'patternProperties':
        if (isObject(instance) && isObject(value)) {
          for (const [pattern, sub] of Object.entries(value)) {
            for (const [k, v] of Object.entries(instance)) if (search(pattern, k)) out.push(...descend(v, sub, k));
          }
        }
        break;
      case 'additionalProperties':
        if (isObject(instance)) {
          const extras = additionalKeys(instance, schema);
          if (isObject(value)) for (const k of extras) out.push(...descend(instance[k], value, k));
          else if (value === false && extras.length > 0) fail(keyword, additionalMessage(extras, schema));
        }
        break;
      case 'items':
        if (Array.isArray(instance)) {
          if (value === false && instance.length > 0) fail(keyword, `Expected at most 0 items, but found ${instance.length}`);
          else if (isObject(value)) instance.forEach((item, i) => out.push(...descend(item, value, i)));
        }
        break;
      case 'allOf':
        if (Array.isArray(value)) for (const sub of value) out.push(...descend(instance, sub));
        break;
      case 'anyOf':
      case 'oneOf':
        if (Array.isArray(value)) anyOrOneOf(keyword, value, instance, fail);
        break;
      case 'not':
        if (isValid(instance, value)) fail(keyword, keywordMessage(keyword, value, instance));
        break;
      default:
        if (!passes(keyword, value, instance)) fail(keyword, keywordMessage(keyword, value, instance));
    }
  }
  return out;
}

function anyOrOneOf(
  keyword: 'anyOf' | 'oneOf',
  branches: unknown[],
  instance: unknown,
  fail: (keyword: string, message: string, context?: SchemaError[]) => void,
): void {
  const context: SchemaError[] = [];
  let firstValid = -1;
  for (let i = 0; i < branches.length; i++) {
    const errors = descend(instance, branches[i]);
    if (errors.length === 0) {
      firstValid = i;
      break;
    }
    context.push(...errors);
  }
  if (firstValid < 0) {
    fail(keyword, keywordMessage(keyword, branches, instance), context);
    return;
  }
  if (keyword === 'oneOf') {
    const more = branches.slice(firstValid + 1).filter((b) => isValid(instance, b));
    if (more.length > 0) {
      const reprs = [...more, branches[firstValid]].map(pyRepr).join(', ');
      fail(keyword, `${pyRepr(instance)} is valid under each of ${reprs}`);
    }
  }
}

/** The keywords that judge the instance alone; each applies only to the types it is about. */
function passes(keyword: string, value: unknown, instance: unknown): boolean {
  const num = typeof instance === 'number' && typeof value === 'number';
  const str = typeof instance === 'string' && typeof value === 'number';
  const arr = Array.isArray(instance);
  const obj = isObject(instance) && typeof value === 'number';
  switch (keyword) {
    case 'minimum':
      return !num || instance >= value;
    case 'maximum':
      return !num || instance <= value;
    case 'exclusiveMinimum':
      return !num || instance > value;
    case 'exclusiveMaximum':
      return !num || instance < value;
    case 'multipleOf':
      return !num || value === 0 || Number.isInteger(instance / value);
    case 'minLength':
      return !str || codePoints(instance) >= value;
    case 'maxLength':
      return !str || codePoints(instance) <= value;
    case 'pattern':
      return typeof instance !== 'string' || typeof value !== 'string' || search(value, instance);
    case 'format':
      return checkFormat(value, instance);
    case 'minItems':
      return !arr || typeof value !== 'number' || instance.length >= value;
    case 'maxItems':
      return !arr || typeof value !== 'number' || instance.length <= value;
    case 'uniqueItems':
      return !arr || value !== true || new Set(instance.map((x) => canonicalRepr(x))).size === instance.length;
    case 'minProperties':
      return !obj || Object.keys(instance).length >= value;
    case 'maxProperties':
      return !obj || Object.keys(instance).length <= value;
    case 'enum':
      return !Array.isArray(value) || value.some((v) => equal(v, instance));
    case 'const':
      return equal(value, instance);
    default:
      // Annotations and keywords our schemas do not use.
      return true;
  }
}

/** jsonschema's `relevance`: shallower first, anyOf/oneOf last, then errors whose instance is not of the schema's type. */
function relevance(e: SchemaError): number[] {
  const weak = e.keyword === 'anyOf' || e.keyword === 'oneOf';
  let matchesType = false;
  if (isObject(e.schema) && Object.hasOwn(e.schema, 'type')) {
    const t = e.schema['type'];
    matchesType = (Array.isArray(t) ? t : [t]).some((x) => isType(e.instance, x));
  }
  return [-e.path.length, weak ? 0 : 1, matchesType ? 0 : 1];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** jsonschema's `best_match`: the most relevant error (the first of equals), then down anyOf/oneOf contexts. */
function bestMatch(errors: SchemaError[]): SchemaError | undefined {
  let best: SchemaError | undefined;
  for (const e of errors) if (best === undefined || compare(relevance(e), relevance(best)) > 0) best = e;
  while (best !== undefined && best.context.length > 0) {
    // A stable sort keeps the first of equally relevant errors first, as heapq.nsmallest does.
    const ranked = [...best.context].sort((a, b) => compare(relevance(a), relevance(b)));
    const [least, next] = ranked;
    if (least === undefined || (next !== undefined && compare(relevance(least), relevance(next)) === 0)) return best;
    best = least;
  }
  return best;
}

// ------------------------------------------------------------------ ajv's error, worded as jsonschema would

function unescapeSegment(segment: string): string {
  let s = segment;
  try {
    s = decodeURIComponent(s);
  } catch {
    // Not URI-encoded after all; the raw segment is the best guess.
  }
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Follows a JSON pointer (ajv's instancePath, or schemaPath without its `#`) into a value. */
function resolve(root: unknown, pointer: string): unknown {
  let at = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = unescapeSegment(raw);
    if (Array.isArray(at)) at = at[Number(key)];
    else if (isObject(at)) at = at[key];
    else return undefined;
  }
  return at;
}

/** ajv's error in jsonschema's words (the fallback of `describe`; the error may not be jsonschema's pick). */
export function describeAjvError(schema: JsonSchema, body: unknown, error: ErrorObject): string {
  const instance = resolve(body, error.instancePath);
  const parent = resolve(schema, error.schemaPath.replace(/^#/, '').replace(/\/[^/]*$/, ''));
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return `${pyRepr(params['missingProperty'])} is a required property`;
  if (error.keyword === 'additionalProperties' && isObject(instance) && isObject(parent)) {
    const extras = additionalKeys(instance, parent);
    if (extras.length > 0) return additionalMessage(extras, parent);
  }
  const value = isObject(parent) ? parent[error.keyword] : error.schema;
  const passing = params['passingSchemas'];
  if (error.keyword === 'oneOf' && Array.isArray(passing) && Array.isArray(value)) {
    // jsonschema lists the later valid branches, then the first one.
    const [firstValid, ...others] = passing.map((i) => value[Number(i)]);
    return `${pyRepr(instance)} is valid under each of ${[...others, firstValid].map(pyRepr).join(', ')}`;
  }
  return keywordMessage(error.keyword, value, instance);
}
