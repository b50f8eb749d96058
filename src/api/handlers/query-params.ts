import type { ProviderFilter, Resources } from '../../placement/types.js';
import { parseResources, splitMemberOf, splitTraits } from '../../placement/query-string.js';
import { isUuid } from '../../placement/validate.js';
import type { RequestContext } from '../context.js';
import { HttpError } from '../http-error.js';

/** A uuid in a query parameter; Placement answers a malformed one with 400. */
export function requireUuidParam(key: string, value: string): string {
  if (!isUuid(value)) throw new HttpError(400, `Invalid query string parameters: ${key} is not a valid UUID: ${String(value).slice(0, 64)}`);
  return value;
}

export function parseResourcesParam(value: string): Resources {
  return parseResources('resources', value);
}

/**
 * `member_of` values at the request's microversion: one value before 1.24 (a repeated key is a
 * 400), repeated and ANDed from 1.24, forbidden (`!`) from 1.32.
 */
export function parseMemberOf(ctx: RequestContext, values: readonly string[], key = 'member_of'): Pick<ProviderFilter, 'memberOf' | 'forbiddenAggregates'> {
  if (values.length > 1 && !ctx.version.atLeast(1, 24)) {
    throw new HttpError(400, 'Multiple member_of parameters are not supported');
  }
  const used = values;
  const memberOf: string[][] = [];
  const forbidden: string[] = [];
  for (const value of used) {
    if (value.startsWith('!') && !ctx.version.atLeast(1, 32)) {
      throw new HttpError(400, `Invalid query string parameters: forbidden aggregates (!) in ${key} need microversion 1.32.`);
    }
    const { negative, uuids } = splitMemberOf(key, value);
    if (negative) forbidden.push(...uuids);
    else memberOf.push(uuids);
  }
  const out: Pick<ProviderFilter, 'memberOf' | 'forbiddenAggregates'> = {};
  if (memberOf.length > 0) out.memberOf = memberOf;
  if (forbidden.length > 0) out.forbiddenAggregates = forbidden;
  return out;
}

/**
 * `required` values at the request's microversion: forbidden traits (`!`) from 1.22, `in:` and
 * repetition from 1.39 (before it the last value wins).
 */
export function parseRequiredTraits(ctx: RequestContext, values: readonly string[], key = 'required'): Pick<ProviderFilter, 'required' | 'forbidden'> {
  const used = ctx.version.atLeast(1, 39) ? values : values.slice(-1);
  const required: string[][] = [];
  const forbidden: string[] = [];
  for (const value of used) {
    if (value.startsWith('in:') && !ctx.version.atLeast(1, 39)) {
      throw new HttpError(400, `Invalid query string parameters: in: in ${key} needs microversion 1.39.`);
    }
    const split = splitTraits(key, value, ctx.version.atLeast(1, 39));
    if (split.forbidden.length > 0 && !ctx.version.atLeast(1, 22)) {
      throw new HttpError(400, `Invalid query string parameters: forbidden traits (!) in ${key} need microversion 1.22.`);
    }
    required.push(...split.required);
    forbidden.push(...split.forbidden);
  }
  const out: Pick<ProviderFilter, 'required' | 'forbidden'> = {};
  if (required.length > 0) out.required = required;
  if (forbidden.length > 0) out.forbidden = forbidden;
  return out;
}
