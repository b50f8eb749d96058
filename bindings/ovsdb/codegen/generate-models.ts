/**
 * Generates typed table models from an OVSDB schema file:
 *
 *   node dist/bindings/ovsdb/codegen/generate-models.js SCHEMA.ovsschema OUT.ts
 *
 * The committed bindings/ovsdb/models/open-vswitch.ts is this script's output for
 * /usr/share/openvswitch/vswitch.ovsschema.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelSource } from './model-source.js';

export function generateModels(schemaPath: string, outPath: string): void {
  const json: unknown = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
  fs.writeFileSync(outPath, modelSource(json, { source: path.basename(schemaPath) }));
}

function main(argv: string[]): number {
  if (argv.length !== 2) {
    process.stderr.write('usage: generate-models SCHEMA.ovsschema OUT.ts\n');
    return 2;
  }
  try {
    generateModels(argv[0] as string, argv[1] as string);
  } catch (err) {
    process.stderr.write(`generate-models: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`wrote ${argv[1]}\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
