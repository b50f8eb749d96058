import { canonicalUuid } from '../uuid-like.js';
import type { ConsumerAllocationsWrite, Resources } from '../../placement/types.js';
import type { RequestContext } from '../context.js';
import { HttpError } from '../http-error.js';
import type { Microversion } from '../microversion.js';
import type { JsonSchema } from '../schema.js';
import { NAME_PATTERN, UUID, schemaVariant } from '../schema.js';

/**
 * Shared by the allocation handlers and the reshaper: Placement's allocation body schemas per
 * microversion, the conversion of a body to engine writes, and the checks Placement runs before it
 * writes (in its order and with its messages).
 */

/** Placement's "incomplete consumer" project and user, used for writes before 1.8. */
export const INCOMPLETE_CONSUMER_ID = '00000000-0000-0000-0000-000000000000';

/** Object keys that must be uuids (providers, consumers) are checked by this pattern, not as uuids. */
export const UUID_KEY_PATTERN = '^[0-9a-fA-F-]{36}$';

/** Request group suffixes in `mappings` (unanchored, as in Placement, so `""` is not checked). */
const GROUP_SUFFIX_PATTERN = '[a-zA-Z0-9_-]{1,64}';

const PLAIN_ID: JsonSchema = { type: 'string', minLength: 1, maxLength: 255 };

const RESOURCES: JsonSchema = {
  type: 'object',
  minProperties: 1,
  patternProperties: { [NAME_PATTERN]: { type: 'integer', minimum: 1 } },
  additionalProperties: false,
};

/** PUT /allocations/{c} before 1.12: a list of `{resource_provider: {uuid}, resources}`. */
function listFormSchema(withOwner: boolean): JsonSchema {
  const properties: Record<string, unknown> = {
    allocations: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          resource_provider: {
            type: 'object',
            properties: { uuid: UUID },
            required: ['uuid'],
            additionalProperties: false,
          },
          resources: RESOURCES,
        },
        required: ['resource_provider', 'resources'],
        additionalProperties: false,
      },
    },
  };
  const required = ['allocations'];
  if (withOwner) {
    properties['project_id'] = PLAIN_ID;
    properties['user_id'] = PLAIN_ID;
    required.push('project_id', 'user_id');
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/**
 * One consumer's allocations in the dict form of 1.12 on (PUT's body, and each value of POST's and
 * the reshaper's `allocations`).
 */
function dictFormSchema(version: Microversion, allowEmpty: boolean): JsonSchema {
  const properties: Record<string, unknown> = {
    allocations: {
      type: 'object',
      minProperties: allowEmpty ? 0 : 1,
      patternProperties: {
        [UUID_KEY_PATTERN]: {
          type: 'object',
          // The provider generation is accepted and ignored, as in Placement.
          properties: { generation: { type: 'integer' }, resources: RESOURCES },
          required: ['resources'],
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    project_id: PLAIN_ID,
    user_id: PLAIN_ID,
  };
  const required = ['allocations', 'project_id', 'user_id'];
  if (version.atLeast(1, 28)) {
    properties['consumer_generation'] = { type: ['integer', 'null'] };
    required.push('consumer_generation');
  }
  if (version.atLeast(1, 34)) {
    // Accepted and ignored. Placement's schema sets no minimum (a typo there) and checks only the
    // keys that look like group suffixes.
    properties['mappings'] = {
      type: 'object',
      patternProperties: { [GROUP_SUFFIX_PATTERN]: { type: 'array', minItems: 1, items: UUID } },
    };
  }
  if (version.atLeast(1, 38)) {
    properties['consumer_type'] = { type: 'string', pattern: NAME_PATTERN, minLength: 1, maxLength: 255 };
    required.push('consumer_type');
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/** The microversions at which an allocation body changes shape. */
function variant(version: Microversion): string {
  if (version.atLeast(1, 38)) return '1.38';
  if (version.atLeast(1, 34)) return '1.34';
  if (version.atLeast(1, 28)) return '1.28';
  if (version.atLeast(1, 12)) return '1.12';
  if (version.atLeast(1, 8)) return '1.8';
  return '1.0';
}


/** The body of PUT /allocations/{consumer_uuid} at a microversion. */
export function putAllocationsSchema(version: Microversion): JsonSchema {
  const v = variant(version);
  return schemaVariant(`allocations-put-${v}`, () => {
    if (!version.atLeast(1, 12)) return listFormSchema(version.atLeast(1, 8));
    // From 1.28 an empty `allocations` removes the consumer's allocations.
    return dictFormSchema(version, version.atLeast(1, 28));
  });
}

/**
 * The body of POST /allocations (1.13 on): consumers by uuid, each in the dict form with
 * `allocations` allowed to be empty. The reshaper's `allocations` is the same object, which may
 * itself be empty (`minConsumers` 0).
 */
export function consumersSchema(version: Microversion, minConsumers: 0 | 1): JsonSchema {
  const v = variant(version);
  return schemaVariant(`allocations-consumers-${v}-${minConsumers}`, () => ({
    type: 'object',
    minProperties: minConsumers,
    patternProperties: { [UUID_KEY_PATTERN]: dictFormSchema(version, true) },
    additionalProperties: false,
  }));
}

/** A consumer's allocations as the dict form of the body carries them. */
export interface ConsumerBody {
  allocations: Record<string, { resources: Resources; generation?: number }>;
  project_id: string;
  user_id: string;
  consumer_generation?: number | null;
  consumer_type?: string;
  mappings?: unknown;
}

/** The list form of PUT before 1.12. */
export interface ListFormBody {
  allocations: { resource_provider: { uuid: string }; resources: Resources }[];
  project_id?: string;
  user_id?: string;
}

/** The list form turned into the dict form: a provider named twice keeps its last entry, as in Placement. */
export function listToDict(body: ListFormBody): ConsumerBody {
  const allocations: ConsumerBody['allocations'] = {};
  for (const a of body.allocations) allocations[a.resource_provider.uuid] = { resources: a.resources };
  return {
    allocations,
    project_id: body.project_id ?? INCOMPLETE_CONSUMER_ID,
    user_id: body.user_id ?? INCOMPLETE_CONSUMER_ID,
  };
}

/** A uuid key of a body (provider or consumer): canonical when it is a uuid, else as given. */
function keyUuid(key: string): string {
  return canonicalUuid(key) ?? key;
}

/**
 * The engine write for one consumer. Before 1.28 the consumer generation is not checked
 * (undefined); before 1.38 the consumer type is left as it is.
 */
export function toWrite(ctx: RequestContext, consumerUuid: string, body: ConsumerBody): ConsumerAllocationsWrite {
  const allocations: Record<string, Resources> = {};
  for (const [provider, entry] of Object.entries(body.allocations)) allocations[keyUuid(provider)] = { ...entry.resources };
  const write: ConsumerAllocationsWrite = {
    consumerUuid: keyUuid(consumerUuid),
    allocations,
    projectId: body.project_id,
    userId: body.user_id,
  };
  if (ctx.version.atLeast(1, 28)) write.consumerGeneration = body.consumer_generation ?? null;
  if (ctx.version.atLeast(1, 38) && body.consumer_type !== undefined) write.consumerType = body.consumer_type;
  return write;
}

/** Placement's gate for an endpoint newer than the request: a plain 404. */
export function requireVersion(ctx: RequestContext, major: number, minor: number): void {
  if (!ctx.version.atLeast(major, minor)) throw new HttpError(404, '');
}

/**
 * From 1.28 each consumer's generation must be the current one (null for a consumer that does not
 * exist); every consumer is checked before anything else, as Placement does.
 */
export function checkConsumerGenerations(ctx: RequestContext, writes: readonly ConsumerAllocationsWrite[]): void {
  for (const w of writes) {
    if (w.consumerGeneration === undefined) continue;
    const given = w.consumerGeneration;
    const current = ctx.engine.getConsumerAllocations(w.consumerUuid);
    if (current === undefined) {
      if (given !== null) {
        throw new HttpError(409, `consumer generation conflict - expected null but got ${given}`, { code: 'placement.concurrent_update' });
      }
    } else if (given !== current.consumerGeneration) {
      throw new HttpError(409, `consumer generation conflict - expected ${current.consumerGeneration} but got ${given === null ? 'None' : given}`, {
        code: 'placement.concurrent_update',
      });
    }
  }
}

/** Every provider named in the allocations must exist: 400. */
export function checkProvidersExist(ctx: RequestContext, writes: readonly ConsumerAllocationsWrite[]): void {
  for (const w of writes) {
    for (const provider of Object.keys(w.allocations)) {
      if (ctx.engine.getProvider(provider) === undefined) {
        throw new HttpError(400, `Allocation for resource provider '${provider}' that does not exist.`);
      }
    }
  }
}

/** The first resource class named in the allocations that does not exist, if any. */
export function unknownResourceClass(ctx: RequestContext, writes: readonly ConsumerAllocationsWrite[]): string | undefined {
  for (const w of writes) {
    for (const resources of Object.values(w.allocations)) {
      for (const rc of Object.keys(resources)) if (!ctx.engine.hasResourceClass(rc)) return rc;
    }
  }
  return undefined;
}
