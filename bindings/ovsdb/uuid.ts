/**
 * UUIDs as OVSDB uses them. A row's uuid is a plain lowercase string in JavaScript; a reference to
 * a row inserted earlier in the same transaction is a NamedUuid (["named-uuid", name] on the wire).
 */
import { randomUUID } from 'node:crypto';
import { OvsdbArgumentError } from './errors.js';

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export function isUuid(s: unknown): s is string {
  return typeof s === 'string' && UUID_RE.test(s);
}

/** A reference to a row inserted (with `uuid-name`) by an earlier operation of the same transaction. */
export class NamedUuid {
  constructor(readonly name: string) {
    if (!NAME_RE.test(name)) throw new OvsdbArgumentError(`bad uuid-name ${JSON.stringify(name)}`);
  }
  toJSON(): [string, string] {
    return ['named-uuid', this.name];
  }
}

let counter = 0;
/** A fresh uuid-name, unique in this process. */
export function freshName(prefix = 'row'): NamedUuid {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return new NamedUuid(`${prefix}${counter}`);
}

export function newUuid(): string {
  return randomUUID();
}
