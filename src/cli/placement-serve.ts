import { readFileSync } from 'node:fs';
import type { Authenticator, StaticToken } from '../api/auth.js';
import { NoAuth, StaticTokenAuth } from '../api/auth.js';
import { createPlacementServer } from '../api/server.js';
import { PlacementEngine } from '../placement/engine.js';
import { DurablePlacement } from '../store/durable-placement.js';
import { jsonLogger } from './json-logger.js';

export interface ServeOptions {
  host: string;
  port: number;
  journal?: string;
  tokensFile?: string;
  randomizeCandidates?: boolean;
}

export class ServeUsageError extends Error {}

export function parseServeArgs(args: readonly string[]): ServeOptions {
  const options: ServeOptions = { host: '127.0.0.1', port: 8778 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new ServeUsageError(`${flag} needs a value.`);
      return v;
    };
    switch (flag) {
      case '--host':
        options.host = value();
        break;
      case '--port': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 65535) throw new ServeUsageError(`--port needs a port number, not ${JSON.stringify(v)}.`);
        options.port = Number(v);
        break;
      }
      case '--journal':
        options.journal = value();
        break;
      case '--tokens':
        options.tokensFile = value();
        break;
      case '--randomize-candidates':
        options.randomizeCandidates = true;
        break;
      default:
        throw new ServeUsageError(`Unknown option for placement serve: ${arg}`);
    }
  }
  return options;
}

/** Reads a tokens file: a JSON list of `{ token, roles, projectId?, userId?, systemScope? }`. */
function loadTokens(path: string): StaticToken[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    // The file holds secrets: name the file, never its content.
    throw new ServeUsageError(`Cannot read the tokens file ${path}: ${(error as Error).name}.`);
  }
  const ok =
    Array.isArray(parsed) &&
    parsed.every((t: unknown) => {
      const e = t as Partial<StaticToken>;
      return typeof e === 'object' && e !== null && typeof e.token === 'string' && e.token.length > 0 && Array.isArray(e.roles) && e.roles.every((r) => typeof r === 'string');
    });
  if (!ok) throw new ServeUsageError(`The tokens file ${path} must be a JSON list of { "token": string, "roles": [string], "projectId"?, "userId"? }.`);
  return parsed as StaticToken[];
}

/**
 * `tstack-host placement serve`: the Placement API on host:port until SIGINT or SIGTERM, then a
 * graceful stop that answers every request in flight before the journal is closed.
 */
export async function servePlacement(options: ServeOptions): Promise<number> {
  // One write per turn of the event loop, not per request; flushed at the end and at exit.
  const logger = jsonLogger(process.stderr, { buffered: true });
  const auth: Authenticator = options.tokensFile === undefined ? new NoAuth() : new StaticTokenAuth(loadTokens(options.tokensFile));
  // Group commit: one fsync covers the writes of all requests that arrive while the previous one
  // runs, and no answer leaves before what it shows is on disk.
  const durable = options.journal === undefined ? undefined : DurablePlacement.open(options.journal, { groupCommit: true });
  const engine = durable?.engine ?? new PlacementEngine({ logger });
  let journalFailed: (() => void) | undefined;
  const durability = durable === undefined ? undefined : {
    afterDurable: (callback: (error?: Error) => void): void =>
      durable.afterDurable((error) => {
        // A failed fsync leaves the engine ahead of the disk: stop, so that a restart replays what is
        // durable. (A waiter refused because the journal closed during a stop is no failure.)
        if (error !== undefined && (error as { code?: string }).code === 'ERR_JOURNAL_WRITE') journalFailed?.();
        callback(error);
      }),
  };
  const server = createPlacementServer({
    engine,
    auth,
    logger,
    ...(durability === undefined ? {} : { durability }),
    ...(options.randomizeCandidates === true ? { candidates: { randomize: true } } : {}),
  });
  const address = await server.listen(options.port, options.host);
  logger.info(
    { host: address.address, port: address.port, journal: options.journal ?? null, auth: options.tokensFile === undefined ? 'noauth2' : 'static-tokens' },
    'placement API listening',
  );
  process.stdout.write(`placement API on http://${address.address}:${address.port}\n`);
  let exitCode = 0;
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping: finishing requests in flight');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    journalFailed = () => {
      if (exitCode !== 0) return;
      exitCode = 1;
      logger.error({}, 'stopping: the journal could not be made durable; restart to replay what is on disk');
      resolve();
    };
  });
  await server.close();
  durable?.close();
  logger.info({}, 'placement API stopped');
  logger.flush();
  return exitCode;
}
