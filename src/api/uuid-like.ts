/**
 * A uuid as Placement's `is_uuid_like` accepts it (dashes anywhere, braces, `urn:`/`uuid:`
 * prefixes, either case), in the canonical lower-case dashed form; undefined when it is not one.
 */
export function canonicalUuid(value: string): string | undefined {
  const hex = value
    .replaceAll('urn:', '')
    .replaceAll('uuid:', '')
    .replace(/^[{}]+|[{}]+$/g, '')
    .replaceAll('-', '')
    .toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
