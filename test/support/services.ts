import { it } from 'vitest';

/**
 * Integration tests need real services started by scripts/services. Where one is missing a test
 * is skipped on a developer's machine, but with TSTACK_REQUIRE_SERVICES=1 (always set in CI) a
 * missing service is a failure, never a silent skip.
 */
export const servicesRequired = process.env['TSTACK_REQUIRE_SERVICES'] === '1';

export function itWithService(available: boolean, what: string): typeof it {
  if (available) return it;
  if (servicesRequired) {
    return ((name: string) =>
      it(name, () => {
        throw new Error(`${what} is not available and TSTACK_REQUIRE_SERVICES=1`);
      })) as unknown as typeof it;
  }
  return it.skip as unknown as typeof it;
}
