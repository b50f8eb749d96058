import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Caller } from './context.js';
import { HttpError } from './http-error.js';

/** Establishes the caller of a request, or refuses it (401). */
export interface Authenticator {
  authenticate(headers: IncomingHttpHeaders): Caller;
}

/** The token; a missing header is a 401 (an empty one counts as present, as in Placement). */
function token(headers: IncomingHttpHeaders): string {
  const value = headers['x-auth-token'];
  const t = Array.isArray(value) ? value[0] : value;
  if (t === undefined) throw new HttpError(401, 'The request you have made requires authentication.', { versionless: true });
  return t;
}

/**
 * Placement's `noauth2` mode: any token is accepted. A token is `user[:project]` (the project is
 * the user when not given or empty); the user `admin` has the admin role; an `X-Roles` header
 * replaces the roles; an `OpenStack-System-Scope` header drops the project, and makes the caller
 * system-scoped when it is exactly `all`. For tests and for a node-local endpoint, never for an
 * endpoint other hosts can reach.
 */
export class NoAuth implements Authenticator {
  authenticate(headers: IncomingHttpHeaders): Caller {
    const t = token(headers);
    const colon = t.indexOf(':');
    const userId = colon < 0 ? t : t.slice(0, colon);
    const projectId = (colon < 0 ? '' : t.slice(colon + 1)) || userId;
    const rolesHeader = first(headers['x-roles']);
    const roles = normalRoles(rolesHeader !== undefined ? rolesHeader.split(',') : userId === 'admin' ? ['admin'] : []);
    const scope = first(headers['openstack-system-scope']);
    const systemScope = scope === 'all';
    return { admin: roles.includes('admin'), userId, projectId: scope === undefined || scope === '' ? projectId : undefined, roles, systemScope };
  }
}

/** Role names as oslo.policy compares them: trimmed, lower-case, no empty ones. */
function normalRoles(roles: readonly string[]): string[] {
  return roles.map((r) => r.trim().toLowerCase()).filter((r) => r !== '');
}

/** Keystone's default implied roles: admin implies member, member implies reader. */
function withImplied(roles: readonly string[]): string[] {
  const out = new Set(roles);
  if (out.has('admin')) out.add('member');
  if (out.has('member')) out.add('reader');
  return [...out];
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export interface StaticToken {
  token: string;
  roles: readonly string[];
  projectId?: string;
  userId?: string;
  /** A system-scoped reader may read everything. */
  systemScope?: boolean;
}

/**
 * Fixed tokens with roles, for deployments without Keystone. Tokens are compared in constant time
 * and never logged; a caller with the `admin` role is the admin.
 */
export class StaticTokenAuth implements Authenticator {
  private readonly tokens: { key: Buffer; entry: StaticToken }[];

  constructor(tokens: readonly StaticToken[]) {
    // Roles as Keystone would put them in a token: compared case-insensitively, implied ones added.
    this.tokens = tokens.map((entry) => ({ key: Buffer.from(entry.token), entry: { ...entry, roles: withImplied(normalRoles(entry.roles)) } }));
  }

  authenticate(headers: IncomingHttpHeaders): Caller {
    const given = Buffer.from(token(headers));
    let found: StaticToken | undefined;
    for (const { key, entry } of this.tokens) {
      if (key.length === given.length && timingSafeEqual(key, given)) found = entry;
    }
    if (found === undefined) throw new HttpError(401, 'The request you have made requires authentication.', { versionless: true });
    return { admin: found.roles.includes('admin'), projectId: found.projectId, userId: found.userId, roles: found.roles, systemScope: found.systemScope ?? false };
  }
}
