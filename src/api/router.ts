import type { Handler } from './context.js';
import { HttpError } from './http-error.js';
import type { Microversion } from './microversion.js';

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  /** The route exists from this microversion on; below it the path answers 404 (or 405). */
  since: [number, number];
  /** Below `since`, answer 405 without `Allow` instead of 404 (Placement's DELETE of all inventories). */
  below405: boolean;
}

export interface Match {
  handler: Handler;
  params: Record<string, string>;
}

/**
 * Placement's route table: literal segments and `{name}` parameters. A path that exists with
 * other methods answers 405 with `Allow`; a route not yet available at the request's
 * microversion is treated as absent, as Placement does.
 */
export class Router {
  private readonly routes: Route[] = [];

  /** Routes of one path are answered in `Allow` in the order they are added, as Placement lists them. */
  add(method: string, pattern: string, handler: Handler, since: [number, number] = [1, 0], options: { below405?: boolean } = {}): this {
    this.routes.push({ method, segments: split(pattern), handler, since, below405: options.below405 ?? false });
    return this;
  }

  match(method: string, path: string, version: Microversion): Match {
    const segments = split(path);
    const allowed: string[] = [];
    let sameMethodTooEarly: Route | undefined;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      if (!allowed.includes(route.method)) allowed.push(route.method);
      if (route.method !== method) continue;
      if (version.atLeast(route.since[0], route.since[1])) return { handler: route.handler, params };
      sameMethodTooEarly = route;
    }
    if (allowed.length === 0) throw new HttpError(404, '', { vary: false });
    // A route the request's microversion does not have yet is absent (404); Placement's DELETE of
    // all inventories answers 405 without Allow instead.
    if (sameMethodTooEarly !== undefined) {
      if (sameMethodTooEarly.below405) throw new HttpError(405, '', { template: 'method', method });
      throw new HttpError(404, '');
    }
    // Allow lists every method of the path, whatever the microversion, as Placement does.
    throw new HttpError(405, 'The method specified is not allowed for this resource.', {
      headers: { allow: allowed.join(', ') },
      template: 'method',
      method,
    });
  }
}

function split(path: string): string[] {
  // A trailing slash is a different path, as in Placement: keep the empty last segment.
  const parts = path.split('/');
  return parts.slice(1);
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const s = segments[i] as string;
    if (p.startsWith('{') && p.endsWith('}')) {
      // A parameter is never empty (Routes' default requirement): `/resource_providers/` is no route.
      if (s === '') return undefined;
      let value: string;
      try {
        value = decodeURIComponent(s);
      } catch {
        return undefined;
      }
      params[p.slice(1, -1)] = value;
    } else if (p !== s) return undefined;
  }
  return params;
}
