import type { ConsumerAllocationsWrite, InventoryInput } from './types.js';

/**
 * Every committed write, as plain JSON. The engine applies writes only through these, which is
 * what makes the journal and replication exact: replaying the same ops on the same state yields
 * the same state, generations and slots included. Anything the engine would otherwise choose
 * itself (uuids, timestamps) is decided before the op is built and travels inside it.
 *
 * A `generation` of `null` means "write without the generation check" (Placement endpoints that
 * take no generation, such as DELETE of a provider's traits).
 */
export type WriteOp =
  | { type: 'createResourceClass'; name: string }
  | { type: 'deleteResourceClass'; name: string }
  | { type: 'renameResourceClass'; name: string; newName: string }
  | { type: 'createTrait'; name: string }
  | { type: 'deleteTrait'; name: string }
  | { type: 'createProvider'; uuid: string; name: string; parentUuid: string | null; at: number }
  | { type: 'updateProvider'; uuid: string; name: string; parentUuid: string | null; at: number }
  | { type: 'deleteProvider'; uuid: string }
  | {
      type: 'setInventories';
      uuid: string;
      generation: number | null;
      inventories: Record<string, InventoryInput>;
      at: number;
    }
  | {
      type: 'addInventory' | 'updateInventory';
      uuid: string;
      generation: number | null;
      resourceClass: string;
      inventory: InventoryInput;
      at: number;
    }
  | { type: 'deleteInventory'; uuid: string; generation: number | null; resourceClass: string; at: number }
  | {
      type: 'setAggregates';
      uuid: string;
      generation: number | null;
      aggregates: string[];
      at: number;
      /** false: leave the generation alone, as Placement did before microversion 1.19. */
      bumpGeneration?: boolean;
    }
  | { type: 'setProviderTraits'; uuid: string; generation: number | null; traits: string[]; at: number }
  | { type: 'writeAllocations'; consumers: ConsumerAllocationsWrite[]; at: number }
  | { type: 'deleteAllocations'; consumerUuid: string; at: number }
  | {
      type: 'reshape';
      inventories: Record<string, { generation: number; inventories: Record<string, InventoryInput> }>;
      allocations: ConsumerAllocationsWrite[];
      at: number;
    };

/** A committed write with its position in the change log. */
export interface ChangeEntry {
  seq: number;
  op: WriteOp;
}
