import { MAX_VERSION, MIN_VERSION } from '../microversion.js';

/** GET / : Placement's version discovery document (no auth needed). */
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
