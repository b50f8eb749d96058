/**
 * bench/c/placeload.c for the placement-http suite: built with gcc, fed a request template written
 * from the very steps the Node client sends (http-client.ts's placeloadSteps), run as a child.
 * The judged loads go through it as the judged GETs go through wrk: on two cores, a client's own
 * CPU is taken from the server under test.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { buildCProgram } from './harness.js';
import type { LoadResult } from './http-client.js';
import { placeloadSteps } from './http-client.js';

const run = promisify(execFile);

/** The template's lines: the four steps of each of the three cycles, `{uuid}` for the provider's. */
export function placeloadTemplate(): string {
  const lines = [0, 1, 2].flatMap((k) => placeloadSteps('{uuid}', k).map(([method, what, p, body]) => [method, what, p, JSON.stringify(body)].join('\t')));
  return lines.join('\n') + '\n';
}

export interface CLoad {
  load: LoadResult;
  /** CPU seconds of the client process (all its threads). */
  cpuSeconds: number;
}

export class CPlaceload {
  private constructor(
    private readonly bin: string,
    private readonly template: string,
  ) {}

  /** Builds the client and its template into `dir`; undefined (and a log line) without gcc. */
  static build(dir: string, log: (line: string) => void): CPlaceload | undefined {
    const bin = buildCProgram('placeload', dir, ['-lpthread'], log);
    if (bin === undefined) return undefined;
    const template = path.join(dir, 'placeload-template.tsv');
    fs.writeFileSync(template, placeloadTemplate());
    return new CPlaceload(bin, template);
  }

  async run(host: string, port: number, count: number, concurrency: number): Promise<CLoad> {
    const out = await run(this.bin, [host, String(port), String(count), String(concurrency), this.template], { timeout: 600_000 });
    const j = JSON.parse(out.stdout) as { seconds: number; requests: number; retries: number; connections: number; cpuSeconds: number; errors: Record<string, number> };
    const errorCount = Object.values(j.errors).reduce((a, b) => a + b, 0);
    return {
      load: { providers: count, seconds: j.seconds, requests: j.requests, errors: j.errors, errorCount, retries: j.retries, connections: j.connections },
      cpuSeconds: j.cpuSeconds,
    };
  }
}
