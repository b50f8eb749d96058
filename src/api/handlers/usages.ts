import type { Router } from '../router.js';

export function registerUsages(_router: Router): void {
  // Routes are added as the endpoints are written.
}
