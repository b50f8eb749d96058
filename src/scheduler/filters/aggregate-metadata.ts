/**
 * Host aggregate metadata as Nova keeps it: per aggregate id (the HostTable's dense aggregate ids),
 * key → set of values. A value written as "a,b" is the two values a and b (Nova splits aggregate
 * metadata on commas and strips blanks when it gathers it per host). Tenant isolation lists are the
 * values of keys starting with `filter_tenant_id` (filter_tenant_id, filter_tenant_id2, …).
 *
 * `matchExtraSpec` is Nova's extra_specs_ops.match: a requested value may start with an operator.
 */
export const TENANT_KEY_PREFIX = 'filter_tenant_id';

export class AggregateMetadata {
  /** key → aggregate id → values. */
  private readonly byKey = new Map<string, Map<number, Set<string>>>();
  private readonly names = new Map<number, string>();

  /** Sets (replaces) one key of an aggregate; the value is split on commas. */
  set(aggregate: number, key: string, value: string): void {
    let aggs = this.byKey.get(key);
    if (aggs === undefined) {
      aggs = new Map();
      this.byKey.set(key, aggs);
    }
    const values = new Set<string>();
    for (const v of value.split(',')) {
      const t = v.trim();
      if (t !== '') values.add(t);
    }
    aggs.set(aggregate, values);
  }

  delete(aggregate: number, key: string): void {
    this.byKey.get(key)?.delete(aggregate);
  }

  /** A name for messages (default "aggregate <id>"). */
  setName(aggregate: number, name: string): void {
    this.names.set(aggregate, name);
  }

  name(aggregate: number): string {
    return this.names.get(aggregate) ?? `aggregate ${aggregate}`;
  }

  /** Aggregates that have `key`, with their values. */
  withKey(key: string): ReadonlyMap<number, ReadonlySet<string>> | undefined {
    return this.byKey.get(key);
  }

  /** Every key (for the tenant keys). */
  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }
}

function num(s: string | undefined): number {
  return s === undefined ? NaN : Number(s);
}

/**
 * Nova's extra_specs_ops.match(value, req). `req` is split on whitespace; its first word may be an
 * operator:
 * - `<or> a <or> b`: value is one of a, b;
 * - `=` n: value ≥ n as numbers; `==`, `!=`, `>=`, `<=` n: numeric comparisons;
 * - `s==`, `s!=`, `s<`, `s<=`, `s>`, `s>=` s: string comparisons;
 * - `<in>` s: s is a substring of value; `<all-in>` a b …: each word is a substring of value;
 * otherwise value equals req (string equality).
 */
export function matchExtraSpec(value: string, req: string): boolean {
  const words = req.trim().split(/\s+/);
  const op = words[0];
  const arg = words[1];
  if (words.length >= 2) {
    switch (op) {
      case '<or>': {
        for (let i = 1; i < words.length; i += 2) if (words[i] === value) return true;
        return false;
      }
      case '=':
        return num(value) >= num(arg);
      case '==':
        return num(value) === num(arg);
      case '!=':
        return num(value) !== num(arg);
      case '>=':
        return num(value) >= num(arg);
      case '<=':
        return num(value) <= num(arg);
      case 's==':
        return value === arg;
      case 's!=':
        return value !== arg;
      case 's<':
        return value < (arg as string);
      case 's<=':
        return value <= (arg as string);
      case 's>':
        return value > (arg as string);
      case 's>=':
        return value >= (arg as string);
      case '<in>':
        return value.includes(arg as string);
      case '<all-in>':
        return words.slice(1).every((w) => value.includes(w));
      default:
        break;
    }
  }
  return value === req;
}
