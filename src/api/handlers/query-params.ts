/**
 * Query parameters shared by GET /resource_providers and GET /allocation_candidates, read as
 * Placement's own parsers (placement/util.py) read them, with their wording: clients such as
 * osc-placement print the detail. Each refusal is a plain 400 (placement.undefined_code), as there.
 */
import type { Resources } from '../../placement/types.js';
import { HttpError } from '../http-error.js';
import { canonicalUuid } from '../uuid-like.js';
import type { Microversion } from '../microversion.js';
import { pyRepr } from '../python-repr.js';

function bad(message: string): HttpError {
  return new HttpError(400, message);
}

/** A uuid-valued parameter checked by the list's JSON schema (`format: uuid`). */
export function uuidParam(value: string): string {
  const u = canonicalUuid(value);
  if (u === undefined) throw bad(`Invalid query string parameters: ${pyRepr(value)} is not a 'uuid'`);
  return u;
}

/** `in_tree[S]` of allocation candidates: trimmed, then uuid-like. */
export function inTreeParam(key: string, value: string): string {
  const u = canonicalUuid(value.trim());
  if (u === undefined) throw bad(`Invalid query string parameters: Expected '${key}' parameter to be a format of uuid. Got: ${value}`);
  return u;
}

/** `RC:N,RC:N`: names are not checked here (an unknown one is refused by name later); the last of a repeated class wins. */
export function resourcesParam(value: string): Resources {
  const form = 'Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024.';
  if (value.trim() === '') throw bad(`${form} Got: empty string.`);
  const out: Record<string, number> = {};
  for (const part of value.split(',')) {
    const pieces = part.split(':');
    if (pieces.length !== 2) throw bad(`${form} Got: ${part}.`);
    const [name, amount] = pieces as [string, string];
    // Python's int(): surrounding blanks and a sign are fine.
    if (!/^\s*[+-]?[0-9]+\s*$/.test(amount)) throw bad(`Requested resource ${name} expected positive integer amount. Got: ${amount}.`);
    const n = Number(amount.trim());
    if (n < 1) throw bad(`Requested resource ${name} requires amount >= 1. Got: ${n}.`);
    out[name] = n;
  }
  return out;
}

export interface TraitsValue {
  /** Each entry an any-of list; the entries are ANDed. */
  required: string[][];
  forbidden: string[];
}

/**
 * One `required`-style value: `A,!B` (forbidden names from 1.22) or `in:A,B` (an any-of list, from
 * 1.39). Names are trimmed and otherwise unchecked (an unknown one is "No such trait(s)" later);
 * leading `!`s are all stripped, a quirk Placement keeps.
 */
export function traitsParam(value: string, allowForbidden: boolean, allowAnyOf: boolean): TraitsValue {
  const prefix = "Invalid query string parameters: Expected 'required' parameter value of the form:";
  if (value.startsWith('in:')) {
    if (!allowAnyOf) {
      throw bad(`Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39. Got: ${value}`);
    }
    const anyOf = [...new Set(value.slice(3).split(',').map((t) => t.trim()))];
    if (anyOf.some((t) => t === '')) throw bad(`${prefix} in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait in: ${value}`);
    if (anyOf.some((t) => t.startsWith('!'))) {
      throw bad(`Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support forbidden traits. Got: ${value}`);
    }
    return { required: [anyOf], forbidden: [] };
  }
  const all = value.split(',').map((t) => t.trim());
  const forbidden = [...new Set(all.filter((t) => t.startsWith('!')).map((t) => t.replace(/^!+/, '')))];
  if (all.some((t) => t === '') || forbidden.some((t) => t === '')) {
    const form = allowForbidden ? 'HW_CPU_X86_VMX,!CUSTOM_MAGIC' : 'HW_CPU_X86_VMX,CUSTOM_MAGIC';
    throw bad(`${prefix} ${form}. Got an empty trait in: ${value}`);
  }
  if (forbidden.length > 0 && !allowForbidden) throw bad(`${prefix} HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: ${value}`);
  return { required: all.filter((t) => !t.startsWith('!')).map((t) => [t]), forbidden };
}

/**
 * Every `required[S]` value of a request: repeated and ANDed from 1.39; before it only the last
 * is read (the others are not even parsed).
 */
export function requiredParams(v: Microversion, values: readonly string[]): TraitsValue {
  const out: TraitsValue = { required: [], forbidden: [] };
  const forbidden = new Set<string>();
  for (const value of v.atLeast(1, 39) ? values : values.slice(-1)) {
    const t = traitsParam(value, v.atLeast(1, 22), v.atLeast(1, 39));
    out.required.push(...t.required);
    for (const f of t.forbidden) forbidden.add(f);
  }
  out.forbidden = [...forbidden];
  return out;
}

export interface AggregatesValue {
  /** Each entry an any-of list; the entries are ANDed. */
  memberOf: string[][];
  forbidden: string[];
}

/**
 * Every `member_of[S]` value: one before 1.24 (more is a 400), ANDed from 1.24; `!U` and `!in:U,V`
 * forbid from 1.32. Aggregates are uuid-like, kept in canonical form.
 */
export function memberOfParams(v: Microversion, key: string, values: readonly string[]): AggregatesValue {
  if (values.length > 1 && !v.atLeast(1, 24)) throw bad(`Multiple ${key} parameters are not supported`);
  const memberOf: string[][] = [];
  const forbidden = new Set<string>();
  for (const value of values) {
    if (value.includes(',') && !(value.startsWith('in:') || value.startsWith('!in:'))) {
      throw bad(`Multiple values for 'member_of' must be prefixed with the 'in:' or '!in:' keyword using the valid microversion. Got: ${value}`);
    }
    const negative = value.startsWith('!');
    const body = negative ? value.slice(1) : value;
    const raw = body.startsWith('in:') ? body.slice(3).split(',') : [body];
    const uuids = [...new Set(raw)].map((u) => {
      const c = canonicalUuid(u);
      if (c === undefined) throw bad(`Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: ${u}`);
      return c;
    });
    if (negative) {
      if (!v.atLeast(1, 32)) throw bad(`Forbidden ${key} parameters are not supported in the specified microversion`);
      for (const u of uuids) forbidden.add(u);
    } else memberOf.push(uuids);
  }
  return { memberOf, forbidden: [...forbidden] };
}

