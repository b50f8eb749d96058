import { PlacementInvalidError } from './errors.js';
import type { Inventory, InventoryInput } from './types.js';

/** Placement's integer ceiling for inventory fields and amounts (a signed 32-bit column). */
export const MAX_INT = 2147483647;
/** The largest allocation_ratio Placement stores (a single-precision float column). */
export const MAX_RATIO = 3.40282e38;
export const MAX_PROVIDER_NAME = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

const DASHLESS_UUID = /^[0-9a-fA-F]{32}$/;

/**
 * The canonical form of a uuid given dashed or dash-less, in either case, as Placement accepts
 * both; anything else is returned unchanged for requireUuid to refuse.
 */
export function normalizeUuid<T>(value: T): T | string {
  if (typeof value !== 'string') return value;
  const v = DASHLESS_UUID.test(value) ? `${value.slice(0, 8)}-${value.slice(8, 12)}-${value.slice(12, 16)}-${value.slice(16, 20)}-${value.slice(20)}` : value;
  return v.toLowerCase();
}

export function requireUuid(value: unknown, what: string): string {
  if (!isUuid(value)) throw new PlacementInvalidError(`${what} is not a valid UUID (lower-case, dashed form).`);
  return value;
}

export function requireProviderName(value: unknown): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > MAX_PROVIDER_NAME) {
    throw new PlacementInvalidError(`Resource provider name must be a string of 1 to ${MAX_PROVIDER_NAME} characters.`);
  }
  return value;
}

function intField(value: unknown, field: string, min: number, rc: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_INT) {
    throw new PlacementInvalidError(`Inventory of ${rc}: ${field} must be an integer from ${min} to ${MAX_INT}.`);
  }
  return value;
}

/**
 * Fills Placement's defaults and applies its checks: the JSON-schema bounds, and a capacity that is
 * not negative (reserved equal to total is allowed, as from microversion 1.26). Placement does not
 * check min_unit against max_unit or max_unit against total, and neither do we.
 */
export function normalizeInventory(rc: string, input: InventoryInput): Inventory {
  if (typeof input !== 'object' || input === null) throw new PlacementInvalidError(`Inventory of ${rc} must be an object.`);
  const total = intField(input.total, 'total', 1, rc);
  const reserved = intField(input.reserved ?? 0, 'reserved', 0, rc);
  const minUnit = intField(input.minUnit ?? 1, 'min_unit', 1, rc);
  const maxUnit = intField(input.maxUnit ?? MAX_INT, 'max_unit', 1, rc);
  const stepSize = intField(input.stepSize ?? 1, 'step_size', 1, rc);
  const allocationRatio = input.allocationRatio ?? 1.0;
  // Placement's schema sets no lower bound on the ratio; the capacity check below is what refuses
  // a negative one.
  if (typeof allocationRatio !== 'number' || !Number.isFinite(allocationRatio) || allocationRatio > MAX_RATIO) {
    throw new PlacementInvalidError(`Inventory of ${rc}: allocation_ratio must be a finite number of at most ${MAX_RATIO}.`);
  }
  if (Math.trunc((total - reserved) * allocationRatio) < 0) {
    throw new PlacementInvalidError(`Invalid inventory for ${rc}: the reserved value is greater than total.`);
  }
  return { total, reserved, minUnit, maxUnit, stepSize, allocationRatio };
}

export function requireAmount(value: unknown, rc: string, provider: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_INT) {
    throw new PlacementInvalidError(`Allocation of ${rc} on resource provider ${provider}: amount must be an integer from 1 to ${MAX_INT}.`);
  }
  return value;
}

export function requireGeneration(value: unknown, what: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new PlacementInvalidError(`${what} generation must be a non-negative integer.`);
  }
  return value;
}

export function requireIdString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 255) {
    throw new PlacementInvalidError(`${what} must be a string of 1 to 255 characters.`);
  }
  return value;
}

/** Consumer types as Placement 1.38 accepts them. */
const CONSUMER_TYPE = /^[A-Z0-9_]+$/;
export function requireConsumerType(value: unknown): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 255 || !CONSUMER_TYPE.test(value)) {
    throw new PlacementInvalidError('consumer_type must match ^[A-Z0-9_]+$ and be at most 255 characters.');
  }
  return value;
}
