import { canonicalUuid } from '../uuid-like.js';
import type { ConsumerAllocationsWrite } from '../../placement/types.js';
import type { Reply, RequestContext } from '../context.js';
import { HttpError } from '../http-error.js';
import { deferJson, freshness } from '../http-util.js';
import { authorize } from '../policy.js';
import type { Router } from '../router.js';
import { validateBody } from '../schema.js';
import type { ConsumerBody, ListFormBody } from './allocations-util.js';
import {
  checkConsumerGenerations,
  checkProvidersExist,
  consumersSchema,
  listToDict,
  putAllocationsSchema,
  requireVersion,
  toWrite,
  unknownResourceClass,
} from './allocations-util.js';

/** GET /allocations/{consumer_uuid}: the dict form at every version; any id answers (empty when unknown). */
function showForConsumer(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:allocations:list', 'read');
  // Placement does not validate the id here: whatever is asked for is looked up as given.
  const c = ctx.engine.getConsumerAllocations(ctx.params['consumer_uuid'] as string);
  if (c === undefined || Object.keys(c.allocations).length === 0) {
    return { status: 200, body: { allocations: {} }, headers: freshness(ctx, Date.now()) };
  }
  const allocations: Record<string, unknown> = {};
  for (const [provider, a] of Object.entries(c.allocations)) allocations[provider] = { resources: a.resources, generation: a.generation };
  const body: Record<string, unknown> = { allocations };
  if (ctx.version.atLeast(1, 12)) {
    body['project_id'] = c.projectId;
    body['user_id'] = c.userId;
    if (ctx.version.atLeast(1, 28)) body['consumer_generation'] = c.consumerGeneration;
    if (ctx.version.atLeast(1, 38)) body['consumer_type'] = c.consumerType;
  }
  return { status: 200, body, headers: freshness(ctx, c.updatedAt) };
}

/** GET /resource_providers/{uuid}/allocations: the provider's consumers and what each holds there. */
function listForProvider(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:allocations:list', 'read');
  const uuid = ctx.params['uuid'] as string;
  if (ctx.engine.getProvider(uuid) === undefined) {
    throw new HttpError(404, `Resource provider '${uuid}' not found: No resource provider with uuid ${uuid} found`);
  }
  const held = ctx.engine.getProviderAllocations(uuid);
  const withGeneration = ctx.version.atLeast(1, 28);
  const allocations: Record<string, unknown> = {};
  let newest = 0;
  for (const [consumer, a] of Object.entries(held.allocations)) {
    const c = ctx.engine.getConsumerAllocations(consumer);
    const entry: Record<string, unknown> = { resources: a.resources };
    if (withGeneration) entry['consumer_generation'] = c?.consumerGeneration ?? null;
    allocations[consumer] = entry;
    newest = Math.max(newest, c?.updatedAt ?? 0);
  }
  return {
    status: 200,
    body: { allocations, resource_provider_generation: held.generation },
    headers: freshness(ctx, newest === 0 ? Date.now() : newest),
  };
}

/**
 * Placement's checks ahead of the write, in its order: consumer generations, providers, classes
 * for POST /allocations; providers first for PUT of one consumer, whose handler looks them up
 * before it reads the consumer.
 */
function precheck(ctx: RequestContext, writes: readonly ConsumerAllocationsWrite[], unknownClass: (rc: string) => string, providersFirst = false): void {
  if (providersFirst) checkProvidersExist(ctx, writes);
  checkConsumerGenerations(ctx, writes);
  if (!providersFirst) checkProvidersExist(ctx, writes);
  const rc = unknownResourceClass(ctx, writes);
  if (rc !== undefined) throw new HttpError(400, unknownClass(rc));
}

/** PUT /allocations/{consumer_uuid}: replaces all of one consumer's allocations. */
function putForConsumer(ctx: RequestContext): Reply {
  const json = deferJson(ctx);
  authorize(ctx, 'placement:allocations:update', 'write');
  const given = ctx.params['consumer_uuid'] as string;
  const consumerUuid = canonicalUuid(given);
  if (consumerUuid === undefined) throw new HttpError(400, `Malformed consumer_uuid: ${given}`);
  const raw = json();
  const body: ConsumerBody = ctx.version.atLeast(1, 12)
    ? validateBody<ConsumerBody>(putAllocationsSchema(ctx.version), raw)
    : listToDict(validateBody<ListFormBody>(putAllocationsSchema(ctx.version), raw));
  const write = toWrite(ctx, consumerUuid, body);
  precheck(ctx, [write], (rc) => `Unable to allocate inventory for consumer ${consumerUuid}: No such resource class ${rc}.`, true);
  ctx.engine.setAllocations(write);
  return { status: 204 };
}

/** POST /allocations (1.13): several consumers' allocations replaced in one all-or-nothing write. */
function postMany(ctx: RequestContext): Reply {
  requireVersion(ctx, 1, 13);
  const json = deferJson(ctx);
  authorize(ctx, 'placement:allocations:manage', 'write');
  const body = validateBody<Record<string, ConsumerBody>>(consumersSchema(ctx.version, 1), json());
  const writes = Object.entries(body).map(([consumer, entry]) => toWrite(ctx, consumer, entry));
  precheck(ctx, writes, (rc) => `Unable to allocate inventory No such resource class ${rc}.`);
  ctx.engine.setAllocationsMany(writes);
  return { status: 204 };
}

/** DELETE /allocations/{consumer_uuid}: no generation check; 404 when the consumer holds nothing. */
function deleteForConsumer(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:allocations:delete', 'write');
  const consumer = ctx.params['consumer_uuid'] as string;
  const c = ctx.engine.getConsumerAllocations(consumer);
  if (c === undefined || Object.keys(c.allocations).length === 0) {
    throw new HttpError(404, `No allocations for consumer '${consumer}'`);
  }
  ctx.engine.deleteAllocations(consumer);
  return { status: 204 };
}

export function registerAllocations(router: Router): void {
  // POST /allocations exists from 1.13, but is routed at every version so that other methods get
  // 405 with `Allow: POST` whatever the version, as in Placement; the handler answers 404 below 1.13.
  router
    .add('GET', '/resource_providers/{uuid}/allocations', listForProvider)
    .add('POST', '/allocations', postMany)
    .add('GET', '/allocations/{consumer_uuid}', showForConsumer)
    .add('PUT', '/allocations/{consumer_uuid}', putForConsumer)
    .add('DELETE', '/allocations/{consumer_uuid}', deleteForConsumer);
}
