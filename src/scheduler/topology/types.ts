/**
 * PCI devices (passthrough, GPUs, SR-IOV virtual functions) as Nova's PCI tracker sees them: pools of
 * identical devices per host, and what a guest asks for (Nova's `pci_passthrough:alias` and the
 * neutron ports' SR-IOV requests).
 */

/**
 * Nova's PCI NUMA affinity policy (the alias' `numa_policy`, `hw:pci_numa_affinity_policy`):
 * - `required`: devices only from the host NUMA cells the guest's cells are on; devices with no
 *   NUMA information are not usable;
 * - `legacy` (default): devices with NUMA information must be on the guest's cells; devices with none
 *   are usable;
 * - `preferred`: devices on the guest's cells when enough are free there, any devices otherwise.
 * A guest without a NUMA topology takes devices from any cell under every policy.
 */
export type PciNumaPolicy = 'required' | 'preferred' | 'legacy';

/** A pool of identical devices on one host. */
export interface PciPool {
  readonly vendorId: string;
  readonly productId: string;
  /** The physical network of an SR-IOV NIC's VFs; absent for other devices. */
  readonly physnet?: string;
  /** The host NUMA cell id the devices are attached to; −1 when unknown. */
  readonly numaNode: number;
  /** Devices in the pool. */
  readonly count: number;
}

/** Devices a guest asks for: `count` devices matching vendor, product and (when given) physnet. */
export interface PciRequest {
  readonly vendorId: string;
  readonly productId: string;
  readonly physnet?: string;
  readonly count: number;
  readonly numaPolicy?: PciNumaPolicy;
}

/** Devices taken from one pool (index into the host's pools). */
export interface PciClaim {
  readonly pool: number;
  readonly count: number;
}
