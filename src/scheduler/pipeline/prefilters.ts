/**
 * Pre-filters (Nova's request filters, nova/scheduler/request_filter.py): the request becomes one
 * placement query, so that placement (or the indexed path, which applies the same rules) never offers
 * a host the request cannot use.
 * - root_forbidden COMPUTE_STATUS_DISABLED (compute_status_filter): disabled hosts are not candidates;
 * - availability zone (map_az_to_placement_aggregate): member_of the zone's aggregates;
 * - tenant isolation (require_tenant_aggregate, with `tenantIsolation`): a project named in some
 *   aggregate's `filter_tenant_id…` metadata goes only to those aggregates; with
 *   `tenantAggregateRequired` a project named nowhere goes nowhere;
 * - image needs (with `imagePrefilter`: require_image_type_support, transform_image_metadata and image
 *   traits): disk_format → COMPUTE_IMAGE_TYPE_<FORMAT>, hw_architecture → HW_ARCH_<ARCH>, and the
 *   image's `trait:<NAME>=required` traits, as required traits;
 * - forced host: in_tree of the host (Nova's `force_hosts`; unlike Nova, the filters still run, so
 *   forcing a host never breaks a hard constraint);
 * hosts to avoid (a retry) are taken out after the query, as Nova does.
 */
import type { CandidateQuery, RequestGroup } from '../../placement/candidates.js';
import type { AggregateMetadata } from '../filters/aggregate-metadata.js';
import { TENANT_KEY_PREFIX } from '../filters/aggregate-metadata.js';
import { SchedulerRequestError } from './errors.js';
import { DISABLED_TRAIT } from './host-cache.js';
import type { ScheduleRequest } from './scheduler.js';

const ROOT_FORBIDDEN: readonly string[] = [DISABLED_TRAIT];

export interface PrefilterOptions {
  /** Availability zone name → the uuids of its aggregates. A request for an unknown zone is refused. */
  readonly availabilityZones?: Readonly<Record<string, readonly string[]>>;
  /** Nova's limit_tenants_to_placement_aggregate (default false). */
  readonly tenantIsolation?: boolean;
  /** Nova's placement_aggregate_required_for_tenants (default false): with tenantIsolation, a project in no aggregate is refused. */
  readonly tenantAggregateRequired?: boolean;
  /** Image needs as required traits (default false; Nova's query_placement_for_image_type_support and image traits). */
  readonly imagePrefilter?: boolean;
}

/** The aggregates (uuids) whose tenant metadata lists `project`. */
export function tenantAggregates(metadata: AggregateMetadata | undefined, project: string, aggregateUuid: (id: number) => string | undefined): string[] {
  const out = new Set<string>();
  if (metadata === undefined) return [];
  for (const key of metadata.keys()) {
    if (!key.startsWith(TENANT_KEY_PREFIX)) continue;
    for (const [agg, values] of metadata.withKey(key) ?? []) {
      const uuid = aggregateUuid(agg);
      if (values.has(project) && uuid !== undefined) out.add(uuid);
    }
  }
  return [...out].sort();
}

function traitName(prefix: string, value: string): string {
  return `${prefix}${value.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/** Step 1: the placement query of a request. */
export function buildQuery(
  request: ScheduleRequest,
  options: PrefilterOptions,
  limit: number,
  metadata: AggregateMetadata | undefined,
  aggregateUuid: (id: number) => string | undefined,
): CandidateQuery {
  const memberOf: (readonly string[])[] = request.memberOf === undefined ? [] : [...request.memberOf];
  if (request.availabilityZone !== undefined) {
    const zone = options.availabilityZones?.[request.availabilityZone];
    if (zone === undefined || zone.length === 0) throw new SchedulerRequestError(`unknown availability zone ${request.availabilityZone}`);
    memberOf.push([...zone]);
  }
  if (options.tenantIsolation === true) {
    const aggs = tenantAggregates(metadata, request.projectId, aggregateUuid);
    if (aggs.length > 0) memberOf.push(aggs);
    else if (options.tenantAggregateRequired === true) {
      throw new SchedulerRequestError(`project ${request.projectId} is in no aggregate's ${TENANT_KEY_PREFIX} (placement_aggregate_required_for_tenants)`);
    }
  }
  const required: (readonly string[])[] = request.requiredTraits === undefined ? [] : [...request.requiredTraits];
  const img = request.image;
  if (options.imagePrefilter === true && img !== undefined) {
    if (img.disk_format !== undefined) required.push([traitName('COMPUTE_IMAGE_TYPE_', img.disk_format)]);
    if (img.hw_architecture !== undefined) required.push([traitName('HW_ARCH_', img.hw_architecture)]);
    for (const t of img.requiredTraits ?? []) required.push([t]);
  }
  const group: { -readonly [K in keyof RequestGroup]: RequestGroup[K] } = { suffix: '', resources: request.resources };
  if (required.length > 0) group.required = required;
  if (request.forbiddenTraits !== undefined && request.forbiddenTraits.length > 0) group.forbidden = request.forbiddenTraits;
  if (memberOf.length > 0) group.memberOf = memberOf;
  if (request.forceHost !== undefined) group.inTree = request.forceHost;
  return { groups: [group], rootForbidden: ROOT_FORBIDDEN, limit };
}
