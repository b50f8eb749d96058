import { canonicalUuid } from '../uuid-like.js';
import { PlacementInventoryInUseError } from '../../placement/errors.js';
import type { InventoryInput, ReshapeInput } from '../../placement/types.js';
import type { Reply, RequestContext } from '../context.js';
import { HttpError } from '../http-error.js';
import type { Microversion } from '../microversion.js';
import { authorize } from '../policy.js';
import { deferJson } from '../http-util.js';
import type { Router } from '../router.js';
import type { JsonSchema } from '../schema.js';
import { NAME_PATTERN, validateBody } from '../schema.js';
import type { ConsumerBody } from './allocations-util.js';
import { PUT_ALL_SCHEMA, toInput, type InventoryJson } from './inventories.js';
import {
  UUID_KEY_PATTERN,
  checkConsumerGenerations,
  checkProvidersExist,
  consumersSchema,
  requireVersion,
  toWrite,
  unknownResourceClass,
} from './allocations-util.js';

const schemas = new Map<string, JsonSchema>();
/** The body at a microversion: 1.30 base, `mappings` accepted from 1.34, `consumer_type` required from 1.38. */
export function reshapeSchema(version: Microversion): JsonSchema {
  const key = version.atLeast(1, 38) ? '1.38' : version.atLeast(1, 34) ? '1.34' : '1.30';
  let s = schemas.get(key);
  if (s === undefined) {
    s = {
      type: 'object',
      properties: {
        inventories: {
          type: 'object',
          minProperties: 1,
          patternProperties: { [UUID_KEY_PATTERN]: PUT_ALL_SCHEMA },
          additionalProperties: false,
        },
        allocations: consumersSchema(version, 0),
      },
      required: ['inventories', 'allocations'],
      additionalProperties: false,
    };
    schemas.set(key, s);
  }
  return s;
}

interface ReshapeBody {
  inventories: Record<string, { resource_provider_generation: number; inventories: Record<string, unknown> }>;
  allocations: Record<string, ConsumerBody>;
}

const RC_NAME = new RegExp(NAME_PATTERN);

function toInventoryInput(provider: string, rc: string, record: unknown): InventoryInput {
  // Records under keys that are not class names skipped the schema; Placement refuses the ones it
  // cannot even build an inventory from.
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new HttpError(400, `Bad inventory ${rc} for resource provider ${provider}: the inventory must be an object.`);
  }
  return toInput(record as InventoryJson);
}

/**
 * POST /reshaper (1.30): new inventories for some providers and new allocations for some
 * consumers, in one atomic write. Placement's order: each named provider exists (400) and has the
 * given generation (409), in body order; then consumer generations (409); then providers named by
 * allocations (400); then unknown classes (400); then the write itself (capacity 409, inventory
 * still in use 409).
 */
function reshape(ctx: RequestContext): Reply {
  requireVersion(ctx, 1, 30);
  const json = deferJson(ctx);
  authorize(ctx, 'placement:reshaper:reshape', 'write');
  const body = validateBody<ReshapeBody>(reshapeSchema(ctx.version), json());
  const engine = ctx.engine;

  const inventories: ReshapeInput['inventories'] = {};
  const inventoryClasses: string[] = [];
  for (const [key, entry] of Object.entries(body.inventories)) {
    const uuid = canonicalUuid(key) ?? key;
    const provider = engine.getProvider(uuid);
    if (provider === undefined) {
      throw new HttpError(400, `Resource provider ${key} in inventories not found: No resource provider with uuid ${key} found`, {
        code: 'placement.resource_provider.not_found',
      });
    }
    const given = entry.resource_provider_generation;
    if (given !== provider.generation) {
      throw new HttpError(409, `resource provider generation conflict for provider ${key}: actual: ${provider.generation}, given: ${given}`, {
        code: 'placement.concurrent_update',
      });
    }
    const records: Record<string, InventoryInput> = {};
    for (const [rc, record] of Object.entries(entry.inventories)) {
      records[rc] = toInventoryInput(key, rc, record);
      inventoryClasses.push(rc);
    }
    inventories[uuid] = { generation: given, inventories: records };
  }

  const writes = Object.entries(body.allocations).map(([consumer, entry]) => toWrite(ctx, consumer, entry));
  checkConsumerGenerations(ctx, writes);
  checkProvidersExist(ctx, writes);
  // The new inventories are written (and their classes resolved) before the allocations.
  const unknown = inventoryClasses.find((rc) => !RC_NAME.test(rc) || !engine.hasResourceClass(rc)) ?? unknownResourceClass(ctx, writes);
  if (unknown !== undefined) throw new HttpError(400, `malformed reshaper data: No such resource class ${unknown}.`);

  try {
    engine.reshape({ inventories, allocations: writes });
  } catch (error) {
    if (error instanceof PlacementInventoryInUseError) {
      throw new HttpError(409, `update conflict: ${error.message}`, { code: error.placementCode, cause: error });
    }
    throw error;
  }
  return { status: 204 };
}

export function registerReshaper(router: Router): void {
  // Routed at every version so that other methods get 405 with `Allow: POST`; 404 below 1.30.
  router.add('POST', '/reshaper', reshape);
}
