/**
 * The aggregate-metadata filters (Nova's), over the HostTable's aggregate bit sets and an
 * AggregateMetadata:
 * - AggregateInstanceExtraSpecsFilter: for each flavor extra spec whose key is unscoped or scoped
 *   `aggregate_instance_extra_specs:` (other scopes are skipped), some aggregate of the host must have
 *   the key, and one of the values of that key over the host's aggregates must match the requested
 *   value (matchExtraSpec: Nova's operators). No extra specs: every host passes.
 * - AggregateMultiTenancyIsolation: a host in some aggregate with a `filter_tenant_id…` key takes only
 *   the projects listed there (union over its aggregates); a host in no such aggregate takes every
 *   project. A request without a project is refused by isolated hosts.
 * Per request the specs are resolved once to (aggregate ids, matched?) arrays; each host is then a
 * few bit tests.
 */
import { testBit } from '../hosts/host-table.js';
import { matchExtraSpec, TENANT_KEY_PREFIX } from './aggregate-metadata.js';
import { planStage, type FilterContext, type HostFilterStage } from './stage.js';

const SCOPE = 'aggregate_instance_extra_specs';

interface SpecPlan {
  readonly key: string;
  readonly req: string;
  /** Aggregates that have the key. */
  readonly aggs: Int32Array;
  /** matches[i]: some value of aggs[i] for the key matches req. */
  readonly matches: Uint8Array;
}

function prepareExtraSpecs(ctx: FilterContext): readonly SpecPlan[] {
  const specs = ctx.request.extraSpecs;
  if (specs === undefined) return [];
  const plans: SpecPlan[] = [];
  for (const [raw, req] of Object.entries(specs)) {
    const colon = raw.indexOf(':');
    if (colon >= 0 && raw.slice(0, colon) !== SCOPE) continue;
    const key = colon >= 0 ? raw.slice(colon + 1) : raw;
    const withKey = ctx.aggregates?.withKey(key);
    const aggs: number[] = [];
    const matches: number[] = [];
    for (const [agg, values] of withKey ?? []) {
      if (values.size === 0) continue;
      aggs.push(agg);
      let m = 0;
      for (const v of values) if (matchExtraSpec(v, req)) m = 1;
      matches.push(m);
    }
    plans.push({ key, req, aggs: Int32Array.from(aggs), matches: Uint8Array.from(matches) });
  }
  return plans;
}

/** 0: passes; 1: no aggregate of the host has the key; 2: no value matches. */
function specVerdict(host: number, p: SpecPlan, ctx: FilterContext): number {
  const bits = ctx.table.aggregateBits;
  let has = false;
  for (let i = 0; i < p.aggs.length; i++) {
    if (!testBit(bits[p.aggs[i] as number], host)) continue;
    if (p.matches[i] === 1) return 0;
    has = true;
  }
  return has ? 2 : 1;
}

export function aggregateInstanceExtraSpecsFilter(): HostFilterStage {
  return planStage(
    'AggregateInstanceExtraSpecsFilter',
    prepareExtraSpecs,
    (host, plans, ctx) => {
      for (let i = 0; i < plans.length; i++) if (specVerdict(host, plans[i] as SpecPlan, ctx) !== 0) return false;
      return true;
    },
    (host, plans, ctx) => {
      for (const p of plans) {
        const v = specVerdict(host, p, ctx);
        if (v === 1) return `flavor extra spec ${p.key}=${p.req}: no aggregate of the host has metadata ${p.key}`;
        if (v === 2) {
          const values = new Set<string>();
          for (let i = 0; i < p.aggs.length; i++) {
            const a = p.aggs[i] as number;
            if (testBit(ctx.table.aggregateBits[a], host)) for (const x of ctx.aggregates?.withKey(p.key)?.get(a) ?? []) values.add(x);
          }
          return `flavor extra spec ${p.key}=${p.req}: the host's aggregates have ${p.key}=${[...values].join(',')}`;
        }
      }
      return 'refused';
    },
  );
}

interface TenantPlan {
  /** Aggregates with a tenant list. */
  readonly aggs: Int32Array;
  /** allows[i]: aggs[i] lists the request's project. */
  readonly allows: Uint8Array;
}

function prepareTenants(ctx: FilterContext): TenantPlan {
  const md = ctx.aggregates;
  const project = ctx.request.projectId;
  const allow = new Map<number, number>();
  if (md !== undefined) {
    for (const key of md.keys()) {
      if (!key.startsWith(TENANT_KEY_PREFIX)) continue;
      for (const [agg, values] of md.withKey(key) ?? []) {
        if (values.size === 0) continue;
        const ok = project !== undefined && values.has(project) ? 1 : 0;
        allow.set(agg, Math.max(allow.get(agg) ?? 0, ok));
      }
    }
  }
  return { aggs: Int32Array.from(allow.keys()), allows: Uint8Array.from(allow.values()) };
}

function tenantPasses(host: number, p: TenantPlan, ctx: FilterContext): boolean {
  const bits = ctx.table.aggregateBits;
  let isolated = false;
  for (let i = 0; i < p.aggs.length; i++) {
    if (!testBit(bits[p.aggs[i] as number], host)) continue;
    if (p.allows[i] === 1) return true;
    isolated = true;
  }
  return !isolated;
}

export function aggregateMultiTenancyIsolationFilter(): HostFilterStage {
  return planStage('AggregateMultiTenancyIsolation', prepareTenants, tenantPasses, (host, p, ctx) => {
    const names: string[] = [];
    for (let i = 0; i < p.aggs.length; i++) {
      const a = p.aggs[i] as number;
      if (testBit(ctx.table.aggregateBits[a], host)) names.push(ctx.aggregates?.name(a) ?? `aggregate ${a}`);
    }
    const project = ctx.request.projectId;
    return `host is reserved (filter_tenant_id of ${names.join(', ')}) for other projects than ${project ?? '(no project)'}`;
  });
}
