import type { Reply, RequestContext } from '../context.js';
import { freshness } from '../http-util.js';
import { MAX_VERSION, MIN_VERSION } from '../microversion.js';

/**
 * GET / : version discovery. No token is needed (the server skips authentication for this path,
 * as Placement's auth middleware does), but the version header is negotiated as on any other path.
 */
export function home(ctx: RequestContext): Reply {
  // Placement stamps the document with the time it is served.
  return { status: 200, body: versionDocument(), headers: freshness(ctx, Date.now()) };
}

/** Placement's version discovery document. */
export function versionDocument(): unknown {
  return {
    versions: [
      {
        id: `v${MIN_VERSION.major}.${MIN_VERSION.minor}`,
        max_version: MAX_VERSION.toString(),
        min_version: MIN_VERSION.toString(),
        status: 'CURRENT',
        links: [{ rel: 'self', href: '' }],
      },
    ],
  };
}
