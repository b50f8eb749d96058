/** OFPT_ERROR: type and code with the spec's names, and the start of the offending message. */
import { errorCodeName, errorTypeName, OFPET_EXPERIMENTER } from '../error-codes.js';
import type { Reader, Writer } from '../wire.js';

export interface ErrorMsg {
  type: 'error';
  xid: number;
  errorType: number;
  code: number;
  typeName: string;
  codeName: string;
  /** For OFPET_EXPERIMENTER only. */
  experimenter?: number;
  data: Uint8Array;
}

/** Builds an error message with its names filled in from the numbers. */
export function errorMessage(xid: number, errorType: number, code: number, data: Uint8Array = new Uint8Array(0), experimenter?: number): ErrorMsg {
  const m: ErrorMsg = { type: 'error', xid, errorType, code, typeName: errorTypeName(errorType), codeName: errorCodeName(errorType, code), data };
  if (errorType === OFPET_EXPERIMENTER) m.experimenter = experimenter ?? 0;
  return m;
}

export function encodeError(w: Writer, m: ErrorMsg): void {
  w.u16(m.errorType, 'error type');
  w.u16(m.code, 'error code');
  if (m.errorType === OFPET_EXPERIMENTER) w.u32(m.experimenter ?? 0, 'experimenter');
  w.bytes(m.data);
}

export function decodeError(r: Reader, xid: number): ErrorMsg {
  const errorType = r.u16('error type');
  const code = r.u16('error code');
  const experimenter = errorType === OFPET_EXPERIMENTER ? r.u32('experimenter') : undefined;
  return errorMessage(xid, errorType, code, r.rest(), experimenter);
}
