/**
 * Per-host NUMA cells and PCI device pools, fitted and claimed together (see host-topologies.ts).
 *
 *   const topo = new HostTopologies();
 *   topo.setNuma(h, hostNuma);
 *   topo.setPools(h, [{ vendorId: '10de', productId: '2330', numaNode: 0, count: 4 }]);
 *   const plan = topo.plan(guestNuma, [{ vendorId: '10de', productId: '2330', count: 1, numaPolicy: 'required' }]);
 *   if (topo.fits(h, plan)) { const claim = topo.claim(h, plan); … topo.release(claim!); }
 */
export { SchedulerTopologyError } from './errors.js';
export { HostTopologies, NO_TOPOLOGY_PLAN, type TopologyClaim, type TopologyPlan } from './host-topologies.js';
export type { PciClaim, PciNumaPolicy, PciPool, PciRequest } from './types.js';
