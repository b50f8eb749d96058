/**
 * JSON for failure messages of property tests, with uuids replaced by short names (P1, A2, C3…)
 * so that a shrunk counterexample can be read.
 */
export function shortJsonWith(short: (s: string) => string): (v: unknown) => string {
  const shorten = (v: unknown): unknown => {
    if (typeof v === 'string') return short(v);
    if (Array.isArray(v)) return v.map(shorten);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [short(k), shorten(x)]));
    return v;
  };
  return (v) => (JSON.stringify(shorten(v)) ?? 'undefined').replace(/"([^"]+)":/g, '$1:');
}
