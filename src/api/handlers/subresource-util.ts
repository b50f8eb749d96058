import type { RequestContext } from '../context.js';
import { HttpError } from '../http-error.js';
import { freshness } from '../http-util.js';

/** The 409 Placement gives when a body's `resource_provider_generation` is stale. */
export function generationConflict(message: string): HttpError {
  return new HttpError(409, message, { code: 'placement.concurrent_update' });
}

/** The wording of the aggregates and provider-traits handlers. */
export const GENERATION_CHANGED = "Resource provider's generation already changed. Please update the generation and try again.";

/** Freshness headers stamped with the current time (Placement's LM(now)). */
export function freshNow(ctx: RequestContext): Record<string, string> {
  return freshness(ctx, Date.now());
}

/** Placement's query-schema 400 for a parameter it does not know or cannot take. */
export function badQuery(message: string): HttpError {
  return new HttpError(400, `Invalid query string parameters: ${message}`);
}
