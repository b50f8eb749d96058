import { registerAggregates } from './handlers/aggregates.js';
import type { CandidateOptions } from './handlers/allocation-candidates.js';
import { registerAllocationCandidates } from './handlers/allocation-candidates.js';
import { registerAllocations } from './handlers/allocations.js';
import { registerInventories } from './handlers/inventories.js';
import { registerReshaper } from './handlers/reshaper.js';
import { registerResourceClasses } from './handlers/resource-classes.js';
import { registerResourceProviders } from './handlers/resource-providers.js';
import { registerTraits } from './handlers/traits.js';
import { registerUsages } from './handlers/usages.js';
import { Router } from './router.js';

export { versionDocument } from './handlers/root.js';
import { home } from './handlers/root.js';

export interface RouteOptions {
  /** Placement's `randomize_allocation_candidates`, with a seed for replay. */
  candidates?: CandidateOptions;
}

/** Every Placement route, with the microversion each appears at. */
export function placementRoutes(options: RouteOptions = {}): Router {
  const router = new Router();
  registerResourceProviders(router);
  registerInventories(router);
  registerAggregates(router);
  registerTraits(router);
  registerResourceClasses(router);
  registerUsages(router);
  registerAllocations(router);
  registerReshaper(router);
  registerAllocationCandidates(router, options.candidates);
  router.add('GET', '/', home);
  return router;
}
