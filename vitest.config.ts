import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Files run in parallel workers. Integration tests start their own daemons through scripts/services
    // on per-worker ports (test/support/ports.ts); a daemon that is one per machine (libvirtd) is used
    // by one file only.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
