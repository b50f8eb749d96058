import { PlacementInventoryInUseError } from '../../placement/errors.js';
import type { Inventory, InventoryInput } from '../../placement/types.js';
import { MAX_INT, MAX_RATIO } from '../../placement/validate.js';
import type { RequestContext, Reply } from '../context.js';
import { HttpError } from '../http-error.js';
import { deferJson, freshness, location } from '../http-util.js';
import { authorize } from '../policy.js';
import type { Router } from '../router.js';
import type { JsonSchema } from '../schema.js';
import { NAME_PATTERN, validateBody } from '../schema.js';
import { generationConflict } from './subresource-util.js';

/** An inventory record as the API shows and takes it. */
export interface InventoryJson {
  total: number;
  reserved?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  allocation_ratio?: number;
}

const int = (minimum: number): JsonSchema => ({ type: 'integer', minimum, maximum: MAX_INT });

// R41: the bounds of each field; no lower bound on allocation_ratio, no cross-field checks.
const INVENTORY_FIELDS: Record<string, JsonSchema> = {
  total: int(1),
  reserved: int(0),
  min_unit: int(1),
  max_unit: int(1),
  step_size: int(1),
  allocation_ratio: { type: 'number', maximum: MAX_RATIO },
};

/** PUT …/inventories/{rc}: one record plus the generation, both required. */
export const PUT_ONE_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { ...INVENTORY_FIELDS, resource_provider_generation: { type: 'integer' } },
  required: ['total', 'resource_provider_generation'],
  additionalProperties: false,
};

/** POST …/inventories: one record naming its class; the generation is accepted and ignored. */
export const POST_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    ...INVENTORY_FIELDS,
    resource_class: { type: 'string', pattern: NAME_PATTERN },
    resource_provider_generation: { type: 'integer' },
  },
  required: ['total', 'resource_class'],
  additionalProperties: false,
};

/** One record of PUT …/inventories: as Placement's, it may carry the provider generation (ignored). */
const RECORD_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { ...INVENTORY_FIELDS, resource_provider_generation: { type: 'integer' } },
  required: ['total'],
  additionalProperties: false,
};

/**
 * PUT …/inventories, and each provider's entry of POST /reshaper. As in Placement, only keys that
 * look like class names are schema-checked; other keys pass the schema and are refused afterwards
 * as unknown classes.
 */
export const PUT_ALL_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    resource_provider_generation: { type: 'integer' },
    inventories: { type: 'object', patternProperties: { [NAME_PATTERN]: RECORD_SCHEMA } },
  },
  required: ['resource_provider_generation', 'inventories'],
  additionalProperties: false,
};

const NAME = new RegExp(NAME_PATTERN);

/**
 * A float as Python's json module writes it. Placement stores allocation_ratio as a float and
 * answers `4.0`, not `4`: Python clients (osc-placement prints it as given) see a float, so the
 * inventory answers are written as text rather than with JSON.stringify.
 */
export function pythonFloat(x: number): string {
  if (!Number.isFinite(x)) return JSON.stringify(x);
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e16 || abs < 1e-4) {
    // repr switches to exponent form at these bounds, with at least two exponent digits (1e-05).
    const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
    return `${mantissa}e${exponent[0] as string}${exponent.slice(1).padStart(2, '0')}`;
  }
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}

/** One inventory record (and the provider generation, when given) as Placement writes it. */
function inventoryText(inv: Inventory, generation?: number): string {
  const gen = generation === undefined ? '' : `,"resource_provider_generation":${generation}`;
  return (
    `{"total":${inv.total},"reserved":${inv.reserved},"min_unit":${inv.minUnit},"max_unit":${inv.maxUnit},` +
    `"step_size":${inv.stepSize},"allocation_ratio":${pythonFloat(inv.allocationRatio)}${gen}}`
  );
}

/** `{resource_provider_generation, inventories}` as Placement writes it. */
function inventoriesText(generation: number, inventories: Record<string, Inventory>): string {
  const records = Object.entries(inventories).map(([rc, inv]) => `${JSON.stringify(rc)}:${inventoryText(inv)}`);
  return `{"resource_provider_generation":${generation},"inventories":{${records.join(',')}}}`;
}

/** The engine's input for an API inventory record (also the reshaper's). */
export function toInput(j: InventoryJson): InventoryInput {
  const out: InventoryInput = { total: j.total };
  if (j.reserved !== undefined) out.reserved = j.reserved;
  if (j.min_unit !== undefined) out.minUnit = j.min_unit;
  if (j.max_unit !== undefined) out.maxUnit = j.max_unit;
  if (j.step_size !== undefined) out.stepSize = j.step_size;
  if (j.allocation_ratio !== undefined) out.allocationRatio = j.allocation_ratio;
  return out;
}

/**
 * R42: the truncated capacity may not be negative, and before 1.26 not zero either (reserved
 * equal to total). Checked before the class is resolved, as Placement does.
 */
function checkCapacity(ctx: RequestContext, verb: 'create' | 'update', uuid: string, rc: string, j: InventoryJson): void {
  const capacity = Math.trunc((j.total - (j.reserved ?? 0)) * (j.allocation_ratio ?? 1.0));
  const unable = `Unable to ${verb} inventory for resource provider ${uuid}: Invalid inventory for '${rc}' on resource provider '${uuid}'.`;
  if (capacity < 0) throw new HttpError(400, `${unable} The reserved value is greater than total.`);
  if (capacity === 0 && !ctx.version.atLeast(1, 26)) throw new HttpError(400, `${unable} The reserved value is greater than or equal to total.`);
}

function newestOf(ctx: RequestContext, uuid: string): number {
  return ctx.engine.requireProvider(uuid).updatedAt;
}

function list(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:inventories:list', 'read');
  const uuid = ctx.params['uuid'] as string;
  const p = ctx.engine.requireProvider(uuid);
  const { generation, inventories } = ctx.engine.getInventories(uuid);
  const rawJson = inventoriesText(generation, inventories);
  let headers = freshness(ctx, p.updatedAt);
  // Placement's quirk: with no inventory there is no time to show, only the cache-control.
  if (Object.keys(inventories).length === 0 && headers['last-modified'] !== undefined) headers = { 'cache-control': 'no-cache' };
  return { status: 200, rawJson, headers };
}

function create(ctx: RequestContext): Reply {
  const raw = deferJson(ctx);
  authorize(ctx, 'placement:resource_providers:inventories:create', 'write');
  const uuid = ctx.params['uuid'] as string;
  const p = ctx.engine.requireProvider(uuid);
  const body = validateBody<InventoryJson & { resource_class: string }>(POST_SCHEMA, raw());
  const rc = body.resource_class;
  checkCapacity(ctx, 'create', p.uuid, rc, body);
  if (!ctx.engine.hasResourceClass(rc)) {
    throw new HttpError(400, `Unable to create inventory for resource provider ${p.uuid}: No such resource class ${rc}.`);
  }
  if (ctx.engine.getInventories(p.uuid).inventories[rc] !== undefined) {
    throw new HttpError(409, `Update conflict: Inventory for '${rc}' on resource provider '${p.uuid}' already exists.`, {
      code: 'placement.concurrent_update',
    });
  }
  const generation = ctx.engine.addInventory(p.uuid, null, rc, toInput(body));
  const inv = ctx.engine.getInventory(p.uuid, rc);
  return {
    status: 201,
    rawJson: inventoryText(inv, generation),
    headers: { ...location(ctx.url(`/resource_providers/${p.uuid}/inventories/${rc}`)), ...freshness(ctx, newestOf(ctx, p.uuid)) },
  };
}

function replaceAll(ctx: RequestContext): Reply {
  const raw = deferJson(ctx);
  authorize(ctx, 'placement:resource_providers:inventories:update', 'write');
  const uuid = ctx.params['uuid'] as string;
  const p = ctx.engine.requireProvider(uuid);
  const body = validateBody<{ resource_provider_generation: number; inventories: Record<string, unknown> }>(PUT_ALL_SCHEMA, raw());
  if (body.resource_provider_generation !== p.generation) throw generationConflict('resource provider generation conflict');
  const inputs: Record<string, InventoryInput> = {};
  for (const [rc, record] of Object.entries(body.inventories)) {
    if (!NAME.test(rc)) {
      // Not schema-checked, and never a class: the engine refuses it as an unknown class.
      inputs[rc] = record as InventoryInput;
      continue;
    }
    checkCapacity(ctx, 'update', p.uuid, rc, record as InventoryJson);
    inputs[rc] = toInput(record as InventoryJson);
  }
  for (const rc of Object.keys(inputs)) {
    if (!ctx.engine.hasResourceClass(rc)) {
      throw new HttpError(400, `Unknown resource class in inventory for resource provider ${p.uuid}: No such resource class ${rc}.`);
    }
  }
  let generation: number;
  try {
    generation = ctx.engine.setInventories(p.uuid, p.generation, inputs);
  } catch (error) {
    if (error instanceof PlacementInventoryInUseError) throw new HttpError(409, `update conflict: ${error.message}`, { code: error.placementCode, cause: error });
    throw error;
  }
  const { inventories } = ctx.engine.getInventories(p.uuid);
  return {
    status: 200,
    rawJson: inventoriesText(generation, inventories),
    headers: freshness(ctx, newestOf(ctx, p.uuid)),
  };
}

function removeAll(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:inventories:delete', 'write');
  // No generation check (R48); classes still allocated make it a 409 placement.inventory.inuse.
  ctx.engine.deleteInventories(ctx.params['uuid'] as string);
  return { status: 204 };
}

function show(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:inventories:show', 'read');
  const uuid = ctx.params['uuid'] as string;
  const rc = ctx.params['resource_class'] as string;
  const p = ctx.engine.requireProvider(uuid);
  const { generation, inventories } = ctx.engine.getInventories(uuid);
  const inv = inventories[rc];
  if (inv === undefined) throw new HttpError(404, `No inventory of class ${rc} for ${p.uuid}`);
  return { status: 200, rawJson: inventoryText(inv, generation), headers: freshness(ctx, p.updatedAt) };
}

function update(ctx: RequestContext): Reply {
  const raw = deferJson(ctx);
  authorize(ctx, 'placement:resource_providers:inventories:update', 'write');
  const uuid = ctx.params['uuid'] as string;
  const rc = ctx.params['resource_class'] as string;
  const p = ctx.engine.requireProvider(uuid);
  const body = validateBody<InventoryJson & { resource_provider_generation: number }>(PUT_ONE_SCHEMA, raw());
  if (body.resource_provider_generation !== p.generation) throw generationConflict('resource provider generation conflict');
  checkCapacity(ctx, 'update', p.uuid, rc, body);
  // An unknown class in the path is a 404 here (Placement lets its NotFound escape), a known
  // class without inventory a 400.
  if (!ctx.engine.hasResourceClass(rc)) throw new HttpError(404, `No such resource class ${rc}.`);
  if (ctx.engine.getInventories(p.uuid).inventories[rc] === undefined) {
    throw new HttpError(400, `No inventory record with resource class for resource provider ${p.uuid}: No inventory of class ${rc} found.`);
  }
  const generation = ctx.engine.updateInventory(p.uuid, p.generation, rc, toInput(body));
  const inv = ctx.engine.getInventory(p.uuid, rc);
  return {
    status: 200,
    rawJson: inventoryText(inv, generation),
    headers: freshness(ctx, newestOf(ctx, p.uuid)),
  };
}

function remove(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:inventories:delete', 'write');
  const uuid = ctx.params['uuid'] as string;
  const rc = ctx.params['resource_class'] as string;
  const p = ctx.engine.requireProvider(uuid);
  if (ctx.engine.getInventories(p.uuid).inventories[rc] === undefined) {
    throw new HttpError(404, `No inventory of class ${rc} found for delete: No inventory of class ${rc} on resource provider ${p.uuid}.`);
  }
  try {
    ctx.engine.deleteInventory(p.uuid, null, rc);
  } catch (error) {
    // R47: in use is a 409 with placement.concurrent_update (the engine's error carries that code).
    if (error instanceof PlacementInventoryInUseError) {
      throw new HttpError(409, `Unable to delete inventory of class ${rc}: ${error.message}`, { code: error.placementCode, cause: error });
    }
    throw error;
  }
  return { status: 204 };
}

export function registerInventories(router: Router): void {
  router
    .add('GET', '/resource_providers/{uuid}/inventories', list)
    .add('POST', '/resource_providers/{uuid}/inventories', create)
    .add('PUT', '/resource_providers/{uuid}/inventories', replaceAll)
    .add('DELETE', '/resource_providers/{uuid}/inventories', removeAll, [1, 5], { below405: true })
    .add('GET', '/resource_providers/{uuid}/inventories/{resource_class}', show)
    .add('PUT', '/resource_providers/{uuid}/inventories/{resource_class}', update)
    .add('DELETE', '/resource_providers/{uuid}/inventories/{resource_class}', remove);
}
