import { PlacementNotFoundError } from '../../placement/errors.js';
import type { ProviderFilter, ProviderView } from '../../placement/types.js';
import type { RequestContext, Reply } from '../context.js';
import { HttpError } from '../http-error.js';
import { authorize } from '../policy.js';
import { allowQuery, deferJson, freshness, location, queryOne } from '../http-util.js';
import type { Microversion } from '../microversion.js';
import type { Router } from '../router.js';
import type { JsonSchema } from '../schema.js';
import { validateBody, schemaVariant } from '../schema.js';
import { memberOfParams, requiredParams, resourcesParam, uuidParam } from './query-params.js';

/** How a provider is shown at the request's microversion. */
export function providerJson(ctx: RequestContext, p: ProviderView): Record<string, unknown> {
  const base = `/resource_providers/${p.uuid}`;
  const links = [
    { rel: 'self', href: base },
    { rel: 'inventories', href: `${base}/inventories` },
    { rel: 'usages', href: `${base}/usages` },
  ];
  if (ctx.version.atLeast(1, 1)) links.push({ rel: 'aggregates', href: `${base}/aggregates` });
  if (ctx.version.atLeast(1, 6)) links.push({ rel: 'traits', href: `${base}/traits` });
  if (ctx.version.atLeast(1, 11)) links.push({ rel: 'allocations', href: `${base}/allocations` });
  const out: Record<string, unknown> = { uuid: p.uuid, name: p.name, generation: p.generation, links };
  if (ctx.version.atLeast(1, 14)) {
    out['parent_provider_uuid'] = p.parentUuid;
    out['root_provider_uuid'] = p.rootUuid;
  }
  return out;
}

export function createSchema(version: Microversion): JsonSchema {
  const properties: Record<string, unknown> = {
    name: { type: 'string', maxLength: 200 },
    uuid: { type: 'string', format: 'uuid' },
  };
  if (version.atLeast(1, 14)) properties['parent_provider_uuid'] = { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] };
  return { type: 'object', properties, required: ['name'], additionalProperties: false };
}

function updateSchema(version: Microversion): JsonSchema {
  const properties: Record<string, unknown> = { name: { type: 'string', maxLength: 200 } };
  if (version.atLeast(1, 14)) properties['parent_provider_uuid'] = { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] };
  return { type: 'object', properties, required: ['name'], additionalProperties: false };
}


function list(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:list', 'read');
  const allowed = ['name', 'uuid'];
  if (ctx.version.atLeast(1, 3)) allowed.push('member_of');
  if (ctx.version.atLeast(1, 4)) allowed.push('resources');
  if (ctx.version.atLeast(1, 14)) allowed.push('in_tree');
  if (ctx.version.atLeast(1, 18)) allowed.push('required');
  allowQuery(ctx, allowed);
  // As Placement's handler: a repeated key counts with its last value (member_of and, from 1.39,
  // required are lists), and an empty name filters nothing.
  const filter: ProviderFilter = {};
  const q = ctx.query;
  const name = queryOne(ctx, 'name');
  if (name !== undefined && name !== '') filter.name = name;
  const uuid = queryOne(ctx, 'uuid');
  if (uuid !== undefined) filter.uuid = uuidParam(uuid);
  const inTree = queryOne(ctx, 'in_tree');
  if (inTree !== undefined) filter.inTree = uuidParam(inTree);
  if (q.has('member_of')) {
    const m = memberOfParams(ctx.version, 'member_of', q.getAll('member_of'));
    if (m.memberOf.length > 0) filter.memberOf = m.memberOf;
    if (m.forbidden.length > 0) filter.forbiddenAggregates = m.forbidden;
  }
  const resources = queryOne(ctx, 'resources');
  if (resources !== undefined) filter.resources = resourcesParam(resources);
  if (q.has('required')) {
    const t = requiredParams(ctx.version, q.getAll('required'));
    if (t.required.length > 0) filter.required = t.required;
    if (t.forbidden.length > 0) filter.forbidden = t.forbidden;
  }
  const providers = ctx.engine.listProviders(filter);
  const newest = providers.reduce((m, p) => Math.max(m, p.updatedAt), 0);
  return {
    status: 200,
    body: { resource_providers: providers.map((p) => providerJson(ctx, p)) },
    headers: freshness(ctx, providers.length === 0 ? Date.now() : newest),
  };
}

function create(ctx: RequestContext): Reply {
  const raw = deferJson(ctx);
  authorize(ctx, 'placement:resource_providers:create', 'write');
  const body = validateBody<{ name: string; uuid?: string; parent_provider_uuid?: string | null }>(
    schemaVariant(`resource-providers-create-${ctx.version.atLeast(1, 14)}`, () => createSchema(ctx.version)),
    raw(),
  );
  const input: { name: string; uuid?: string; parentUuid?: string | null } = { name: body.name };
  if (body.uuid !== undefined) input.uuid = body.uuid;
  if (body.parent_provider_uuid !== undefined) input.parentUuid = body.parent_provider_uuid;
  const p = ctx.engine.createProvider(input);
  const headers = location(ctx.url(`/resource_providers/${p.uuid}`));
  if (!ctx.version.atLeast(1, 20)) return { status: 201, headers };
  return { status: 200, body: providerJson(ctx, p), headers: { ...headers, ...freshness(ctx, p.updatedAt) } };
}

function show(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:show', 'read');
  const p = ctx.engine.requireProvider(ctx.params['uuid'] as string);
  return { status: 200, body: providerJson(ctx, p), headers: freshness(ctx, p.updatedAt) };
}

function update(ctx: RequestContext): Reply {
  const raw = deferJson(ctx);
  authorize(ctx, 'placement:resource_providers:update', 'write');
  const uuid = ctx.params['uuid'] as string;
  const current = ctx.engine.requireProvider(uuid);
  const body = validateBody<{ name: string; parent_provider_uuid?: string | null }>(
    schemaVariant(`resource-providers-update-${ctx.version.atLeast(1, 14)}`, () => updateSchema(ctx.version)),
    raw(),
  );
  const input: { name: string; parentUuid?: string | null } = { name: body.name };
  if (body.parent_provider_uuid !== undefined) {
    const next = body.parent_provider_uuid;
    // Before 1.37 a parent, once set, can be neither changed nor removed.
    if (!ctx.version.atLeast(1, 37) && current.parentUuid !== null && next !== current.parentUuid) {
      const what = next === null ? 'un-parenting' : 're-parenting';
      throw new HttpError(400, `Unable to save resource provider ${uuid}: Object action update failed because: ${what} a provider is not currently allowed.`);
    }
    input.parentUuid = next;
  }
  const p = ctx.engine.updateProvider(uuid, input);
  return { status: 200, body: providerJson(ctx, p), headers: freshness(ctx, p.updatedAt) };
}

function remove(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:delete', 'write');
  const uuid = ctx.params['uuid'] as string;
  try {
    ctx.engine.deleteProvider(uuid);
  } catch (error) {
    if (error instanceof PlacementNotFoundError && error.kind === 'resource_provider') {
      throw new HttpError(404, `No resource provider with uuid ${uuid} found for delete`, { cause: error });
    }
    throw error;
  }
  return { status: 204 };
}

export function registerResourceProviders(router: Router): void {
  router
    .add('GET', '/resource_providers', list)
    .add('POST', '/resource_providers', create)
    .add('GET', '/resource_providers/{uuid}', show)
    .add('DELETE', '/resource_providers/{uuid}', remove)
    .add('PUT', '/resource_providers/{uuid}', update);
}
