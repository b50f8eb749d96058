import { PlacementConflictError, PlacementInvalidError, PlacementNotFoundError } from './errors.js';
import { STANDARD_RESOURCE_CLASSES, STANDARD_TRAITS } from './standard-names.js';

/** Placement's rule for custom resource class and trait names. */
const CUSTOM_NAME = /^CUSTOM_[A-Z0-9_]+$/;
const MAX_NAME_LENGTH = 255;

export function isCustomName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && CUSTOM_NAME.test(name);
}

/**
 * Names interned to dense ids so that the hot data can index typed arrays by them. Standard names
 * take the first ids in a fixed order; custom names follow in creation order. Ids of deleted custom
 * names are not reused, so an id never changes meaning while a query is being answered.
 */
export class NameRegistry {
  private readonly ids = new Map<string, number>();
  private readonly names: (string | undefined)[] = [];
  readonly standardCount: number;

  constructor(
    private readonly kind: 'resource_class' | 'trait',
    standard: readonly string[],
  ) {
    for (const name of standard) this.add(name);
    this.standardCount = standard.length;
  }

  get size(): number {
    return this.ids.size;
  }

  /** Upper bound (exclusive) of ids ever issued. */
  get idLimit(): number {
    return this.names.length;
  }

  id(name: string): number | undefined {
    return this.ids.get(name);
  }

  /** The id of an existing name, or a 400-class error naming it, as Placement answers unknown names. */
  require(name: string): number {
    const id = this.ids.get(name);
    if (id === undefined) throw new PlacementNotFoundError(this.kind, name);
    return id;
  }

  name(id: number): string {
    const name = this.names[id];
    if (name === undefined) throw new RangeError(`no ${this.kind} with id ${id}`);
    return name;
  }

  has(name: string): boolean {
    return this.ids.has(name);
  }

  isStandard(name: string): boolean {
    const id = this.ids.get(name);
    return id !== undefined && id < this.standardCount;
  }

  list(): string[] {
    return [...this.ids.keys()];
  }

  /** Checks a custom name; throws the error Placement gives for a bad one. */
  validateCustom(name: string): void {
    if (!isCustomName(name)) {
      throw new PlacementInvalidError(
        `Invalid ${this.kind.replace('_', ' ')} name ${JSON.stringify(name.slice(0, 300))}: must match ^CUSTOM_[A-Z0-9_]+$ and be at most ${MAX_NAME_LENGTH} characters.`,
      );
    }
  }

  add(name: string): number {
    const existing = this.ids.get(name);
    if (existing !== undefined) return existing;
    const id = this.names.length;
    this.names.push(name);
    this.ids.set(name, id);
    return id;
  }

  /** Gives an id a new name; everything keyed by the id (inventories, allocations) follows. */
  rename(name: string, newName: string): void {
    const id = this.require(name);
    this.ids.delete(name);
    this.ids.set(newName, id);
    this.names[id] = newName;
  }

  remove(name: string): void {
    const id = this.ids.get(name);
    if (id === undefined) throw new PlacementNotFoundError(this.kind, name);
    if (id < this.standardCount) {
      throw new PlacementConflictError(`Cannot delete standard ${this.kind.replace('_', ' ')} ${name}.`);
    }
    this.ids.delete(name);
    this.names[id] = undefined;
  }
}

export function newResourceClassRegistry(): NameRegistry {
  return new NameRegistry('resource_class', STANDARD_RESOURCE_CLASSES);
}

export function newTraitRegistry(): NameRegistry {
  return new NameRegistry('trait', STANDARD_TRAITS);
}

export { STANDARD_RESOURCE_CLASSES, STANDARD_TRAITS };
