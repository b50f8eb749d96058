/**
 * The path and query of an HTTP request target, as the server routes them.
 */

/**
 * Targets made only of these need none of WHATWG URL's normalisation (a leading `//`
 * would name a host, so it is left to URL).
 */
const PLAIN_URL = /^\/(?!\/)[A-Za-z0-9_\-/]*(?:\?[A-Za-z0-9_\-.,:=&!%+]*)?$/;

/**
 * The path and query of a request target. The usual plain one is split directly (URL's parser
 * costs more than the rest of a small request's routing); anything else goes through URL, whose
 * normalisation (dot segments, percent-encoding, a `#`) the answer then follows.
 */
export function splitTarget(target: string | undefined): { path: string; query: URLSearchParams } {
  const raw = target ?? '/';
  if (PLAIN_URL.test(raw)) {
    const q = raw.indexOf('?');
    return q < 0 ? { path: raw, query: new URLSearchParams() } : { path: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
  }
  const url = new URL(raw, 'http://placement');
  return { path: url.pathname, query: url.searchParams };
}

/** The path of a request target, for the log (the raw text before any `?`). */
export function pathOf(target: string | undefined): string {
  const raw = target ?? '';
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}

