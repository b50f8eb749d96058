import { TstackError } from '../../common/errors.js';

/**
 * Every placement error names the Placement error code it corresponds to (the `code` member of a
 * Placement error body) and the HTTP status Placement answers with, so that the HTTP layer maps
 * errors without a table of its own. Several of our codes may share `placement.undefined_code`, but each
 * of ours maps to exactly one of Placement's.
 */
export class PlacementError extends TstackError {
  readonly placementCode: string;
  readonly httpStatus: number;

  constructor(
    code: string,
    placementCode: string,
    httpStatus: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.placementCode = placementCode;
    this.httpStatus = httpStatus;
  }
}

/** Input that Placement rejects with 400 before touching any state. */
export class PlacementInvalidError extends PlacementError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PLACEMENT_INVALID', 'placement.undefined_code', 400, message, options);
  }
}

/** A query parameter with a value Placement would refuse (placement.query.bad_value). */
export class PlacementBadQueryError extends PlacementError {
  constructor(message: string) {
    super('ERR_PLACEMENT_BAD_QUERY', 'placement.query.bad_value', 400, message);
  }
}

export type NotFoundKind = 'resource_provider' | 'resource_class' | 'trait' | 'consumer' | 'inventory';

export class PlacementNotFoundError extends PlacementError {
  readonly kind: NotFoundKind;
  readonly key: string;

  constructor(kind: NotFoundKind, key: string, message?: string) {
    super(
      kind === 'resource_provider' ? 'ERR_PLACEMENT_PROVIDER_NOT_FOUND' : 'ERR_PLACEMENT_NOT_FOUND',
      // Placement's 404s carry its default code; resource_provider.not_found is the reshaper's 400.
      'placement.undefined_code',
      404,
      message ?? (kind === 'resource_provider' ? `No resource provider with uuid ${key} found` : `No ${kind.replace('_', ' ')} ${key} found.`),
    );
    this.kind = kind;
    this.key = key;
  }
}

/** A write named a generation that is no longer current: re-read and retry. */
export class PlacementConcurrentUpdateError extends PlacementError {
  readonly expected: number | null;
  readonly actual: number | null;

  constructor(what: string, expected: number | null, actual: number | null) {
    super(
      'ERR_PLACEMENT_CONCURRENT_UPDATE',
      'placement.concurrent_update',
      409,
      `${what} generation conflict: expected ${String(expected)}, current ${String(actual)}. Re-read and retry.`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** Removing inventory of a class that still has allocations against it. */
export class PlacementInventoryInUseError extends PlacementError {
  readonly resourceClasses: readonly string[];

  constructor(provider: string, resourceClasses: readonly string[], placementCode = 'placement.inventory.inuse') {
    super(
      'ERR_PLACEMENT_INVENTORY_IN_USE',
      placementCode,
      409,
      // Nova's report client matches this text with a regex: keep Placement's wording.
      `Inventory for '${resourceClasses.join(', ')}' on resource provider '${provider}' in use.`,
    );
    this.resourceClasses = resourceClasses;
  }
}

export class PlacementDuplicateNameError extends PlacementError {
  constructor(message: string) {
    super('ERR_PLACEMENT_DUPLICATE_NAME', 'placement.duplicate_name', 409, message);
  }
}

/** Deleting a provider that still has allocations. */
export class PlacementProviderInUseError extends PlacementError {
  constructor(provider: string) {
    super(
      'ERR_PLACEMENT_PROVIDER_IN_USE',
      'placement.resource_provider.inuse',
      409,
      `Unable to delete resource provider ${provider}: Resource provider has allocations.`,
    );
  }
}

/** Deleting a provider that still has children. */
export class PlacementCannotDeleteParentError extends PlacementError {
  constructor(provider: string) {
    super(
      'ERR_PLACEMENT_CANNOT_DELETE_PARENT',
      'placement.resource_provider.cannot_delete_parent',
      409,
      `Unable to delete parent resource provider ${provider}: It has child resource providers.`,
    );
  }
}

/** An allocation that does not fit: capacity, min_unit, max_unit, step_size, or missing inventory. */
export class PlacementAllocationError extends PlacementError {
  readonly provider: string;
  readonly resourceClass: string;
  readonly reason: 'capacity' | 'constraints' | 'no_inventory';

  constructor(provider: string, resourceClass: string, reason: 'capacity' | 'constraints' | 'no_inventory', message: string) {
    super(
      reason === 'capacity' ? 'ERR_PLACEMENT_CAPACITY_EXCEEDED' : reason === 'constraints' ? 'ERR_PLACEMENT_ALLOCATION_CONSTRAINTS' : 'ERR_PLACEMENT_NO_INVENTORY',
      'placement.undefined_code',
      409,
      message,
    );
    this.provider = provider;
    this.resourceClass = resourceClass;
    this.reason = reason;
  }
}

/** Any other state conflict Placement answers with a plain 409 (exists already, in use, cycle…). */
export class PlacementConflictError extends PlacementError {
  constructor(message: string) {
    super('ERR_PLACEMENT_CONFLICT', 'placement.undefined_code', 409, message);
  }
}

/** The reshaper names a provider that does not exist (a 400 with its own code in Placement). */
export class PlacementReshapeProviderNotFoundError extends PlacementError {
  readonly key: string;

  constructor(uuid: string) {
    super('ERR_PLACEMENT_RESHAPE_PROVIDER_NOT_FOUND', 'placement.resource_provider.not_found', 400, `Resource provider ${uuid} in reshape does not exist.`);
    this.key = uuid;
  }
}

/** A query parameter given more than once where Placement allows it once. */
export class PlacementDuplicateQueryKeyError extends PlacementError {
  constructor(key: string) {
    super('ERR_PLACEMENT_DUPLICATE_QUERY_KEY', 'placement.query.duplicate_key', 400, `Query parameter ${JSON.stringify(key)} may appear only once.`);
  }
}

/** A query with no request group asking for resources. */
export class PlacementMissingQueryValueError extends PlacementError {
  constructor(message: string) {
    super('ERR_PLACEMENT_MISSING_QUERY_VALUE', 'placement.query.missing_value', 400, message);
  }
}
