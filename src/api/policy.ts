import type { RequestContext } from './context.js';
import { HttpError } from './http-error.js';

/**
 * Placement 8.0's default policy, as its rules resolve with oslo.policy's defaults: the admin role
 * may do everything; a reader with system scope may read everything; a project reader may read
 * only its own project's usages; anyone else is refused. `name` is Placement's policy name, shown
 * in the 403 as Placement shows it.
 */
export function authorize(ctx: RequestContext, name: string, kind: 'read' | 'write', targetProject?: string): void {
  const c = ctx.caller;
  if (c.admin || c.roles.includes('admin')) return;
  const reader = c.roles.includes('reader');
  if (kind === 'read' && reader && c.systemScope) return;
  if (kind === 'read' && reader && targetProject !== undefined && c.projectId === targetProject) return;
  // Placement's policy error escapes the handler and is raised past it: no Vary (see HttpErrorOptions.vary).
  throw new HttpError(403, `Policy does not allow ${name} to be performed.`, { vary: false });
}
