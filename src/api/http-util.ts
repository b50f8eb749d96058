import type { RequestContext } from './context.js';
import { HttpError } from './http-error.js';

/**
 * From 1.15 Placement sends `last-modified` (the newest change among what the answer shows) and
 * `cache-control: no-cache` on GETs and on writes that answer with a body.
 */
export function freshness(ctx: RequestContext, lastModifiedMs: number): Record<string, string> {
  if (!ctx.version.atLeast(1, 15)) return {};
  return { 'last-modified': new Date(lastModifiedMs).toUTCString(), 'cache-control': 'no-cache' };
}

/** Refuses query parameters an endpoint does not take, as Placement's query schemas do. */
export function allowQuery(ctx: RequestContext, allowed: readonly string[]): void {
  for (const key of ctx.query.keys()) {
    if (!allowed.includes(key)) {
      throw new HttpError(400, `Invalid query string parameters: Additional properties are not allowed (${JSON.stringify(key)} was unexpected)`);
    }
  }
}

/** A query parameter as Placement's plain lookups read it: the last occurrence wins. */
export function queryOne(ctx: RequestContext, key: string): string | undefined {
  const all = ctx.query.getAll(key);
  return all.length === 0 ? undefined : all[all.length - 1];
}

export function location(path: string): Record<string, string> {
  return { location: path };
}
