import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { itWithService } from '../../support/services.js';

const python = '/usr/bin/python3';
const available =
  existsSync(python) &&
  (() => {
    try {
      execFileSync(python, ['-c', 'import os_traits, os_resource_classes'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

describe('standard names', () => {
  itWithService(available, "Debian's python3-os-traits and python3-os-resource-classes")(
    'the committed lists equal what the Debian packages carry',
    () => {
      const generated = execFileSync(python, ['scripts/gen-standard-names.py'], { encoding: 'utf8' });
      expect(generated).toBe(readFileSync('src/placement/standard-names.ts', 'utf8'));
    },
  );
});
