/** Public data shapes of the placement engine. Names follow Placement's API fields, in camelCase. */

export interface Inventory {
  total: number;
  reserved: number;
  minUnit: number;
  maxUnit: number;
  stepSize: number;
  allocationRatio: number;
}

/** An inventory as written: everything but `total` has Placement's default. */
export interface InventoryInput {
  total: number;
  reserved?: number;
  minUnit?: number;
  maxUnit?: number;
  stepSize?: number;
  allocationRatio?: number;
}

export interface ProviderView {
  uuid: string;
  name: string;
  generation: number;
  parentUuid: string | null;
  rootUuid: string;
  createdAt: number;
  updatedAt: number;
}

export interface ProviderInventories {
  generation: number;
  inventories: Record<string, Inventory>;
}

export interface ProviderUsages {
  generation: number;
  usages: Record<string, number>;
}

/** Resources per resource class. */
export type Resources = Record<string, number>;

export interface ConsumerAllocationsWrite {
  consumerUuid: string;
  /** Provider uuid → resources. Empty removes the consumer's allocations (and the consumer). */
  allocations: Record<string, Resources>;
  projectId: string;
  userId: string;
  /**
   * The consumer generation the writer last saw: `null` when it believes the consumer is new,
   * `undefined` to write without the check (Placement before microversion 1.28).
   */
  consumerGeneration?: number | null;
  consumerType?: string;
}

export interface ConsumerAllocations {
  consumerUuid: string;
  projectId: string;
  userId: string;
  consumerType: string;
  consumerGeneration: number;
  /** Provider uuid → that provider's generation and the resources held there. */
  allocations: Record<string, { generation: number; resources: Resources }>;
  createdAt: number;
  updatedAt: number;
}

export interface ProviderAllocations {
  generation: number;
  /** Consumer uuid → resources held on this provider. */
  allocations: Record<string, { resources: Resources }>;
}

export interface UsageQuery {
  projectId: string;
  userId?: string;
  consumerType?: string;
}

/** `GET /usages` at 1.38: totals per consumer type, with `all` for every type together. */
export type UsagesByConsumerType = Record<string, { consumerCount: number; usages: Resources }>;

export interface ProviderFilter {
  name?: string;
  uuid?: string;
  /** Every entry is an any-of list of aggregate uuids; all entries must match. */
  memberOf?: readonly (readonly string[])[];
  /** Providers in none of these aggregates. */
  forbiddenAggregates?: readonly string[];
  inTree?: string;
  /** Each any-of list must be satisfied by the provider's own traits. */
  required?: readonly (readonly string[])[];
  forbidden?: readonly string[];
  /** Providers with capacity for all of these amounts. */
  resources?: Resources;
}

export interface ReshapeInput {
  /** Provider uuid → generation the writer saw and the provider's complete new inventory. */
  inventories: Record<string, { generation: number; inventories: Record<string, InventoryInput> }>;
  /** Consumers whose complete allocations are replaced. */
  allocations: ConsumerAllocationsWrite[];
}

export const DEFAULT_CONSUMER_TYPE = 'unknown';
