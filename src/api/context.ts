import type { PlacementEngine } from '../placement/engine.js';
import type { Microversion } from './microversion.js';

/** Who is asking, as the auth layer established it. */
export interface Caller {
  readonly admin: boolean;
  readonly projectId: string | undefined;
  readonly userId: string | undefined;
  readonly roles: readonly string[];
  /** `OpenStack-System-Scope: all`: a system-scoped caller (a reader of everything). */
  readonly systemScope: boolean;
}

/** What a handler sees of a request. */
export interface RequestContext {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly version: Microversion;
  readonly requestId: string;
  readonly caller: Caller;
  readonly engine: PlacementEngine;
  /** The parsed JSON body; a 415 when it is not declared JSON, a 400 when it does not parse. */
  json(): unknown;
  /** An absolute URL for a path on this server (for `Location`), from the request's Host. */
  url(path: string): string;
}

/** What a handler answers. `body` undefined means no body (204, or 201 before 1.20). */
export interface Reply {
  status: number;
  body?: unknown;
  /** The body already serialised as JSON (wins over `body`): for answers built as text or bytes. */
  rawJson?: string | Buffer;
  headers?: Record<string, string>;
  /**
   * Called once the answer has been handed to the kernel (the write's callback): a `rawJson`
   * Buffer lent from a pool may then be reused. Not called when the connection dies first.
   */
  sent?: () => void;
}

export type Handler = (ctx: RequestContext) => Reply;
