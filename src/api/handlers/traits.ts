import type { RequestContext, Reply } from '../context.js';
import { HttpError } from '../http-error.js';
import { allowQuery, deferJson, location, queryOne } from '../http-util.js';
import { authorize } from '../policy.js';
import type { Router } from '../router.js';
import type { JsonSchema } from '../schema.js';
import { CUSTOM_PATTERN, validateBody } from '../schema.js';
import { GENERATION_CHANGED, freshNow, generationConflict } from './subresource-util.js';

const CUSTOM = new RegExp(CUSTOM_PATTERN);

export const SET_PROVIDER_TRAITS: JsonSchema = {
  type: 'object',
  properties: {
    traits: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 255 } },
    resource_provider_generation: { type: 'integer' },
  },
  required: ['traits', 'resource_provider_generation'],
  additionalProperties: false,
};

function list(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:traits:list', 'read');
  allowQuery(ctx, ['name', 'associated']);
  const filter: { prefix?: string; names?: string[]; associated?: boolean } = {};
  const name = queryOne(ctx, 'name');
  if (name !== undefined) {
    const colon = name.indexOf(':');
    if (colon < 0) {
      throw new HttpError(
        400,
        `Badly formatted name parameter. Expected name query string parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "${name}"`,
      );
    }
    const op = name.slice(0, colon);
    const value = name.slice(colon + 1);
    // Any other operator filters nothing, as in Placement.
    if (op === 'in') filter.names = value.split(',');
    else if (op === 'startswith') filter.prefix = value;
  }
  const associated = queryOne(ctx, 'associated');
  if (associated !== undefined) {
    const v = associated.toLowerCase();
    if (v !== 'true' && v !== 'false') throw new HttpError(400, 'The query parameter "associated" only accepts "true" or "false"');
    filter.associated = v === 'true';
  }
  return { status: 200, body: { traits: ctx.engine.listTraits(filter) }, headers: freshNow(ctx) };
}

function show(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:traits:show', 'read');
  const name = ctx.params['name'] as string;
  if (!ctx.engine.hasTrait(name)) throw new HttpError(404, `No such trait(s): ${name}.`);
  return { status: 204, headers: freshNow(ctx) };
}

function ensure(ctx: RequestContext): Reply {
  // No body is read (and so no 415), as in Placement.
  authorize(ctx, 'placement:traits:update', 'write');
  const name = ctx.params['name'] as string;
  if (name.length > 255 || !CUSTOM.test(name)) {
    throw new HttpError(
      400,
      'The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"',
    );
  }
  const created = ctx.engine.ensureTrait(name);
  return { status: created ? 201 : 204, headers: { ...location(ctx.url(`/traits/${name}`)), ...freshNow(ctx) } };
}

function remove(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:traits:delete', 'write');
  const name = ctx.params['name'] as string;
  if (!ctx.engine.hasTrait(name)) throw new HttpError(404, `No such trait(s): ${name}.`);
  // Standard → 400, in use by a provider → 409: the engine's errors carry both.
  ctx.engine.deleteTrait(name);
  return { status: 204 };
}

function providerTraits(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:traits:list', 'read');
  const { generation, traits } = ctx.engine.getProviderTraits(ctx.params['uuid'] as string);
  return { status: 200, body: { traits, resource_provider_generation: generation }, headers: freshNow(ctx) };
}

function setProviderTraits(ctx: RequestContext): Reply {
  const raw = deferJson(ctx);
  authorize(ctx, 'placement:resource_providers:traits:update', 'write');
  // This handler validates the body before looking the provider up.
  const body = validateBody<{ traits: string[]; resource_provider_generation: number }>(SET_PROVIDER_TRAITS, raw());
  const p = ctx.engine.requireProvider(ctx.params['uuid'] as string);
  if (body.resource_provider_generation !== p.generation) throw generationConflict(GENERATION_CHANGED);
  const missing = [...new Set(body.traits.filter((t) => !ctx.engine.hasTrait(t)))];
  if (missing.length > 0) throw new HttpError(400, `No such trait ${missing.join(', ')}`);
  ctx.engine.setProviderTraits(p.uuid, p.generation, body.traits);
  const { generation, traits } = ctx.engine.getProviderTraits(p.uuid);
  return { status: 200, body: { traits, resource_provider_generation: generation }, headers: freshNow(ctx) };
}

function clearProviderTraits(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:traits:delete', 'write');
  ctx.engine.deleteProviderTraits(ctx.params['uuid'] as string);
  return { status: 204 };
}

export function registerTraits(router: Router): void {
  router
    .add('GET', '/resource_providers/{uuid}/traits', providerTraits, [1, 6])
    .add('PUT', '/resource_providers/{uuid}/traits', setProviderTraits, [1, 6])
    .add('DELETE', '/resource_providers/{uuid}/traits', clearProviderTraits, [1, 6])
    .add('GET', '/traits', list, [1, 6])
    .add('GET', '/traits/{name}', show, [1, 6])
    .add('PUT', '/traits/{name}', ensure, [1, 6])
    .add('DELETE', '/traits/{name}', remove, [1, 6]);
}
