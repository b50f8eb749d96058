import type { Router } from '../router.js';

export function registerTraits(_router: Router): void {
  // Routes are added as the endpoints are written.
}
