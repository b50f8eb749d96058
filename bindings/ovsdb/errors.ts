/**
 * Typed errors of the OVSDB binding. Callers branch on `code`; messages are for people.
 */
import { TstackError } from '../../common/errors.js';

/** Base of every error this binding throws. */
export class OvsdbError extends TstackError {}

/** Could not connect, or the connection broke while a request was waiting. */
export class OvsdbConnectionError extends OvsdbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OVSDB_CONNECTION', message, options);
  }
}

/** The object was closed by its owner; any further use fails with this. */
export class OvsdbClosedError extends OvsdbError {
  constructor(what = 'OVSDB client') {
    super('ERR_OVSDB_CLOSED', `${what} is closed`);
  }
}

/** A request got no answer in time (the connection may still be fine). */
export class OvsdbTimeoutError extends OvsdbError {
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super('ERR_OVSDB_TIMEOUT', `${method}: no reply within ${timeoutMs} ms`);
  }
}

/** The peer sent bytes that are not a valid JSON-RPC stream (the connection is dropped). */
export class OvsdbProtocolError extends OvsdbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OVSDB_PROTOCOL', message, options);
  }
}

/** The server answered a request with a JSON-RPC `error` (e.g. "unknown database"). */
export class OvsdbRpcError extends OvsdbError {
  constructor(
    readonly method: string,
    readonly error: unknown,
  ) {
    super('ERR_OVSDB_RPC', `${method}: server error ${typeof error === 'string' ? error : JSON.stringify(error)}`);
  }
}

/** One operation of a transaction failed (the whole transaction was rolled back). */
export class OvsdbTransactionError extends OvsdbError {
  constructor(
    /** Index of the failing operation, or -1 when the commit itself failed. */
    readonly index: number,
    /** OVSDB's error string: "constraint violation", "referential integrity violation", "timed out"… */
    readonly error: string,
    readonly details: string | undefined,
    readonly results: readonly unknown[],
  ) {
    super('ERR_OVSDB_TRANSACTION', `transaction failed at operation ${index}: ${error}${details ? ` (${details})` : ''}`);
  }
}

/** A value does not fit its OVSDB type (checked before sending, or a malformed value from the wire). */
export class OvsdbDatumError extends OvsdbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OVSDB_DATUM', message, options);
  }
}

/** A schema is malformed, or names a table/column that does not exist. */
export class OvsdbSchemaError extends OvsdbError {
  constructor(message: string) {
    super('ERR_OVSDB_SCHEMA', message);
  }
}

/** Optimistic verification kept failing: the rows changed under us on every try. */
export class OvsdbConflictError extends OvsdbError {
  constructor(readonly attempts: number) {
    super('ERR_OVSDB_CONFLICT', `transaction conflicted with concurrent changes ${attempts} times`);
  }
}

/** A named object (bridge, port, interface…) does not exist. */
export class OvsdbNotFoundError extends OvsdbError {
  constructor(
    readonly table: string,
    readonly objectName: string,
  ) {
    super('ERR_OVSDB_NOT_FOUND', `${table} ${JSON.stringify(objectName)} does not exist`);
  }
}

/** A named object already exists. */
export class OvsdbExistsError extends OvsdbError {
  constructor(
    readonly table: string,
    readonly objectName: string,
  ) {
    super('ERR_OVSDB_EXISTS', `${table} ${JSON.stringify(objectName)} already exists`);
  }
}

/** Bad arguments to a binding call (caught before anything is sent). */
export class OvsdbArgumentError extends OvsdbError {
  constructor(message: string) {
    super('ERR_OVSDB_ARGUMENT', message);
  }
}

/** ovs-vswitchd could not create an interface (Interface.ofport is -1; `reason` is Interface.error). */
export class OvsdbInterfaceError extends OvsdbError {
  constructor(
    readonly iface: string,
    readonly reason: string,
  ) {
    super('ERR_OVSDB_INTERFACE', `interface ${iface} failed: ${reason}`);
  }
}
