import type { RequestContext } from './context.js';
import { HttpError } from './http-error.js';
import { pyRepr } from './python-repr.js';

/**
 * From 1.15 Placement sends `last-modified` (the newest change among what the answer shows) and
 * `cache-control: no-cache` on GETs and on writes that answer with a body.
 */
export function freshness(ctx: RequestContext, lastModifiedMs: number): Record<string, string> {
  if (!ctx.version.atLeast(1, 15)) return {};
  return { 'last-modified': httpDate(lastModifiedMs), 'cache-control': 'no-cache' };
}

let lastSecond = NaN;
let lastDate = '';

/**
 * An HTTP date (whole seconds), remembered for the last second asked for: most answers of a busy
 * second carry the same one, and formatting a Date costs more than the rest of the header.
 */
export function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastDate = new Date(second * 1000).toUTCString();
  }
  return lastDate;
}

/** Refuses query parameters an endpoint does not take, as Placement's query schemas do. */
export function allowQuery(ctx: RequestContext, allowed: readonly string[]): void {
  const extras = [...new Set(ctx.query.keys())].filter((k) => !allowed.includes(k)).sort();
  if (extras.length === 0) return;
  const names = extras.map(pyRepr).join(', ');
  throw new HttpError(400, `Invalid query string parameters: Additional properties are not allowed (${names} ${extras.length === 1 ? 'was' : 'were'} unexpected)`);
}

/** A query parameter as Placement's plain lookups read it: the last occurrence wins. */
export function queryOne(ctx: RequestContext, key: string): string | undefined {
  const all = ctx.query.getAll(key);
  return all.length === 0 ? undefined : all[all.length - 1];
}

export function location(path: string): Record<string, string> {
  return { location: path };
}

/**
 * Reads the body for an endpoint that takes JSON in Placement's order: a body not declared JSON is
 * refused (415) at once, before policy; one that does not parse is refused (400) only when the
 * handler uses it, after policy and the path checks (a malformed body sent to an unknown provider
 * is a 404, not a 400).
 */
export function deferJson(ctx: RequestContext): () => unknown {
  try {
    const value = ctx.json();
    return () => value;
  } catch (error) {
    if (error instanceof HttpError && error.status === 415) throw error;
    return () => {
      throw error;
    };
  }
}
