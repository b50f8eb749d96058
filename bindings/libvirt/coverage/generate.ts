/**
 * Writes docs/libvirt-coverage.md: `node dist/bindings/libvirt/coverage/generate.js [api.xml]`.
 * Run from the package root (it reads native/libvirt/src and writes docs/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { coverage, coverageMarkdown, DEFAULT_API_XML } from './coverage.js';

const root = process.cwd();
const report = coverage(path.join(root, 'native/libvirt/src'), process.argv[2] ?? DEFAULT_API_XML);
fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
fs.writeFileSync(path.join(root, 'docs/libvirt-coverage.md'), coverageMarkdown(report));
process.stdout.write(`libvirt coverage: ${report.wrapped}/${report.total} public functions wrapped; wrote docs/libvirt-coverage.md\n`);
