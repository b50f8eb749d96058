import type { CandidateQuery, RequestGroup } from './candidates.js';
import { PlacementBadQueryError, PlacementDuplicateQueryKeyError, PlacementInvalidError, PlacementMissingQueryValueError } from './errors.js';
import { isUuid } from './validate.js';

const GROUP_KEY = /^(resources|required|member_of|in_tree)([a-zA-Z0-9_-]{1,64})?$/;
const NAME = /^[A-Z0-9_]+$/;

interface GroupDraft {
  resources?: Record<string, number>;
  required: string[][];
  forbidden: string[];
  memberOf: string[][];
  forbiddenAggregates: string[];
  inTree?: string;
}

/**
 * Parses a `GET /allocation_candidates` query string with the syntax of microversion 1.39 into a
 * CandidateQuery: `resources[S]=RC:N,…`, `required[S]=A,!B` or `in:A,B` (repeatable),
 * `member_of[S]=U`, `in:U1,U2`, `!U`, `!in:U1,U2` (repeatable), `in_tree[S]`, `limit`,
 * `group_policy`, `root_required`, `same_subtree`. Names are checked for shape here and for
 * existence by the engine.
 */
export function parseCandidateQuery(input: string | URLSearchParams): CandidateQuery {
  const params = typeof input === 'string' ? new URLSearchParams(input.startsWith('?') ? input.slice(1) : input) : input;
  const drafts = new Map<string, GroupDraft>();
  const draft = (suffix: string): GroupDraft => {
    let d = drafts.get(suffix);
    if (d === undefined) {
      d = { required: [], forbidden: [], memberOf: [], forbiddenAggregates: [] };
      drafts.set(suffix, d);
    }
    return d;
  };
  const query: { -readonly [K in keyof CandidateQuery]: CandidateQuery[K] } = { groups: [] };
  const sameSubtree: string[][] = [];
  let seenLimit = false;
  let seenRoot = false;
  for (const [key, value] of params) {
    const m = GROUP_KEY.exec(key);
    if (m !== null) {
      const kind = m[1] as string;
      const suffix = m[2] ?? '';
      const d = draft(suffix);
      if (kind === 'resources') d.resources = parseResources(key, value);
      else if (kind === 'required') parseRequired(key, value, d);
      else if (kind === 'member_of') parseMemberOf(key, value, d);
      else {
        if (!isUuid(value)) throw new PlacementInvalidError(`Invalid query string parameters: ${key} must be a UUID.`);
        d.inTree = value;
      }
      continue;
    }
    switch (key) {
      case 'limit':
        if (!/^[1-9][0-9]*$/.test(value)) throw new PlacementInvalidError('Invalid query string parameters: limit must be a positive integer.');
        if (!seenLimit) query.limit = Number(value);
        seenLimit = true;
        break;
      case 'group_policy':
        if (value !== 'none' && value !== 'isolate') throw new PlacementInvalidError('Invalid query string parameters: group_policy must be none or isolate.');
        query.groupPolicy = value;
        break;
      case 'root_required': {
        if (seenRoot) throw new PlacementDuplicateQueryKeyError(key);
        seenRoot = true;
        const { required, forbidden } = splitTraits(key, value, false);
        if (required.length > 0) query.rootRequired = required.map((anyOf) => anyOf[0] as string);
        if (forbidden.length > 0) query.rootForbidden = forbidden;
        break;
      }
      case 'same_subtree': {
        const suffixes = value.split(',');
        if (suffixes.some((s) => s === '')) throw new PlacementBadQueryError('same_subtree cannot name the unsuffixed group (an empty suffix).');
        sameSubtree.push(suffixes);
        break;
      }
      default:
        throw new PlacementInvalidError(`Invalid query string parameters: ${JSON.stringify(key)} is not allowed.`);
    }
  }
  if (sameSubtree.length > 0) query.sameSubtree = sameSubtree;
  const groups: RequestGroup[] = [];
  for (const [suffix, d] of drafts) {
    const g: { -readonly [K in keyof RequestGroup]: RequestGroup[K] } = { suffix };
    if (d.resources !== undefined) g.resources = d.resources;
    if (d.required.length > 0) g.required = d.required;
    if (d.forbidden.length > 0) g.forbidden = d.forbidden;
    if (d.memberOf.length > 0) g.memberOf = d.memberOf;
    if (d.forbiddenAggregates.length > 0) g.forbiddenAggregates = d.forbiddenAggregates;
    if (d.inTree !== undefined) g.inTree = d.inTree;
    groups.push(g);
  }
  if (groups.every((g) => g.resources === undefined)) {
    throw new PlacementMissingQueryValueError('At least one request group must specify resources.');
  }
  // The unsuffixed group first, then suffixed ones in the order they first appeared.
  groups.sort((a, b) => (a.suffix === '' ? -1 : b.suffix === '' ? 1 : 0));
  query.groups = groups;
  return query;
}

/** `RC:N,RC:N` as in `resources=`; the last of a repeated class wins. */
export function parseResources(key: string, value: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (value === '') throw new PlacementBadQueryError(`Badly formed resources parameter ${key}: empty.`);
  for (const part of value.split(',')) {
    const [name, amount, extra] = part.split(':');
    if (name === undefined || amount === undefined || extra !== undefined || !NAME.test(name) || !/^[0-9]+$/.test(amount)) {
      throw new PlacementBadQueryError(`Badly formed resources parameter ${key}. Expected RESOURCE_CLASS:AMOUNT pairs.`);
    }
    const n = Number(amount);
    if (n < 1) throw new PlacementBadQueryError(`Requested resource amounts must be positive integers: ${key}.`);
    out[name] = n;
  }
  return out;
}

/** `A,!B` or (when allowed) `in:A,B`, as in `required=`. */
export function splitTraits(key: string, value: string, allowAnyOf: boolean): { required: string[][]; forbidden: string[] } {
  const required: string[][] = [];
  const forbidden: string[] = [];
  if (allowAnyOf && value.startsWith('in:')) {
    const names = value.slice(3).split(',');
    if (names.some((n) => n === '' || n.startsWith('!') || !NAME.test(n))) {
      throw new PlacementBadQueryError(`Invalid ${key} value ${JSON.stringify(value)}: in: takes a list of trait names without !.`);
    }
    required.push(names);
    return { required, forbidden };
  }
  for (const raw of value.split(',')) {
    const name = raw.replace(/^!+/, '');
    if (name === '' || !NAME.test(name)) throw new PlacementBadQueryError(`Invalid trait name in ${key}: ${JSON.stringify(raw)}.`);
    if (raw.startsWith('!')) forbidden.push(name);
    else required.push([name]);
  }
  const overlap = required.filter((anyOf) => forbidden.includes(anyOf[0] as string));
  if (overlap.length > 0) throw new PlacementBadQueryError(`Conflicting required and forbidden traits in ${key}: ${overlap.join(', ')}.`);
  return { required, forbidden };
}

function parseRequired(key: string, value: string, d: GroupDraft): void {
  const { required, forbidden } = splitTraits(key, value, true);
  d.required.push(...required);
  d.forbidden.push(...forbidden);
}

function parseMemberOf(key: string, value: string, d: GroupDraft): void {
  const { negative, uuids } = splitMemberOf(key, value);
  if (negative) d.forbiddenAggregates.push(...uuids);
  else d.memberOf.push(uuids);
}

/** `U`, `in:U1,U2`, `!U` or `!in:U1,U2`, as in `member_of=`. */
export function splitMemberOf(key: string, value: string): { negative: boolean; uuids: string[] } {
  const negative = value.startsWith('!');
  const body = negative ? value.slice(1) : value;
  let uuids: string[];
  if (body.startsWith('in:')) uuids = body.slice(3).split(',');
  else if (body.includes(',')) {
    throw new PlacementBadQueryError(`Invalid ${key} value ${JSON.stringify(value)}: a list of aggregates needs the in: prefix.`);
  } else uuids = [body];
  if (uuids.some((u) => !isUuid(u))) throw new PlacementBadQueryError(`Invalid ${key} value: expected aggregate UUIDs.`);
  return { negative, uuids };
}

/** The inverse of parseCandidateQuery: a query string Placement (and we) accept. */
export function formatCandidateQuery(query: CandidateQuery): string {
  const params = new URLSearchParams();
  for (const g of query.groups) {
    const s = g.suffix;
    if (g.resources !== undefined) {
      params.append(`resources${s}`, Object.entries(g.resources).map(([rc, n]) => `${rc}:${n}`).join(','));
    }
    // Single traits go together in one value with the forbidden ones; any-of lists each get an in:.
    const singles = (g.required ?? []).filter((anyOf) => anyOf.length === 1).map((anyOf) => anyOf[0] as string);
    const plain = [...singles, ...(g.forbidden ?? []).map((t) => `!${t}`)];
    if (plain.length > 0) params.append(`required${s}`, plain.join(','));
    for (const anyOf of g.required ?? []) if (anyOf.length > 1) params.append(`required${s}`, `in:${anyOf.join(',')}`);
    for (const anyOf of g.memberOf ?? []) params.append(`member_of${s}`, anyOf.length === 1 ? (anyOf[0] as string) : `in:${anyOf.join(',')}`);
    if ((g.forbiddenAggregates ?? []).length > 0) params.append(`member_of${s}`, `!in:${(g.forbiddenAggregates ?? []).join(',')}`);
    if (g.inTree !== undefined) params.append(`in_tree${s}`, g.inTree);
  }
  if (query.limit !== undefined) params.append('limit', String(query.limit));
  if (query.groupPolicy !== undefined) params.append('group_policy', query.groupPolicy);
  const root = [...(query.rootRequired ?? []), ...(query.rootForbidden ?? []).map((t) => `!${t}`)];
  if (root.length > 0) params.append('root_required', root.join(','));
  for (const list of query.sameSubtree ?? []) params.append('same_subtree', list.join(','));
  return params.toString();
}
