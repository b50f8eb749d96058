import { randomInt } from 'node:crypto';
import type { Rng } from '../../../common/rng.js';
import { seededRng } from '../../../common/rng.js';
import type { AllocationRequest, CandidateQuery, CandidateResult, RequestGroup } from '../../placement/candidates.js';
import { candidateResult } from '../../placement/candidates.js';
import type { Resources } from '../../placement/types.js';
import type { Reply, RequestContext } from '../context.js';
import { HttpError } from '../http-error.js';
import { freshness } from '../http-util.js';
import type { Microversion } from '../microversion.js';
import { authorize } from '../policy.js';
import { pyRepr as repr } from '../python-repr.js';
import type { Router } from '../router.js';
import type { AnswerLease, CandidateJsonShape } from './allocation-candidates-json.js';
import { AnswerBuffers, candidateListLease, candidatesJsonLease } from './allocation-candidates-json.js';
import { inTreeParam, memberOfParams, requiredParams, resourcesParam, traitsParam } from './query-params.js';

/**
 * Server options of this endpoint. `randomize` is Placement's `randomize_allocation_candidates`
 * (default off: candidates come in the engine's deterministic order, and `limit` keeps the first
 * ones). When on, the order is shuffled and `limit` keeps a random sample; `seed` makes the
 * sequence of answers reproducible.
 */
export interface CandidateOptions {
  randomize?: boolean;
  seed?: number;
}

const BAD_VALUE = 'placement.query.bad_value';
const MISSING_VALUE = 'placement.query.missing_value';
const DUPLICATE_KEY = 'placement.query.duplicate_key';

const GROUP_KEY = /^(resources|required|member_of|in_tree)(.*)$/;
const NUMBERED_SUFFIX = /^[1-9][0-9]*$/;
const VERBOSE_SUFFIX = /^[a-zA-Z0-9_-]{1,64}$/;
const LIMIT = /^[1-9][0-9]*$/;

function bad(message: string, code?: string): HttpError {
  return new HttpError(400, message, code === undefined ? {} : { code });
}

function invalidQuery(message: string): HttpError {
  return bad(`Invalid query string parameters: ${message}`);
}

// ------------------------------------------------------------------ the query schema of each microversion

/** The key patterns of the 1.25+ schema, sorted as jsonschema lists them in its message. */
function groupPatterns(v: Microversion): string[] {
  const suffix = v.atLeast(1, 33) ? '[a-zA-Z0-9_-]{1,64}' : '[1-9][0-9]*';
  const kinds = ['member_of', 'required', 'resources'];
  if (v.atLeast(1, 31)) kinds.unshift('in_tree');
  return kinds.map((k) => `^${k}(${suffix})?$`);
}

function keyAllowed(v: Microversion, key: string): boolean {
  if (!v.atLeast(1, 25)) {
    switch (key) {
      case 'resources':
        return true;
      case 'limit':
        return v.atLeast(1, 16);
      case 'required':
        return v.atLeast(1, 17);
      case 'member_of':
        return v.atLeast(1, 21);
      default:
        return false;
    }
  }
  switch (key) {
    case 'limit':
    case 'group_policy':
      return true;
    case 'root_required':
      return v.atLeast(1, 35);
    case 'same_subtree':
      return v.atLeast(1, 36);
  }
  const m = GROUP_KEY.exec(key);
  if (m === null) return false;
  if (m[1] === 'in_tree' && !v.atLeast(1, 31)) return false;
  const suffix = m[2] as string;
  return suffix === '' || (v.atLeast(1, 33) ? VERBOSE_SUFFIX : NUMBERED_SUFFIX).test(suffix);
}

/** What Placement's JSON schema for the query refuses (unknown keys, a bad limit or group_policy). */
function checkSchema(ctx: RequestContext): void {
  const v = ctx.version;
  const q = ctx.query;
  const extras: string[] = [];
  for (const key of new Set(q.keys())) if (!keyAllowed(v, key)) extras.push(key);
  if (extras.length > 0) {
    extras.sort();
    const names = extras.map(repr).join(', ');
    if (!v.atLeast(1, 25)) {
      throw invalidQuery(`Additional properties are not allowed (${names} ${extras.length === 1 ? 'was' : 'were'} unexpected)`);
    }
    throw invalidQuery(`${names} ${extras.length === 1 ? 'does' : 'do'} not match any of the regexes: ${groupPatterns(v).map(repr).join(', ')}`);
  }
  if (!v.atLeast(1, 25) && !q.has('resources')) throw invalidQuery("'resources' is a required property");
  for (const value of q.getAll('limit')) {
    if (!LIMIT.test(value)) throw invalidQuery(`${repr(value)} does not match '^[1-9][0-9]*$'`);
  }
  for (const value of q.getAll('group_policy')) {
    if (value !== 'none' && value !== 'isolate') throw invalidQuery(`${repr(value)} is not one of ['none', 'isolate']`);
  }
}

// ------------------------------------------------------------------ request groups

interface GroupDraft {
  suffix: string;
  resources?: Resources;
  requiredValues: string[];
  memberOfValues: string[];
  inTree?: string;
}

interface ParsedGroup {
  suffix: string;
  resources?: Resources;
  required: string[][];
  forbidden: string[];
  memberOf: string[][];
  forbiddenAggregates: string[];
  inTree?: string;
}

/** The request groups of the query, in order of first appearance. */
function parseGroups(ctx: RequestContext): ParsedGroup[] {
  const v = ctx.version;
  const drafts = new Map<string, GroupDraft>();
  for (const [key, value] of ctx.query) {
    const m = GROUP_KEY.exec(key);
    if (m === null) continue;
    const kind = m[1] as string;
    const suffix = m[2] as string;
    let d = drafts.get(suffix);
    if (d === undefined) {
      d = { suffix, requiredValues: [], memberOfValues: [] };
      drafts.set(suffix, d);
    }
    // Every occurrence is parsed; the last one counts.
    if (kind === 'resources') d.resources = resourcesParam(value);
    else if (kind === 'required') d.requiredValues.push(value);
    else if (kind === 'member_of') d.memberOfValues.push(value);
    else d.inTree = inTreeParam(key, value);
  }
  const groups: ParsedGroup[] = [];
  for (const d of drafts.values()) {
    const g: ParsedGroup = { suffix: d.suffix, required: [], forbidden: [], memberOf: [], forbiddenAggregates: [] };
    if (d.resources !== undefined) g.resources = d.resources;
    if (d.inTree !== undefined) g.inTree = d.inTree;
    if (d.requiredValues.length > 0) Object.assign(g, requiredParams(v, d.requiredValues));
    if (d.memberOfValues.length > 0) {
      const m = memberOfParams(v, `member_of${d.suffix}`, d.memberOfValues);
      g.memberOf = m.memberOf;
      g.forbiddenAggregates = m.forbidden;
    }
    groups.push(g);
  }
  return groups;
}

/** Which groups may lack resources: none before 1.36; from 1.36 those named in same_subtree. */
function checkGroupShapes(v: Microversion, groups: readonly ParsedGroup[], sameSubtree: readonly (readonly string[])[]): void {
  if (v.atLeast(1, 36)) {
    const resourceless = groups.filter((g) => g.resources === undefined).map((g) => g.suffix);
    if (resourceless.length === groups.length) {
      throw bad('There must be at least one resources or resources[$S] parameter.', MISSING_VALUE);
    }
    const named = new Set(sameSubtree.flat());
    const stray = resourceless.filter((s) => !named.has(s));
    if (stray.length > 0) {
      throw bad(`Resourceless suffixed group request should be specified in \`same_subtree\` query param: bad group(s) - ${pyList(stray)}.`, BAD_VALUE);
    }
    const suffixes = groups.map((g) => g.suffix);
    const unknown = [...named].filter((s) => !suffixes.includes(s));
    if (unknown.length > 0) {
      throw bad(`Real suffixes should be specified in \`same_subtree\`: ${pyList(unknown)} not found in ${pyList(suffixes)}.`, BAD_VALUE);
    }
    return;
  }
  // Only required traits make an orphan: a group with nothing but forbidden ones falls to the last check.
  const orphanTraits = groups.filter((g) => g.resources === undefined && g.required.length > 0);
  if (orphanTraits.length > 0) {
    throw bad(`All traits parameters must be associated with resources.  Found the following orphaned traits keys: ${orphanTraits.map((g) => `required${g.suffix}`).join(', ')}`);
  }
  const orphanAggs = groups.filter((g) => g.resources === undefined && (g.memberOf.length > 0 || g.forbiddenAggregates.length > 0));
  if (orphanAggs.length > 0) {
    throw bad(`All member_of parameters must be associated with resources. Found the following orphaned member_of keys: ${orphanAggs.map((g) => `member_of${g.suffix}`).join(', ')}`);
  }
  if (groups.some((g) => g.resources === undefined)) throw bad('All request groups must specify resources.');
  if (groups.length === 0) throw bad('At least one request group (`resources` or `resources{$S}`) is required.');
}

/** A Python list of strings as `%s` prints it. */
function pyList(items: readonly string[]): string {
  return `[${items.map(repr).join(', ')}]`;
}

/** A group whose required traits (some any-of list) are all forbidden as well asks for nothing possible. */
function checkTraitConflicts(groups: readonly ParsedGroup[]): void {
  const conflicts: string[] = [];
  for (const g of groups) {
    const forbidden = new Set(g.forbidden);
    for (const anyOf of g.required) if (anyOf.every((t) => forbidden.has(t))) conflicts.push(`required${g.suffix}: (${[...anyOf].sort().join(', ')})`);
  }
  if (conflicts.length > 0) throw bad(`Conflicting required and forbidden traits found in the following traits keys: ${conflicts.sort().join(', ')}`);
}

/** Unknown names are 400s with Placement's wording (the engine would refuse them too). */
function checkNames(ctx: RequestContext, groups: readonly ParsedGroup[], rootTraits: readonly string[]): void {
  const engine = ctx.engine;
  const unknownTraits = (names: Iterable<string>): string[] => [...new Set(names)].filter((t) => !engine.hasTrait(t));
  const rootUnknown = unknownTraits(rootTraits);
  if (rootUnknown.length > 0) throw bad(`No such trait(s): ${rootUnknown.join(', ')}.`);
  for (const g of groups) {
    for (const rc of Object.keys(g.resources ?? {})) {
      if (!engine.hasResourceClass(rc)) throw bad(`Invalid resource class in resources parameter: No such resource class ${rc}.`);
    }
    const unknown = unknownTraits([...g.required.flat(), ...g.forbidden]);
    if (unknown.length > 0) throw bad(`No such trait(s): ${unknown.join(', ')}.`);
  }
}

interface ParsedQuery {
  query: CandidateQuery;
  limit: number | undefined;
  requestedClasses: Set<string>;
}

function parseQuery(ctx: RequestContext): ParsedQuery {
  const v = ctx.version;
  const q = ctx.query;
  checkSchema(ctx);
  // Request-wide parameters first, as Placement reads them before the groups.
  const limitValue = q.get('limit');
  const limit = limitValue === null ? undefined : Number(limitValue);
  const policyValue = q.get('group_policy');
  const groupPolicy = policyValue === null ? undefined : (policyValue as 'none' | 'isolate');
  let rootRequired: string[] = [];
  let rootForbidden: string[] = [];
  const roots = q.getAll('root_required');
  if (roots.length > 1) throw bad("Query parameter 'root_required' may be specified only once.", DUPLICATE_KEY);
  if (roots.length === 1) {
    // No any-of lists at the root; a name both required and forbidden is the one bad_value here.
    const split = traitsParam(roots[0] as string, true, false);
    rootRequired = [...new Set(split.required.map((anyOf) => anyOf[0] as string))];
    rootForbidden = split.forbidden;
    const conflicts = rootRequired.filter((t) => rootForbidden.includes(t));
    if (conflicts.length > 0) throw bad(`Conflicting required and forbidden traits found in root_required: ${conflicts.join(', ')}`, BAD_VALUE);
  }
  const sameSubtree: string[][] = [];
  for (const value of q.getAll('same_subtree')) {
    const suffixes = [...new Set(value.split(',').map((s) => s.trim()))];
    if (suffixes.some((s) => s === '')) throw bad('Empty string (unsuffixed group) can not be specified in `same_subtree` ', BAD_VALUE);
    sameSubtree.push(suffixes);
  }

  const groups = parseGroups(ctx);
  checkGroupShapes(v, groups, sameSubtree);
  checkTraitConflicts(groups);
  const suffixed = groups.filter((g) => g.suffix !== '').length;
  if (suffixed > 1 && groupPolicy === undefined) {
    throw bad('The "group_policy" parameter is required when specifying more than one "resources{N}" parameter.');
  }
  checkNames(ctx, groups, [...rootRequired, ...rootForbidden]);

  const requestedClasses = new Set<string>();
  // The engine takes the unsuffixed group first; the messages above name them as the query does.
  const ordered = [...groups].sort((a, b) => (a.suffix === '' ? -1 : b.suffix === '' ? 1 : 0));
  const requestGroups: RequestGroup[] = ordered.map((g) => {
    const out: { -readonly [K in keyof RequestGroup]: RequestGroup[K] } = { suffix: g.suffix };
    if (g.resources !== undefined) {
      out.resources = g.resources;
      for (const rc of Object.keys(g.resources)) requestedClasses.add(rc);
    }
    if (g.required.length > 0) out.required = g.required;
    if (g.forbidden.length > 0) out.forbidden = g.forbidden;
    if (g.memberOf.length > 0) out.memberOf = g.memberOf;
    if (g.forbiddenAggregates.length > 0) out.forbiddenAggregates = g.forbiddenAggregates;
    if (g.inTree !== undefined) out.inTree = g.inTree;
    return out;
  });
  const query: { -readonly [K in keyof CandidateQuery]: CandidateQuery[K] } = { groups: requestGroups };
  if (groupPolicy !== undefined) query.groupPolicy = groupPolicy;
  if (limit !== undefined) query.limit = limit;
  if (rootRequired.length > 0) query.rootRequired = rootRequired;
  if (rootForbidden.length > 0) query.rootForbidden = rootForbidden;
  if (sameSubtree.length > 0) query.sameSubtree = sameSubtree;
  return { query, limit, requestedClasses };
}

// ------------------------------------------------------------------ answering

/**
 * Before 1.29 Placement is not nested-aware (R39): a candidate taking resources from two
 * providers of one tree is dropped, `limit` applies to what is left, and the summaries show only
 * providers used by the candidates (those of trees the kept ones use, when limited).
 */
function withoutNesting(result: CandidateResult, limit: number | undefined): { requests: AllocationRequest[]; summaryUuids: string[] } {
  const summaries = result.providerSummaries;
  const rootOf = (uuid: string): string => summaries[uuid]?.rootProviderUuid ?? uuid;
  const kept: AllocationRequest[] = [];
  const used = new Set<string>();
  for (const ar of result.allocationRequests) {
    const roots: string[] = [];
    let ok = true;
    for (const uuid in ar.allocations) {
      const root = rootOf(uuid);
      if (roots.includes(root)) {
        ok = false;
        break;
      }
      roots.push(root);
    }
    if (!ok) continue;
    kept.push(ar);
    for (const uuid in ar.allocations) used.add(uuid);
  }
  const requests = limit !== undefined && kept.length > limit ? kept.slice(0, limit) : kept;
  const keptRoots = new Set<string>();
  for (const ar of requests) for (const uuid in ar.allocations) keptRoots.add(rootOf(uuid));
  return { requests, summaryUuids: [...used].filter((u) => keptRoots.has(rootOf(u))) };
}

function shapeFor(v: Microversion, requestedClasses: ReadonlySet<string>): CandidateJsonShape {
  return {
    listForm: !v.atLeast(1, 12),
    mappings: v.atLeast(1, 34),
    traits: v.atLeast(1, 17),
    tree: v.atLeast(1, 29),
    onlyClasses: v.atLeast(1, 27) ? undefined : requestedClasses,
  };
}

function compute(ctx: RequestContext, rng: Rng | undefined, buffers: AnswerBuffers): AnswerLease {
  const { query, limit, requestedClasses } = parseQuery(ctx);
  const nestedAware = ctx.version.atLeast(1, 29);
  const engineQuery: { -readonly [K in keyof CandidateQuery]: CandidateQuery[K] } = { ...query };
  // Before 1.29 the limit applies after dropping nested candidates, so the engine must not apply it.
  if (!nestedAware) delete engineQuery.limit;
  if (rng !== undefined) engineQuery.rng = rng;
  const list = ctx.engine.listAllocationCandidates(engineQuery);
  const shape = shapeFor(ctx.version, requestedClasses);
  if (nestedAware) return candidateListLease(buffers, list, shape);
  const result = candidateResult(list);
  const { requests, summaryUuids } = withoutNesting(result, limit);
  return candidatesJsonLease(buffers, requests, result.providerSummaries, summaryUuids, shape);
}

function listAllocationCandidates(ctx: RequestContext, rng: Rng | undefined, buffers: AnswerBuffers): Reply {
  authorize(ctx, 'placement:allocation_candidates:list', 'read');
  const answer = compute(ctx, rng, buffers);
  return { status: 200, rawJson: answer.bytes, headers: freshness(ctx, Date.now()), sent: answer.release };
}

export function registerAllocationCandidates(router: Router, options: CandidateOptions = {}): void {
  const rng = options.randomize === true ? seededRng(options.seed ?? randomInt(0, 2 ** 32 - 1)) : undefined;
  // Answer buffers of this server's candidates answers, reused once each answer is written out.
  const buffers = new AnswerBuffers();
  router.add('GET', '/allocation_candidates', (ctx) => listAllocationCandidates(ctx, rng, buffers), [1, 10]);
}
