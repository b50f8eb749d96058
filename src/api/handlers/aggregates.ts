import { normalizeUuid } from '../../placement/validate.js';
import type { RequestContext, Reply } from '../context.js';
import { authorize } from '../policy.js';
import { deferJson } from '../http-util.js';
import type { Router } from '../router.js';
import type { JsonSchema } from '../schema.js';
import { UUID, validateBody } from '../schema.js';
import { GENERATION_CHANGED, freshNow, generationConflict } from './subresource-util.js';

const LIST: JsonSchema = { type: 'array', items: UUID, uniqueItems: true };

/** 1.1–1.18: a bare list of aggregate uuids. */
export const PUT_SCHEMA_1_1: JsonSchema = LIST;

/** From 1.19: the list and the provider generation, both required. */
export const PUT_SCHEMA_1_19: JsonSchema = {
  type: 'object',
  properties: { aggregates: LIST, resource_provider_generation: { type: 'integer' } },
  required: ['aggregates', 'resource_provider_generation'],
  additionalProperties: false,
};

function render(ctx: RequestContext, aggregates: readonly string[], generation: number): Reply {
  const body: Record<string, unknown> = { aggregates };
  if (ctx.version.atLeast(1, 19)) body['resource_provider_generation'] = generation;
  return { status: 200, body, headers: freshNow(ctx) };
}

function list(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:aggregates:list', 'read');
  const { generation, aggregates } = ctx.engine.getAggregates(ctx.params['uuid'] as string);
  return render(ctx, aggregates, generation);
}

function update(ctx: RequestContext): Reply {
  const raw = deferJson(ctx);
  authorize(ctx, 'placement:resource_providers:aggregates:update', 'write');
  const uuid = ctx.params['uuid'] as string;
  const p = ctx.engine.requireProvider(uuid);
  let wanted: string[];
  let generation: number | null = null;
  if (ctx.version.atLeast(1, 19)) {
    const body = validateBody<{ aggregates: string[]; resource_provider_generation: number }>(PUT_SCHEMA_1_19, raw());
    if (body.resource_provider_generation !== p.generation) throw generationConflict(GENERATION_CHANGED);
    wanted = body.aggregates;
    generation = p.generation;
  } else {
    wanted = validateBody<string[]>(PUT_SCHEMA_1_1, raw());
  }
  // The schema takes any uuid spelling (dash-less, upper case); the engine keeps the canonical one.
  const aggregates = wanted.map((a) => normalizeUuid(a));
  // Before 1.19 Placement neither checks nor bumps the generation.
  const next = ctx.engine.setAggregates(p.uuid, generation, aggregates, { bumpGeneration: ctx.version.atLeast(1, 19) });
  // Placement echoes the request's list, in the request's order.
  return render(ctx, aggregates, next);
}

export function registerAggregates(router: Router): void {
  router
    .add('GET', '/resource_providers/{uuid}/aggregates', list, [1, 1])
    .add('PUT', '/resource_providers/{uuid}/aggregates', update, [1, 1]);
}
