import { CephInvalidArgumentError } from './errors.js';

/** Object data as callers may hold it: Buffers pass through, Uint8Arrays are viewed (no copy), strings are UTF-8. */
export type Data = Buffer | Uint8Array | string;

export function toBuffer(data: Data, what: string): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  throw new CephInvalidArgumentError(`${what} must be a Buffer, Uint8Array or string`);
}

export function name(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw new CephInvalidArgumentError(`${what} must be a non-empty string without NUL`);
  }
  return value;
}

export function optionalString(value: unknown, what: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || value.includes('\0')) throw new CephInvalidArgumentError(`${what} must be a string without NUL`);
  return value;
}

export function uint(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CephInvalidArgumentError(`${what} must be a non-negative safe integer`);
  }
  return value;
}
