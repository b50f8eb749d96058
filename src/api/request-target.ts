/**
 * The path and query of an HTTP request target, as the server routes them.
 *
 * The path is taken as sent, the way a WSGI server hands Placement its PATH_INFO: no dot segments
 * removed, no `//` read as a host (WHATWG URL does both, and throws on some targets a client can
 * send, which made a 500 of them). Percent-escapes are decoded per path parameter by the router.
 */
export function splitTarget(target: string | undefined): { path: string; query: URLSearchParams } {
  let raw = target ?? '/';
  if (!raw.startsWith('/')) {
    // The absolute form (RFC 9112 §3.2.2) is routed by its path and query; any other form matches no route.
    const absolute = URL.canParse(raw) ? new URL(raw) : undefined;
    raw = absolute === undefined ? raw : absolute.pathname + absolute.search;
  }
  const hash = raw.indexOf('#');
  if (hash >= 0) raw = raw.slice(0, hash);
  const q = raw.indexOf('?');
  return q < 0 ? { path: raw, query: new URLSearchParams() } : { path: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
}

/** The path of a request target, for the log (the raw text before any `?`). */
export function pathOf(target: string | undefined): string {
  const raw = target ?? '';
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}
