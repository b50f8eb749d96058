/**
 * What `npm pack` puts in the package: the command, the built code, and each addon's sources and
 * build files, so that an installed package can build its addons (`npm run build:native`).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

it('packs the command, the built CLI and every addon with its sources', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  const files = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path));
  for (const f of ['bin/tstack-host', 'dist/src/cli/main.js', 'scripts/build-native.sh']) expect(files, f).toContain(f);
  for (const addon of ['http', 'libvirt', 'ceph']) {
    for (const f of ['binding.gyp', 'requires', 'src/addon.cc']) expect(files, `${addon}/${f}`).toContain(`native/${addon}/${f}`);
  }
  expect(files).toContain('native/http/src/pump.cc');
  expect([...files].some((f) => f.includes('/build/'))).toBe(false);
});
