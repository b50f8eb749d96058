import { PlacementError } from '../../placement/errors.js';
import type { RequestContext, Reply } from '../context.js';
import { HttpError } from '../http-error.js';
import { deferJson, location } from '../http-util.js';
import { authorize } from '../policy.js';
import type { Router } from '../router.js';
import type { JsonSchema } from '../schema.js';
import { CUSTOM_PATTERN, validateBody } from '../schema.js';
import { freshNow } from './subresource-util.js';

/** POST /resource_classes and the 1.2–1.6 rename: a custom class name. */
export const NAME_BODY: JsonSchema = {
  type: 'object',
  properties: { name: { type: 'string', pattern: CUSTOM_PATTERN, maxLength: 255 } },
  required: ['name'],
  additionalProperties: false,
};

/** The path name of PUT from 1.7, checked as Placement checks it (through a JSON schema). */
export const PATH_NAME: JsonSchema = { type: 'string', pattern: CUSTOM_PATTERN, maxLength: 255 };

/** Standard classes never start with CUSTOM_, custom ones always do (R82). */
const isStandard = (name: string): boolean => !name.startsWith('CUSTOM_');

function rcJson(name: string): Record<string, unknown> {
  return { name, links: [{ rel: 'self', href: `/resource_classes/${name}` }] };
}

function requireClass(ctx: RequestContext, name: string): void {
  if (!ctx.engine.hasResourceClass(name)) throw new HttpError(404, `No such resource class ${name}.`);
}

function list(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_classes:list', 'read');
  return { status: 200, body: { resource_classes: ctx.engine.listResourceClasses().map(rcJson) }, headers: freshNow(ctx) };
}

function create(ctx: RequestContext): Reply {
  const raw = deferJson(ctx);
  authorize(ctx, 'placement:resource_classes:create', 'write');
  const { name } = validateBody<{ name: string }>(NAME_BODY, raw());
  if (ctx.engine.hasResourceClass(name)) throw new HttpError(409, `Conflicting resource class already exists: ${name}`);
  ctx.engine.createResourceClass(name);
  // 201 with no body and no last-modified, as Placement.
  return { status: 201, headers: location(ctx.url(`/resource_classes/${name}`)) };
}

function show(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_classes:show', 'read');
  const name = ctx.params['name'] as string;
  requireClass(ctx, name);
  return { status: 200, body: rcJson(name), headers: freshNow(ctx) };
}

/** 1.2–1.6: rename a custom class in place; its inventories and allocations follow it. */
function rename(ctx: RequestContext): Reply {
  const raw = deferJson(ctx);
  authorize(ctx, 'placement:resource_classes:update', 'write');
  const { name: next } = validateBody<{ name: string }>(NAME_BODY, raw());
  const name = ctx.params['name'] as string;
  requireClass(ctx, name);
  if (isStandard(name)) throw new HttpError(400, `Cannot update standard resource class ${name}`);
  if (next !== name && ctx.engine.hasResourceClass(next)) throw new HttpError(409, `Resource class already exists: ${next}`);
  ctx.engine.renameResourceClass(name, next);
  return { status: 200, body: rcJson(next) };
}

/** From 1.7: create-or-confirm, no body read (so no 415), no last-modified. */
function ensure(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_classes:update', 'write');
  const name = ctx.params['name'] as string;
  validateBody<string>(PATH_NAME, name);
  const created = ctx.engine.ensureResourceClass(name);
  return { status: created ? 201 : 204, headers: location(ctx.url(`/resource_classes/${name}`)) };
}

function update(ctx: RequestContext): Reply {
  return ctx.version.atLeast(1, 7) ? ensure(ctx) : rename(ctx);
}

function remove(ctx: RequestContext): Reply {
  authorize(ctx, 'placement:resource_classes:delete', 'write');
  const name = ctx.params['name'] as string;
  requireClass(ctx, name);
  if (isStandard(name)) throw new HttpError(400, `Error in delete resource class: Cannot delete standard resource class ${name}.`);
  try {
    ctx.engine.deleteResourceClass(name);
  } catch (error) {
    if (error instanceof PlacementError) {
      throw new HttpError(error.httpStatus, `Error in delete resource class: ${error.message}`, { code: error.placementCode, cause: error });
    }
    throw error;
  }
  return { status: 204 };
}

export function registerResourceClasses(router: Router): void {
  router
    .add('GET', '/resource_classes', list, [1, 2])
    .add('POST', '/resource_classes', create, [1, 2])
    .add('GET', '/resource_classes/{name}', show, [1, 2])
    .add('PUT', '/resource_classes/{name}', update, [1, 2])
    .add('DELETE', '/resource_classes/{name}', remove, [1, 2]);
}
