import { afterAll, beforeAll, expect } from 'vitest';
import { createPlacementServer } from '../../src/api/server.js';
import type { PlacementServer, PlacementServerOptions } from '../../src/api/server.js';
import { PlacementEngine } from '../../src/placement/engine.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON, or undefined when empty. */
  body: unknown;
  text: string;
}

export interface RequestOptions {
  /** Microversion, e.g. '1.20' or 'latest'; omitted sends no version header. */
  version?: string;
  body?: unknown;
  /** Raw body text (wins over body). */
  raw?: string;
  token?: string | null;
  headers?: Record<string, string>;
}

export interface TestPlacement {
  engine: PlacementEngine;
  server: PlacementServer;
  base: string;
  request(method: string, path: string, options?: RequestOptions): Promise<HttpAnswer>;
  close(): Promise<void>;
}

/** A Placement server on 127.0.0.1 with a fresh engine, for HTTP tests. */
export async function startTestPlacement(options: Partial<PlacementServerOptions> = {}): Promise<TestPlacement> {
  const engine = options.engine ?? new PlacementEngine();
  const server = createPlacementServer({ ...options, engine });
  const address = await server.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${address.port}`;
  const request = async (method: string, path: string, o: RequestOptions = {}): Promise<HttpAnswer> => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token !== null) headers['x-auth-token'] = o.token ?? 'admin';
    if (o.version !== undefined) headers['openstack-api-version'] = `placement ${o.version}`;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, body === undefined ? { method, headers } : { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return { engine, server, base, request, close: () => server.close() };
}

/**
 * One server for the whole test file that calls this at its top level: started before the file's
 * first test, closed after its last. The object forwards to it, so tests use it like the result of
 * startTestPlacement.
 */
export function placementForFile(options: Partial<PlacementServerOptions> = {}): TestPlacement {
  let current: TestPlacement | undefined;
  beforeAll(async () => {
    current = await startTestPlacement(options);
  });
  afterAll(() => current?.close());
  const started = (): TestPlacement => {
    if (current === undefined) throw new Error('placementForFile: the server starts before the first test');
    return current;
  };
  return {
    get engine() {
      return started().engine;
    },
    get server() {
      return started().server;
    },
    get base() {
      return started().base;
    },
    request: (method, path, o) => started().request(method, path, o),
    close: () => started().close(),
  };
}

/** One entry of Placement's error body. */
export interface ErrorEntry {
  status: number;
  title: string;
  detail: string;
  code?: string;
  request_id: string;
}

/** Asserts an error answer's status (and, when given, a part of its detail and its code). */
export function expectError(r: HttpAnswer, status: number, detail?: string, code?: string): ErrorEntry {
  expect(r.status, r.text).toBe(status);
  const entry = (r.body as { errors: ErrorEntry[] }).errors[0] as ErrorEntry;
  expect(entry.status).toBe(status);
  if (detail !== undefined) expect(entry.detail).toContain(detail);
  if (code !== undefined) expect(entry.code).toBe(code);
  return entry;
}
