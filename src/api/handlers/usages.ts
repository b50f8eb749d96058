import type { UsageQuery } from '../../placement/types.js';
import type { RequestContext, Reply } from '../context.js';
import { queryOne } from '../http-util.js';
import { authorize } from '../policy.js';
import type { Router } from '../router.js';
import { badQuery, freshNow } from './subresource-util.js';

/**
 * `consumer_type` as Placement's 1.38 query schema takes it. QUIRK kept: `^all` is not anchored
 * at the end, so `allx` passes and then matches no consumer.
 */
const CONSUMER_TYPE = /^[A-Z0-9_]+$|^all|^unknown$/;

/** GET /resource_providers/{uuid}/usages: every stocked class, 0 when unused (R84); query ignored. */
function providerUsages(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_providers:usages', 'read');
  const { generation, usages } = ctx.engine.getProviderUsages(ctx.params['uuid'] as string);
  return { status: 200, body: { resource_provider_generation: generation, usages }, headers: freshNow(ctx) };
}

/** A query string of 1..255 characters, as the schema's `minLength`/`maxLength` demand. */
function idParam(ctx: RequestContext, key: string): string | undefined {
  const v = queryOne(ctx, key);
  if (v === undefined) return undefined;
  if (v.length < 1) throw badQuery(`'${key}' is too short`);
  if (v.length > 255) throw badQuery(`'${key}' is too long`);
  return v;
}

/** GET /usages (1.9): a project's totals; grouped by consumer type from 1.38 (R85, R86). */
function totalUsages(ctx: RequestContext): Reply {
  // The policy target is the project asked about, so a project reader may read its own usages.
  authorize(ctx, 'placement:usages', 'read', queryOne(ctx, 'project_id'));
  const grouped = ctx.version.atLeast(1, 38);
  const allowed = grouped ? ['project_id', 'user_id', 'consumer_type'] : ['project_id', 'user_id'];
  for (const key of ctx.query.keys()) {
    if (!allowed.includes(key)) throw badQuery(`Additional properties are not allowed ('${key}' was unexpected)`);
  }
  const projectId = idParam(ctx, 'project_id');
  if (projectId === undefined) throw badQuery("'project_id' is a required property");
  const query: UsageQuery = { projectId };
  const userId = idParam(ctx, 'user_id');
  if (userId !== undefined) query.userId = userId;
  if (!grouped) return { status: 200, body: { usages: ctx.engine.getUsages(query) }, headers: freshNow(ctx) };
  const consumerType = queryOne(ctx, 'consumer_type');
  if (consumerType !== undefined) {
    if (!CONSUMER_TYPE.test(consumerType)) throw badQuery(`'${consumerType}' does not match '^[A-Z0-9_]+$|^all|^unknown$'`);
    query.consumerType = consumerType;
  }
  const usages: Record<string, Record<string, number>> = {};
  for (const [type, bucket] of Object.entries(ctx.engine.getUsagesByConsumerType(query))) {
    usages[type] = { ...bucket.usages, consumer_count: bucket.consumerCount };
  }
  return { status: 200, body: { usages }, headers: freshNow(ctx) };
}

export function registerUsages(router: Router): void {
  router.add('GET', '/resource_providers/{uuid}/usages', providerUsages).add('GET', '/usages', totalUsages, [1, 9]);
}
