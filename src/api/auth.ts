import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Caller } from './context.js';
import { HttpError } from './http-error.js';

/** Establishes the caller of a request, or refuses it (401). */
export interface Authenticator {
  authenticate(headers: IncomingHttpHeaders): Caller;
}

function token(headers: IncomingHttpHeaders): string {
  const value = headers['x-auth-token'];
  const t = Array.isArray(value) ? value[0] : value;
  if (t === undefined || t === '') throw new HttpError(401, 'The request you have made requires authentication.');
  return t;
}

/**
 * Placement's `noauth2` mode: any token is accepted; the token `admin` is the admin, any other
 * names `user:project` or just a user (the project then comes from `x-project-id`). For tests and
 * for a node-local endpoint, never for an endpoint other hosts can reach.
 */
export class NoAuth implements Authenticator {
  authenticate(headers: IncomingHttpHeaders): Caller {
    const t = token(headers);
    if (t === 'admin') return { admin: true, projectId: 'admin', userId: 'admin', roles: ['admin'] };
    const [user, project] = t.split(':');
    const header = headers['x-project-id'];
    return {
      admin: false,
      userId: user,
      projectId: project ?? (Array.isArray(header) ? header[0] : header),
      roles: [],
    };
  }
}

export interface StaticToken {
  token: string;
  roles: readonly string[];
  projectId?: string;
  userId?: string;
}

/**
 * Fixed tokens with roles, for deployments without Keystone. Tokens are compared in constant time
 * and never logged; a caller with the `admin` role is the admin.
 */
export class StaticTokenAuth implements Authenticator {
  private readonly tokens: { key: Buffer; entry: StaticToken }[];

  constructor(tokens: readonly StaticToken[]) {
    this.tokens = tokens.map((entry) => ({ key: Buffer.from(entry.token), entry }));
  }

  authenticate(headers: IncomingHttpHeaders): Caller {
    const given = Buffer.from(token(headers));
    let found: StaticToken | undefined;
    for (const { key, entry } of this.tokens) {
      if (key.length === given.length && timingSafeEqual(key, given)) found = entry;
    }
    if (found === undefined) throw new HttpError(401, 'The request you have made requires authentication.');
    return { admin: found.roles.includes('admin'), projectId: found.projectId, userId: found.userId, roles: found.roles };
  }
}
