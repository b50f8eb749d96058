/**
 * Run as its own process by the placement-http suite: the placeload sequence (10 warm-up providers,
 * then 1,000 timed, 10 in flight taking turns) through the Placement route handlers alone — version
 * negotiation, routing, the JSON body parsed, the handler on the engine, the answer serialised and
 * an access-log line built — with no HTTP layer, no sockets and no event loop between requests.
 * Its cold figure against the served load's says how much of a fresh server's time the request
 * path around the handlers takes. Prints one JSON line: coldSeconds, warmSeconds, requests.
 */
import { randomUUID } from 'node:crypto';
import type { Caller, RequestContext } from '../src/api/context.js';
import { negotiate } from '../src/api/microversion.js';
import { splitTarget } from '../src/api/request-target.js';
import { placementRoutes } from '../src/api/routes.js';
import { PlacementEngine } from '../src/placement/engine.js';
import { placeloadSteps } from './http-client.js';

const engine = new PlacementEngine();
const router = placementRoutes();
const caller: Caller = { admin: true, userId: 'admin', projectId: 'admin', roles: ['admin'], systemScope: false };

function request(method: string, target: string, body: unknown): number {
  const raw = Buffer.from(JSON.stringify(body));
  const requestId = `req-${randomUUID()}`;
  const version = negotiate('placement latest');
  const { path, query } = splitTarget(target);
  const match = router.match(method, path, version);
  const ctx: RequestContext = {
    method,
    path,
    params: match.params,
    query,
    version,
    requestId,
    caller,
    engine,
    json: () => JSON.parse(raw.toString('utf8')),
    url: (p) => `http://placement${p}`,
  };
  const reply = match.handler(ctx);
  const text = reply.rawJson ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  const line = JSON.stringify({ requestId, method, path, status: reply.status, version: version.toString(), ms: 0 });
  if (text.length + line.length === 0) throw new Error('unreachable');
  return reply.status;
}

/** `count` providers, `inFlight` of them taking one step each in turn, as the served load interleaves them. */
function load(count: number, inFlight: number): { seconds: number; requests: number } {
  const active: { steps: ReturnType<typeof placeloadSteps>; at: number }[] = [];
  let started = 0;
  let requests = 0;
  const start = (): void => {
    active.push({ steps: placeloadSteps(randomUUID(), started % 3), at: 0 });
    started++;
  };
  const t0 = performance.now();
  while (started < Math.min(inFlight, count)) start();
  while (active.length > 0) {
    for (let i = 0; i < active.length; i++) {
      const a = active[i] as (typeof active)[number];
      const [method, what, path, body] = a.steps[a.at++] as [string, string, string, unknown];
      const status = request(method, path, body);
      if (status !== 200) throw new Error(`${method} ${what}: ${status}`);
      requests++;
      if (a.at === a.steps.length) {
        active.splice(i--, 1);
        if (started < count) start();
      }
    }
  }
  return { seconds: (performance.now() - t0) / 1000, requests };
}

load(10, 10);
const cold = load(1000, 10);
const warm = load(1000, 10);
process.stdout.write(JSON.stringify({ coldSeconds: cold.seconds, warmSeconds: warm.seconds, requests: cold.requests }) + '\n');
